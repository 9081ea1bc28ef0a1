import itertools
import re
from pathlib import Path

import pytest

from bot.chunking import chunk_article, display_span, embed_text
from bot.embedding import HashEmbedder
from bot.knowledge import load_articles


def articles(knowledge: Path):
    found, _ = load_articles(knowledge / "articles")
    return found


def test_chunks_are_verbatim_bounded_and_cover_the_body(knowledge: Path) -> None:
    counter = HashEmbedder().count_tokens
    for article in articles(knowledge):
        chunks = chunk_article(article, counter, max_tokens=120, max_chars=1000, overlap=1)
        covered = [False] * len(article.body)
        for chunk in chunks:
            assert chunk.text == article.body[chunk.start : chunk.end]
            assert len(chunk.text) <= 1000
            assert counter(embed_text(article.title, chunk.heading, chunk.text)) <= 120
            for i in range(chunk.start, chunk.end):
                covered[i] = True
        missing = "".join(c for c, seen in zip(article.body, covered, strict=True) if not seen)
        assert missing.strip() == "", f"{article.id}: text outside every chunk: {missing.strip()[:80]!r}"


def test_neighbouring_chunks_in_a_section_share_a_sentence(knowledge: Path) -> None:
    article = next(a for a in articles(knowledge) if a.id == "strength-training-and-running-technique")
    chunks = chunk_article(article, HashEmbedder().count_tokens, max_tokens=160, max_chars=1000, overlap=1)
    same_section = [(a, b) for a, b in itertools.pairwise(chunks) if a.heading == b.heading]
    assert same_section
    shared = [b.start < a.end for a, b in same_section]
    # A chunk holding a single long sentence cannot lend one; every other neighbour shares.
    assert sum(shared) >= len(shared) / 2


def test_chunks_know_their_heading(knowledge: Path) -> None:
    article = next(a for a in articles(knowledge) if a.id == "runner-deadlift")
    chunks = chunk_article(article, HashEmbedder().count_tokens, max_tokens=200)
    perform = [c for c in chunks if c.heading == "Performing the Runner Deadlift"]
    assert perform and "lightest possible bar" in perform[0].text
    start, end = display_span(perform[0])
    assert not article.body[start:end].startswith("#")


def test_a_sentence_longer_than_the_limit_is_cut_at_words() -> None:
    from bot.models import Article

    body = "## Long\n\n" + " ".join(f"word{i}," for i in range(400)) + " end."
    article = Article(id="long", title="Long", body=body, path=Path("long.md"), content_hash="x")
    chunks = chunk_article(article, HashEmbedder().count_tokens, max_tokens=60, max_chars=300, overlap=1)
    assert len(chunks) > 5
    assert all(len(c.text) <= 300 and c.text == body[c.start : c.end] for c in chunks)
    assert re.sub(r"\s", "", "".join(body[c.start : c.end] for c in chunks)).count("word399") >= 1


@pytest.mark.model
def test_no_chunk_exceeds_the_real_model_limit(knowledge: Path) -> None:
    from bot.config import Settings
    from bot.embedding import SentenceTransformerEmbedder
    from bot.index import chunk_params

    embedder = SentenceTransformerEmbedder()
    params = chunk_params(Settings(_env_file=None), embedder)
    for article in articles(knowledge):
        for chunk in chunk_article(article, embedder.count_tokens, **params):
            tokens = embedder.count_tokens(embed_text(article.title, chunk.heading, chunk.text))
            assert tokens <= embedder.max_tokens == 256


def test_abbreviations_do_not_end_a_sentence() -> None:
    from bot.chunking import sentence_spans

    text = "Dr. Uhan recommends the power raise. Pair it with single leg work, e.g. the hip airplane. Done."
    assert [text[s.start : s.end] for s in sentence_spans(text)] == [
        "Dr. Uhan recommends the power raise.",
        "Pair it with single leg work, e.g. the hip airplane.",
        "Done.",
    ]
