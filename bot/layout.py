"""What an index build derives from its articles for retrieval, computed once by `coach index`.

Per sentence: its section, its section heading, whether it is a heading line or an instruction step,
and the chunks holding it; per chunk: its first and last sentence; two BM25 indexes (heading +
sentence, and heading + the sentence with its neighbours); the articles' own rare terms. Saved with
the build (`save`, listed in its manifest with checksums) and memory-mapped at load (`load`), so a
start rebuilds nothing corpus-sized.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.chunking import HEADING, sections
from bot.lexical import STOPWORDS, Lexical, Vocabulary, is_step

if TYPE_CHECKING:
    from bot.index import Index
    from bot.models import Article

# A question word found in at most this many sentences (or headings) is one of the articles' own terms.
RARE_MAX = 3
# Words rarer than this in English (Zipf scale: 3 is once per million words) can be the articles' terms.
TERM_ZIPF = 3.0
# A word a removed article takes out of the library counts from this rarity (10 per million words):
# "sprinters", "beginner" and "spine" do, "worth", "easier" and "check" say nothing of a topic.
RETIRED_ZIPF = 4.0
ARRAYS = ("heading", "section", "flags", "sentence_chunks", "chunk_sentences")
FILES = (
    *(f"layout/{name}.npy" for name in ARRAYS),
    "layout/headings.json",
    "layout/rare.json",
    *(f"layout/{kind}/{f}" for kind in ("lexical", "context") for f in Lexical.FILES),
)
HEADING_LINE, STEP = 1, 2  # bits of `flags`


@dataclass(frozen=True)
class Layout:
    """The derived arrays of one index build (row numbers are those of `Index.sentences` and `.chunks`)."""

    headings: list[str]
    heading: np.ndarray  # per sentence: its section heading (else the article title), in `headings`
    section: np.ndarray  # per sentence: its section, numbered across the index
    flags: np.ndarray  # per sentence: HEADING_LINE | STEP bits
    sentence_chunks: np.ndarray  # per sentence: the chunks holding it, padded with len(chunks)
    chunk_sentences: np.ndarray  # per chunk: its first and last sentence
    rare: frozenset[str]
    lexical: Lexical
    context: Lexical

    @property
    def valid(self) -> np.ndarray:
        """Sentences that are not heading lines."""
        return (self.flags & HEADING_LINE) == 0

    @property
    def steps(self) -> np.ndarray:
        return (self.flags & STEP) != 0


def derive(index: Index, vocabulary: Vocabulary) -> Layout:
    """The layout of `index`, computed from its articles, chunks and sentences."""
    refs = index.sentences
    n, m = len(refs), len(index.chunks)
    headings: dict[str, int] = {}
    heading = np.zeros(n, dtype=np.int32)
    section = np.zeros(n, dtype=np.int32)
    flags = np.zeros(n, dtype=np.uint8)
    overlaps: list[np.ndarray] = []
    chunk_sentences = np.zeros((m, 2), dtype=np.int32)
    texts: list[str] = []
    chunk_spans = np.asarray(index.chunks.spans, dtype=np.int64)  # the spans, no chunk text sliced
    sections_seen = 0
    for aid, (lo, hi) in refs.ranges().items():
        article = index.articles[aid]
        secs = sections(article.body)
        mine = index.chunks.rows(aid)
        crows = np.arange(mine.start, mine.stop, dtype=np.int64)
        cstarts, cends = chunk_spans[crows, 1], chunk_spans[crows, 2]
        starts = refs.start[lo:hi]
        k = 0
        for i in range(lo, hi):
            start, end = int(refs.start[i]), int(refs.end[i])
            while k + 1 < len(secs) and secs[k + 1].start <= start:
                k += 1
            text = article.body[start:end]
            texts.append(text)
            title = (secs[k].heading if secs else "") or article.title
            heading[i] = headings.setdefault(title, len(headings))
            section[i] = sections_seen + k
            flags[i] = (HEADING_LINE if HEADING.match(text) else 0) | (STEP if is_step(text) else 0)
            overlaps.append(crows[(cstarts < end) & (cends > start)])
        sections_seen += max(len(secs), 1)
        for c, cstart, cend in zip(crows, cstarts, cends, strict=True):
            inside = np.flatnonzero((starts < cend) & (refs.end[lo:hi] > cstart))
            chunk_sentences[c] = (lo + inside[0], lo + inside[-1]) if len(inside) else (lo, lo - 1)
    names = list(headings)
    text_stems = [vocabulary.stems(t) for t in texts]
    heading_stems = [vocabulary.stems(h) for h in names]
    docs = [[*heading_stems[h], *stems] for h, stems in zip(heading, text_stems, strict=True)]
    valid = (flags & HEADING_LINE) == 0
    context = []
    for i in range(n):
        near = list(docs[i])
        for j in (i - 1, i + 1):
            if 0 <= j < n and valid[j] and section[j] == section[i]:
                near += text_stems[j]
        context.append(near)
    return Layout(
        headings=names,
        heading=heading,
        section=section,
        flags=flags,
        sentence_chunks=_padded(overlaps, m),
        chunk_sentences=chunk_sentences,
        rare=_rare_terms(vocabulary, texts, text_stems, names, heading_stems),
        lexical=Lexical.build(docs),
        context=Lexical.build(context),
    )


def _rare_terms(
    vocabulary: Vocabulary,
    texts: Sequence[str],
    text_stems: Sequence[Sequence[str]],
    headings: Sequence[str],
    heading_stems: Sequence[Sequence[str]],
) -> frozenset[str]:
    """Stems of the articles' own terms: words rare in English (wordfreq's Zipf frequency below
    `TERM_ZIPF`, such as "TFL" or "hemipelvi") found in at most `RARE_MAX` places (sentences, and
    headings once each). "Boston" or "pandas" are too common in English to count."""
    from wordfreq import zipf_frequency

    counts: Counter[str] = Counter()
    for stems in (*text_stems, *heading_stems):
        counts.update(set(stems))
    words = {w for text in (*texts, *headings) for w in vocabulary.words(text)}
    candidates = [w for w in sorted(words) if len(w) > 2 and not w.isdigit() and w not in STOPWORDS]
    rare = [
        (w, s) for w, s in zip(candidates, vocabulary.stem(candidates), strict=True) if counts[s] <= RARE_MAX
    ]
    return frozenset(s for w, s in rare if zipf_frequency(w, "en") < TERM_ZIPF)


def retired_words(
    gone: Sequence[Article],
    earlier: dict[str, list[str]],
    lexical: Lexical,
    vocabulary: Vocabulary,
) -> dict[str, list[str]]:
    """The words no article uses any more, as {stem: [word, title of the article it left with]}.

    `gone` are the articles a build removed or changed, `earlier` the previous build's record (its
    manifest's "retired", read by `retired_of`), carried on; `lexical` is the new build's index, whose words are back in use.
    Only topic words count (no stop word, generic running word or number, and rarer in English than
    `RETIRED_ZIPF`), so a question on "hill sprints" is refused once the one article about sprinting
    is removed.
    """
    from wordfreq import zipf_frequency

    out = {stem: entry for stem, entry in earlier.items() if stem not in lexical.idf}
    for article in gone:
        words = [
            w
            for w in dict.fromkeys(vocabulary.words(f"{article.title}\n{article.body}"))
            if len(w) > 2 and w.isalpha() and w not in STOPWORDS and zipf_frequency(w, "en") < RETIRED_ZIPF
        ]
        for word, stem in zip(words, vocabulary.stem(words), strict=True):
            if stem not in lexical.idf and stem not in vocabulary.generic and stem not in out:
                out[stem] = [word, article.title]
    return out


def retired_of(record: object) -> dict[str, list[str]]:
    """The well-formed entries of a build's "retired" record ({stem: [word, title]}); anything else in a
    damaged or hand-edited manifest is dropped, never raised."""
    if not isinstance(record, dict):
        return {}
    return {
        stem: list(entry)
        for stem, entry in record.items()
        if isinstance(stem, str)
        and isinstance(entry, list)
        and len(entry) == 2
        and all(isinstance(x, str) for x in entry)
    }


def save(layout: Layout, folder: Path) -> None:
    """Write `layout` into the build `folder` (the files of `FILES`)."""
    (folder / "layout").mkdir()
    for name in ARRAYS:
        np.save(folder / "layout" / f"{name}.npy", getattr(layout, name), allow_pickle=False)
    (folder / "layout" / "headings.json").write_text(json.dumps(layout.headings, ensure_ascii=False))
    (folder / "layout" / "rare.json").write_text(json.dumps(sorted(layout.rare), ensure_ascii=False))
    layout.lexical.save(folder / "layout" / "lexical")
    layout.context.save(folder / "layout" / "context")


def load(folder: Path) -> Layout:
    """The layout saved in the build `folder`, its arrays and BM25 indexes memory-mapped."""
    # Plain arrays over the mapped files: as cheap to open, and quicker to index than `np.memmap`.
    arrays = {name: np.asarray(np.load(folder / "layout" / f"{name}.npy", mmap_mode="r")) for name in ARRAYS}
    return Layout(
        headings=json.loads((folder / "layout" / "headings.json").read_text(encoding="utf-8")),
        rare=frozenset(json.loads((folder / "layout" / "rare.json").read_text(encoding="utf-8"))),
        lexical=Lexical.load(folder / "layout" / "lexical"),
        context=Lexical.load(folder / "layout" / "context"),
        **arrays,
    )


def _padded(rows: Sequence[np.ndarray], sentinel: int) -> np.ndarray:
    """Ragged integer rows as a matrix, padded with `sentinel`."""
    width = max((len(r) for r in rows), default=0) or 1
    out = np.full((len(rows), width), sentinel, dtype=np.int32)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out
