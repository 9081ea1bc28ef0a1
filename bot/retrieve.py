"""Hybrid retrieval: dense (FAISS) and lexical (BM25) rankings fused, overlaps collapsed, coverage judged."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.chunking import display_span, embed_text
from bot.config import Settings
from bot.embedding import Embedder
from bot.index import Index
from bot.models import Chunk, Hit, Passage

# Words too common in running questions to show that the articles cover a topic.
GENERIC = frozenset(
    """run runner running ran best good better get make way thing need should can could would use go
    do doe did help work what whi how when where which who is are tip advic question long short time
    day week want like feel know tell much mani often realli actual just also still ok okay pleas
    improv start keep take right wrong normal""".split()  # noqa: SIM905
)


def rrf(rankings: Sequence[Sequence[int]], k: int) -> dict[int, float]:
    """Reciprocal rank fusion of several rankings of the same items (pure)."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank + 1)
    return fused


@dataclass(frozen=True)
class Retrieval:
    """What a search found for one question, before it becomes an answer."""

    hits: tuple[Hit, ...]
    best_dense: float
    topic_terms: tuple[str, ...]
    shared_terms: tuple[str, ...]


class Retriever:
    """Searches one index; `search(q)` is `batch_search([q])[0]`."""

    def __init__(self, index: Index, embedder: Embedder, settings: Settings, catalog: Any = None) -> None:
        import bm25s
        import Stemmer

        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._stemmer = Stemmer.Stemmer("english")
        docs = [embed_text(index.articles[c.article_id].title, c.heading, c.text) for c in index.chunks]
        self._bm25 = bm25s.BM25()
        if docs:
            self._bm25.index(self._tokens(docs, ids=True), show_progress=False)
        self._chunk_terms = [set(t) for t in self._tokens(docs)] if docs else []
        self._vocab = set().union(*self._chunk_terms) if docs else set()

    def _tokens(self, texts: Sequence[str], ids: bool = False) -> Any:
        import bm25s

        return bm25s.tokenize(
            list(texts), stopwords="en", stemmer=self._stemmer, return_ids=ids, show_progress=False
        )

    def topic_terms(self, text: str) -> list[str]:
        """Stemmed content words of a question, generic running words removed."""
        return [t for t in dict.fromkeys(self._tokens([text])[0]) if t not in GENERIC]

    def search(self, query: str) -> Retrieval:
        return self.batch_search([query])[0]

    def batch_search(self, queries: Sequence[str]) -> list[Retrieval]:
        """Search several questions with one batched encoding."""
        if not queries:
            return []
        return self.search_vectors(queries, self.embedder.encode(list(queries)))

    def search_vectors(self, queries: Sequence[str], vectors: np.ndarray) -> list[Retrieval]:
        n = len(self.index.chunks)
        if n == 0:
            return [Retrieval((), 0.0, tuple(self.topic_terms(q)), ()) for q in queries]
        depth = min(self.settings.candidates, n)
        dense_scores, dense_ids = self.index.faiss.search(np.ascontiguousarray(vectors, dtype=np.float32), n)
        out = []
        for q, query in enumerate(queries):
            dense = np.empty(n, dtype=np.float32)
            dense[dense_ids[q]] = dense_scores[q]
            terms = self._tokens([query])[0]
            lexical = self._bm25.get_scores(terms) if terms else np.zeros(n, dtype=np.float32)
            dense_rank = list(dense_ids[q][:depth])
            lexical_rank = [int(i) for i in np.argsort(-lexical, kind="stable")[:depth] if lexical[i] > 0]
            fused = rrf([dense_rank, lexical_rank], self.settings.rrf_k)
            order = sorted(fused, key=lambda i: (-fused[i], -dense[i]))
            hits = tuple(
                Hit(self.index.chunks[i], float(fused[i]), float(dense[i]), float(lexical[i])) for i in order
            )
            topic = self.topic_terms(query)
            best = hits[0].chunk
            top_terms = self._chunk_terms[self.index.chunks.index(best)] if hits else set()
            shared = tuple(t for t in topic if t in top_terms)
            out.append(Retrieval(hits, float(dense.max()), tuple(topic), shared))
        return out

    def covered(self, found: Retrieval) -> bool:
        """Whether the articles answer the question, by an explainable rule on the scores.

        Covered when the closest passage is semantically close (cosine >= `min_dense`), or fairly close
        (>= `min_dense_with_terms`) and it shares a topic word with the question.
        """
        if not found.hits:
            return False
        if found.best_dense >= self.settings.min_dense:
            return True
        return found.best_dense >= self.settings.min_dense_with_terms and bool(found.shared_terms)

    def passages(self, found: Retrieval, k: int | None = None) -> list[Passage]:
        """The top passages, with overlapping neighbours merged or trimmed and near-duplicates dropped."""
        k = k or self.settings.top_k
        limit = self.settings.chunk_chars
        spans: list[tuple[str, int, int, Hit]] = []
        best = found.hits[0].score if found.hits else 0.0
        for hit in found.hits:
            if len(spans) >= k:
                break
            if hit.score < best * self.settings.passage_floor:
                break
            chunk = hit.chunk
            start, end = display_span(chunk)
            merged = False
            for i, (aid, s, e, kept) in enumerate(spans):
                if aid != chunk.article_id or start >= e or end <= s:
                    continue
                lo, hi = min(s, start), max(e, end)
                if hi - lo <= limit and _same_section(kept.chunk, chunk):
                    spans[i] = (aid, lo, hi, kept)
                    merged = True
                    break
                # Keep only the part the kept passage does not already show.
                start, end = (e, end) if start >= s else (start, s)
            if merged:
                continue
            body = self.index.articles[chunk.article_id].body
            trimmed = _trim(body, start, end)
            if trimmed is None or trimmed[1] - trimmed[0] < 80:
                continue
            if any(_near_duplicate(body[trimmed[0] : trimmed[1]], self._text(*x[:3])) for x in spans):
                continue
            spans.append((chunk.article_id, *trimmed, hit))
        return [
            Passage(
                rank=rank,
                text=self._text(aid, s, e),
                article=self.index.articles[aid],
                heading=hit.chunk.heading,
                score=round(hit.score, 4),
                start=s,
                end=e,
            )
            for rank, (aid, s, e, hit) in enumerate(spans, start=1)
        ]

    def _text(self, article_id: str, start: int, end: int) -> str:
        return self.index.articles[article_id].body[start:end]


def _same_section(a: Chunk, b: Chunk) -> bool:
    return a.heading == b.heading


def _trim(body: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _near_duplicate(a: str, b: str) -> bool:
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    return bool(wa and wb) and len(wa & wb) / min(len(wa), len(wb)) > 0.9
