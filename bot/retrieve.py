"""Hybrid retrieval: sentence-level score fusion, passage windows, and an explainable coverage rule.

Every sentence of the index is scored against a question by six signals, each standardised over the
index (z-scores) and added with fixed weights (`fuse`):

- chunk cosine: the best cosine of a chunk holding the sentence (its neighbourhood's meaning);
- sentence cosine: the sentence's own cosine (pinpoints the answer inside a chunk);
- lexical: BM25 over "section heading + sentence", as a share of the question's word weight, with the
  runner vocabulary of `knowledge/synonyms.yaml` added to the question's words;
- context: the same BM25 over "section heading + the sentence with its neighbours" (the lexical twin
  of the chunk cosine: "they are no longer serving us" takes its subject from the sentence before);
- catalog: sentences an exercise card quotes, when the question names one of the card's concerns;
- steps: instruction steps (list items that start with a verb: "Hold this position..."), when the
  question asks how to do something ("how do I start...", "step by step").

Two stages keep the cost of a question flat as the library grows. Candidates: the chunks and
sentences FAISS finds nearest, the sentences of those chunks, the BM25 best on the question's telling
words, and the sentences a named concern points at. Up to `exact_search_max` sentences every sentence
is a candidate (a club-sized library is scored exactly). Then fusion: the signals are computed for the
candidates only, and standardised over them; any other sentence (a window's neighbour) is scored on
demand against the same standardisation.

A passage is a window of whole sentences (at most `chunk_chars` characters, inside one section) grown
around a top sentence; windows never overlap, so neighbouring hits are collapsed by construction.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.config import Settings
from bot.embedding import Embedder
from bot.index import DiskRows, Index
from bot.knowledge import Catalog, Matcher
from bot.layout import RARE_MAX, TERM_ZIPF, retired_of
from bot.lexical import (
    NOT_COVERED_FILE,
    PROCEDURAL,
    STOPWORDS,
    STRENGTH_WORDS,
    SYNONYMS_FILE,
    Synonyms,
    Topics,
    Vocabulary,
)
from bot.models import Passage

log = logging.getLogger(__name__)

# The time a question is asked for ("during marathon training", "while training for a marathon", "in
# my race season"): in a strength question, a not-covered topic there is its setting.
SETTING = re.compile(
    r"\b(?:during|while|throughout|in|through)\s+(?:(?:my|a|the|this|our)\s+)?(?:\w+\s+){0,3}?"
    r"(?:training|build(?:up)?|block|season|prep|cycle)(?:\s+for\s+(?:(?:a|an|the|my)\s+)?\w+)?\b",
    re.IGNORECASE,
)
MIN_WINDOW_CHARS = 200
__all__ = ["RARE_MAX", "TERM_ZIPF", "Retrieval", "Retriever", "Window", "fuse", "standardise", "stats_of"]


@dataclass(frozen=True)
class Weights:
    """How much each standardised signal counts in the fused sentence score (`Settings.weight_*`)."""

    chunk: float
    sentence: float
    lexical: float
    context: float
    catalog: float
    steps: float


Stats = tuple[float, float]  # the mean and spread (standard deviation, 0 for a constant) of a signal


def stats_of(values: np.ndarray, mask: np.ndarray | None = None) -> Stats:
    """Mean and spread of `values[mask]` (all by default); a constant signal has spread 0."""
    ref = np.asarray(values, np.float64) if mask is None else np.asarray(values, np.float64)[mask]
    if ref.size == 0:
        return 0.0, 0.0
    spread = float(ref.std())
    return float(ref.mean()), (spread if spread >= 1e-9 else 0.0)


def standardise(values: np.ndarray, mask: np.ndarray | None = None, stats: Stats | None = None) -> np.ndarray:
    """`values` as z-scores over the entries in `mask` (all by default), or against `stats` (of other
    values: a sentence scored later compares with the candidates); a constant signal gives zeros."""
    mean, spread = stats if stats is not None else stats_of(values, mask)
    values = np.asarray(values, np.float64)
    return (values - mean) / spread if spread else np.zeros_like(values)


def fuse(
    signals: Sequence[np.ndarray],
    weights: Sequence[float],
    mask: np.ndarray | None = None,
    raw: Sequence[bool] | None = None,
    stats: Sequence[Stats] | None = None,
) -> np.ndarray:
    """Score-level fusion (pure): the weighted sum of each signal's z-scores over `mask`, or against
    `stats` (one per signal).

    A signal flagged in `raw` is added as is (for 0/1 boosts, whose z-score would depend on how rare
    the boost is). Unlike rank fusion this keeps magnitudes: a clear winner in one signal stays clear.
    """
    if len(signals) != len(weights):
        raise ValueError("one weight per signal")
    flags = raw or [False] * len(signals)
    given: Sequence[Stats | None] = stats or [None] * len(signals)
    total = np.zeros(len(signals[0]) if signals else 0, dtype=np.float64)
    for signal, weight, is_raw, against in zip(signals, weights, flags, given, strict=True):
        if weight:
            value = np.asarray(signal, np.float64)
            total += weight * (value if is_raw else standardise(value, mask, against))
    return total


class Scored:
    """The fused score of sentences for one question: computed for the candidates at search time, and
    for any other sentence on demand, standardised against the candidates (so scores compare)."""

    def __init__(self, retriever: Retriever, query: Query, rows: np.ndarray) -> None:
        self._retriever = retriever
        self._query = query
        self.rows = rows
        # The candidates' vectors, read once: the short answer scores them against each part.
        self._matrix = np.asarray(retriever.index.sentence_vectors[rows], dtype=np.float32)
        signals = retriever.signals_of(query, rows, self._matrix)
        valid = retriever.valid[rows]
        w = retriever.weights
        self._weights = [w.chunk, w.sentence, w.lexical, w.context, w.catalog, w.steps]
        self._raw = [False, False, False, False, True, True]
        self._stats = [stats_of(signal, valid) for signal in signals]
        fused = self._fuse(signals)
        fused[~valid] = np.nan
        self.scores = fused
        self._known: dict[int, float] = dict(zip(rows.tolist(), fused.tolist(), strict=True))
        ok = valid & ~np.isnan(fused)
        self._fused_stats = stats_of(np.nan_to_num(fused), ok)

    def _fuse(self, signals: Sequence[np.ndarray]) -> np.ndarray:
        return fuse(signals, self._weights, raw=self._raw, stats=self._stats)

    def of(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The fused scores of `rows` (NaN for heading lines)."""
        wanted = np.asarray(rows, dtype=np.int64).tolist()
        missing = np.array(sorted({r for r in wanted if r not in self._known}), dtype=np.int64)
        if len(missing):
            fused = self._fuse(self._retriever.signals_of(self._query, missing))
            fused[~self._retriever.valid[missing]] = np.nan
            self._known.update(zip(missing.tolist(), fused.tolist(), strict=True))
        return np.array([self._known[r] for r in wanted], dtype=np.float64)

    def one(self, row: int) -> float:
        known = self._known.get(row)
        return known if known is not None else float(self.of([row])[0])

    def cosine_stats(self, vector: np.ndarray) -> Stats:
        """The mean and spread of the candidates' cosines to `vector`: a cosine's scale in `relevance`."""
        return stats_of(np.asarray(self._matrix @ vector, dtype=np.float64))

    def relevance(self, rows: Sequence[int], vector: np.ndarray) -> dict[int, float]:
        """How well each of `rows` sums up the answer: its cosine to `vector` plus the fused score,
        both standardised over the candidates (heading lines are -inf)."""
        fused = self.of(rows)
        own = standardise(self._retriever.sentence_cosines(vector, rows), stats=self.cosine_stats(vector))
        fitted = standardise(np.nan_to_num(fused), stats=self._fused_stats)
        total = own + np.where(np.isnan(fused), -np.inf, fitted)
        return dict(zip((int(r) for r in rows), total.tolist(), strict=True))


@dataclass(frozen=True)
class Query:
    """What scoring a sentence needs to know of the question."""

    vector: np.ndarray
    terms: tuple[str, ...]
    concern_rows: np.ndarray  # sentences quoted by a card whose concern the question names (sorted)
    procedural: bool
    near_chunks: tuple[int, ...]  # the chunks FAISS found, nearest first


@dataclass(frozen=True)
class Retrieval:
    """What a search found for one question, before it becomes an answer."""

    best_dense: float
    topic_terms: tuple[str, ...]
    shared_terms: tuple[str, ...]
    # Whether the question is plainly about strength training (see `Retriever.strength_question`).
    strength_question: bool = False
    # Whether it names a concern of a catalogued exercise (see `Retriever.concern_question`).
    concern_question: bool = False
    # The fused scores of the sentences (see `Scored`), for building passages and the short answer.
    scored: Scored | None = field(default=None, repr=False, compare=False)
    # The top `top_k` passage windows, best first.
    windows: tuple[Window, ...] = ()
    # Topics from knowledge/not-covered.yaml the question mentions.
    off_topic: tuple[str, ...] = ()
    # Shared topic words that are the articles' own rare terms ("tfl", "hemipelvi").
    specific_terms: tuple[str, ...] = ()
    # The not-covered topic closest in meaning to the question, and its cosine.
    topic_meaning: tuple[str, float] | None = None
    # Question words that left the library with a removed (or rewritten) article, with its title.
    gone: tuple[tuple[str, str], ...] = ()
    # Whether the question names a catalogued exercise.
    names_exercise: bool = False
    # Whether the passages found name it too.
    name_shown: bool = False

    @property
    def sentence_scores(self) -> np.ndarray | None:
        """The fused score of every candidate sentence, by row of `candidates` (tests and tuning)."""
        return None if self.scored is None else self.scored.scores

    @property
    def candidates(self) -> np.ndarray:
        return np.zeros(0, np.int64) if self.scored is None else self.scored.rows


@dataclass(frozen=True)
class Window:
    """A passage: sentences `first..last` of the index, shown as `article.body[start:end]`."""

    article_id: str
    first: int
    last: int
    start: int
    end: int
    score: float
    heading: str


class Retriever:
    """Searches one index; `search(q)` is `batch_search([q])[0]`."""

    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        settings: Settings,
        catalog: Catalog | None = None,
        names: Matcher | None = None,
    ) -> None:
        """`names` is the catalog's exercise matcher, when the caller shares one."""
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.weights = Weights(
            settings.weight_chunk,
            settings.weight_sentence,
            settings.weight_lexical,
            settings.weight_context,
            settings.weight_catalog,
            settings.weight_steps,
        )
        self.vocabulary = Vocabulary()
        self.synonyms = Synonyms.load(self.vocabulary, settings.knowledge_dir / SYNONYMS_FILE)
        self.not_covered = Topics.load(self.vocabulary, settings.knowledge_dir / NOT_COVERED_FILE)
        layout = index.layout
        self.layout = layout
        self.valid = np.asarray(layout.valid)
        self._steps = np.asarray(layout.steps, dtype=np.float64)
        self._lexical = layout.lexical
        self._context = layout.context
        self._rare = layout.rare
        self.retired = retired_of(index.manifest.get("retired"))
        self._strength_stems = frozenset(self.vocabulary.stem(sorted(STRENGTH_WORDS)))
        self._catalog(catalog, names)
        # Embeddings of the not-covered topics (`not_covered.names`), set by the coach once computed.
        self.topic_vectors: np.ndarray | None = None
        # How many FAISS searches ran (the scale benchmark checks every question makes some).
        self.faiss_searches = 0
        for faiss_index in (index.faiss, index.sentence_faiss):
            if hasattr(faiss_index, "nprobe"):
                faiss_index.nprobe = min(faiss_index.nlist, settings.ann_nprobe)
        # The stems of a sentence, remembered: the short answer reads the same sentences again and again.
        self.cached_stems = functools.lru_cache(maxsize=8192)(self._stem_tuple)
        self._sentence_stems = functools.lru_cache(maxsize=65536)(self._stems_of_row)
        self._heading_stems = functools.lru_cache(maxsize=4096)(self._stems_of_heading)

    @property
    def exhaustive(self) -> bool:
        """Whether every sentence is a candidate (a library of at most `exact_search_max` sentences)."""
        return len(self.index.sentences) <= self.settings.exact_search_max

    # -- the layout ------------------------------------------------------------------------------
    def text(self, row: int) -> str:
        refs = self.index.sentences
        body = self.index.articles[refs.article_ids[int(refs.article[row])]].body
        return body[int(refs.start[row]) : int(refs.end[row])]

    def heading(self, row: int) -> str:
        return self.layout.headings[int(self.layout.heading[row])]

    def _stems_of_row(self, row: int) -> frozenset[str]:
        return frozenset(self.vocabulary.stems(self.text(row)))

    def _stems_of_heading(self, heading: str) -> frozenset[str]:
        return frozenset(self.vocabulary.stems(heading))

    def _catalog(self, catalog: Catalog | None, names: Matcher | None) -> None:
        """Exercise concerns (as stem sets), the sentences each card quotes, and the exercise matcher."""
        self._concerns: list[tuple[frozenset[str], np.ndarray]] = []
        self._concern_terms: set[frozenset[str]] = set()
        self.names = names or Matcher(catalog or Catalog({}))
        self._name_stems: dict[str, frozenset[str]] = {}
        if catalog is None:
            return
        self._name_stems = {
            ex.slug: frozenset(self.vocabulary.stems(ex.name)) for ex in catalog.exercises.values()
        }
        quoted: dict[str, set[int]] = {}
        sentences = self.index.sentences
        for slug, aid, start, end in self.names.quotes(self.index.articles):
            lo, hi = sentences.rows(aid)
            first = lo + int(np.searchsorted(sentences.end[lo:hi], start, side="right"))
            last = lo + int(np.searchsorted(sentences.start[lo:hi], end, side="left"))
            quoted.setdefault(slug, set()).update(i for i in range(first, last) if self.valid[i])
        for ex in catalog.exercises.values():
            rows = quoted.get(ex.slug)
            for concern in ex.concerns:
                stems = frozenset(self.vocabulary.stems(concern))
                # One-word concerns ("balance", "hamstrings") are too loose to point at a quote.
                if len(stems) > 1:
                    self._concern_terms.add(stems)
                    if rows:
                        self._concerns.append((stems, np.array(sorted(rows), dtype=np.int64)))

    # -- questions -------------------------------------------------------------------------------
    def topic_terms(self, text: str) -> list[str]:
        """Stemmed content words of a question, negated and generic running words removed."""
        return self.vocabulary.topic(text)

    def question_terms(self, text: str) -> frozenset[str]:
        """Stems of a question's topic words and of the article words its runner words stand for."""
        return frozenset(self.topic_terms(text)) | frozenset(
            self.vocabulary.without_generic(self._expanded(text))
        )

    def _stem_tuple(self, text: str) -> tuple[str, ...]:
        return tuple(self.vocabulary.stems(text))

    def answer_relevance(self, vector: np.ndarray, found: Retrieval, rows: Sequence[int]) -> dict[int, float]:
        """How well each of `rows` sums up the answer: its own cosine to `vector` plus the retrieval's
        fused score, both as z-scores over the candidates (the short answer's relevance; heading
        lines are -inf)."""
        rows = sorted(set(rows))
        if found.scored is None or not rows:
            return dict.fromkeys(rows, 0.0)
        return found.scored.relevance(rows, np.asarray(vector, dtype=np.float32))

    def relevance_shift(
        self, vector: np.ndarray, found: Retrieval, rows: Sequence[int], cosines: np.ndarray
    ) -> np.ndarray:
        """How much the answer relevance of sentences `rows` moves when their cosines to `vector` are
        `cosines` instead of their own vectors' (a sentence read after its heading)."""
        vector = np.asarray(vector, dtype=np.float32)
        spread = found.scored.cosine_stats(vector)[1] if found.scored is not None else 0.0
        if not spread or not len(rows):
            return np.zeros(len(rows))
        return (np.asarray(cosines, np.float64) - self.sentence_cosines(vector, rows)) / spread

    def sentence_cosines(self, vector: np.ndarray, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The cosines of sentences `rows` to a question embedded as `vector`."""
        matrix = self.index.sentence_vectors[np.asarray(rows, dtype=np.int64)]
        return np.asarray(matrix @ np.asarray(vector, dtype=np.float32), dtype=np.float64)

    def closest(self, vector: np.ndarray) -> float:
        """The cosine of the chunk nearest a question embedded as `vector`."""
        found = self._faiss(self.index.faiss, np.asarray(vector, dtype=np.float32)[None], 1)[0]
        return max(found.values(), default=0.0)

    def topic_match(self, vector: np.ndarray) -> tuple[str, float] | None:
        """The not-covered topic closest in meaning to a question embedded as `vector`."""
        if self.topic_vectors is None or not len(self.topic_vectors):
            return None
        sims = self.topic_vectors @ np.asarray(vector, dtype=np.float32)
        best = int(np.argmax(sims))
        return self.not_covered.names[best], float(sims[best])

    def term_weight(self, stem: str) -> float:
        """How much a stem tells about a sentence: its idf over the index (rarest when unseen)."""
        return self._lexical.idf.get(stem, self._lexical.max_idf)

    def terms(self, query: str) -> list[str]:
        """Stems of the articles' own terms the question uses, in words rare in English too."""
        words = [w for w in self.vocabulary.words(query) if len(w) > 2 and w not in STOPWORDS]
        rare = [w for w, s in zip(words, self.vocabulary.stem(words), strict=True) if s in self._rare]
        if not rare:
            return []
        from wordfreq import zipf_frequency

        return list(
            dict.fromkeys(self.vocabulary.stem([w for w in rare if zipf_frequency(w, "en") < TERM_ZIPF]))
        )

    def query_text(self, query: str) -> str:
        """The text to embed for `query`: the question plus the article words its runner words stand for.

        Only the first `query_expansion` words are added: each word lengthens the encode, and more
        measured no better on either question set (BM25 still gets every synonym).
        """
        extra = self.synonyms.expand(query)[: self.settings.query_expansion]
        return f"{query} ({', '.join(extra)})" if extra else query

    def strength_question(self, query: str) -> bool:
        """Whether the question is plainly about strength training: it uses a strength word
        (strength, exercise, lift, gym, squat, ...), names a catalogued exercise, or names a concern of
        one (such as "hip drop")."""
        return self._strength_words(query) or self.concern_question(query)

    def _strength_words(self, query: str) -> bool:
        """Whether the question uses a strength word or names a catalogued exercise."""
        return self._uses_strength_word(query) or bool(self.names(query))

    def _uses_strength_word(self, query: str) -> bool:
        return not self._strength_stems.isdisjoint(self.vocabulary.stem(self.vocabulary.words(query)))

    def concern_question(self, query: str) -> bool:
        """Whether the question names a concern of a catalogued exercise ("hip drop", "weak glutes")."""
        named = self._named(self.vocabulary.words(query))
        return any(concern <= named for concern in self._concern_terms)

    def _expanded(self, query: str) -> list[str]:
        """Stems of the article words the question's runner words stand for (knowledge/synonyms.yaml)."""
        words = self.vocabulary.words(query)
        return self.vocabulary.stems(" ".join(self.synonyms.expand_stems(self.vocabulary.stem(words))))

    def _named(self, words: Sequence[str]) -> set[str]:
        """Stems a question names, with the article words its runner words stand for (for concerns)."""
        expanded = self.synonyms.expand_stems(self.vocabulary.stem(words))
        return set(self.vocabulary.stem_words(words, negation=True)) | set(
            self.vocabulary.stems(" ".join(expanded))
        )

    def search(self, query: str) -> Retrieval:
        return self.batch_search([query])[0]

    def batch_search(self, queries: Sequence[str]) -> list[Retrieval]:
        """Search several questions with one batched encoding (of `query_text` of each)."""
        if not queries:
            return []
        return self.search_vectors(queries, self.embedder.encode([self.query_text(q) for q in queries]))

    def search_vectors(self, queries: Sequence[str], vectors: np.ndarray) -> list[Retrieval]:
        """Search with vectors the caller encoded (best: of `query_text(q)`), one row per query."""
        vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(len(queries), -1))
        if not self.index.chunks or not self.index.sentences:
            return [
                Retrieval(0.0, tuple(self.topic_terms(q)), (), self.strength_question(q)) for q in queries
            ]
        every = self.exhaustive
        chunks = self._faiss(self.index.faiss, vectors, len(self.index.chunks) if every else None)
        # A small library scores every sentence: FAISS finds its candidates only in a large one.
        sentences = [{} for _ in queries] if every else self._faiss(self.index.sentence_faiss, vectors, None)
        return [self._one(query, vectors[q], chunks[q], sentences[q]) for q, query in enumerate(queries)]

    def _faiss(self, faiss_index: Any, vectors: np.ndarray, k: int | None) -> list[dict[int, float]]:
        """The `k` (default `dense_candidates`) nearest rows of each vector in `faiss_index`, with their
        cosines: approximate from an IVF index, so callers rescore them (`_rescored`)."""
        size = faiss_index.ntotal
        k = min(size, k or self.settings.dense_candidates)
        if k <= 0:
            return [{} for _ in vectors]
        import faiss

        self.faiss_searches += 1
        # One question searches fastest on one thread: OpenMP's start-up costs more than it saves
        # (a flat search of 11,000 chunks: 1.1 ms on two threads, 0.35 ms on one).
        threads = faiss.omp_get_max_threads()
        if len(vectors) == 1:
            faiss.omp_set_num_threads(1)
        try:
            scores, rows = faiss_index.search(vectors, k)
        finally:
            faiss.omp_set_num_threads(threads)
        return [
            {int(r): float(s) for r, s in zip(rows[q], scores[q], strict=True) if r >= 0}
            for q in range(len(vectors))
        ]

    def _rescored(
        self, matrix: np.ndarray | DiskRows, vector: np.ndarray, found: dict[int, float]
    ) -> dict[int, float]:
        """`found` with exact cosines, when the index that found them is approximate."""
        if self.exhaustive or not found:
            return found
        rows = np.array(sorted(found), dtype=np.int64)
        return dict(zip(rows.tolist(), (matrix[rows] @ vector).tolist(), strict=True))

    def _query(self, query: str, vector: np.ndarray, near_chunks: Sequence[int]) -> Query:
        words = self.vocabulary.words(query)
        stems = self.vocabulary.stem_words(words, negation=True)
        expanded = self.vocabulary.without_generic(self._expanded(query))
        named = self._named(words)
        concern = [rows for stems_, rows in self._concerns if stems_ <= named]
        return Query(
            vector=vector,
            terms=(*self.vocabulary.without_generic(stems), *expanded),
            concern_rows=np.unique(np.concatenate(concern)) if concern else np.zeros(0, np.int64),
            procedural=PROCEDURAL.search(query) is not None,
            near_chunks=tuple(near_chunks),
        )

    def candidates(self, query: Query, sentence_hits: dict[int, float]) -> np.ndarray:
        """The sentences worth scoring (sorted rows): every one in a small library, else those FAISS
        and BM25 find, those of the chunks FAISS finds, and those a named concern points at."""
        n = len(self.index.sentences)
        if self.exhaustive:
            return np.arange(n, dtype=np.int64)
        s = self.settings
        spans = self.layout.chunk_sentences
        within = [
            np.arange(spans[c][0], spans[c][1] + 1, dtype=np.int64)
            for c in query.near_chunks[: s.chunk_candidates]
        ]
        # A word in more sentences than this is too common to find candidates by (it still scores
        # them): the cost of a question stays flat however large the library grows.
        common = 20 * s.lexical_candidates
        parts = [
            np.fromiter(sentence_hits, dtype=np.int64, count=len(sentence_hits)),
            *within,
            self._lexical.top(query.terms, s.lexical_candidates, common),
            self._context.top(query.terms, s.lexical_candidates, common),
            query.concern_rows,
        ]
        return np.unique(np.concatenate(parts)).astype(np.int64)

    def signals_of(
        self, query: Query, rows: np.ndarray, matrix: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """The six signals of sentences `rows` that `fuse` combines (see the module docstring)."""
        every = len(rows) == len(self.index.sentences)
        pad = len(self.index.chunks)
        holders = np.asarray(self.layout.sentence_chunks[rows], dtype=np.int64)
        chunks, inverse = np.unique(holders, return_inverse=True)
        cos = np.full(len(chunks), -1.0)
        real = chunks != pad
        cos[real] = self.index.vectors[chunks[real]] @ query.vector
        near_chunk = cos[inverse.reshape(holders.shape)].max(axis=1)
        sentence_cos = (
            self.sentence_cosines(query.vector, rows)
            if matrix is None
            else np.asarray(matrix @ query.vector, dtype=np.float64)
        )
        if every:
            lexical = self._lexical.scores(query.terms)
            context = self._context.scores(query.terms)
        else:
            lexical = self._lexical.scores_of(query.terms, rows)
            context = self._context.scores_of(query.terms, rows)
        boost = np.isin(rows, query.concern_rows).astype(np.float64)
        steps = self._steps[rows] if query.procedural else np.zeros(len(rows))
        return [near_chunk, sentence_cos, lexical, context, boost, steps]

    def _one(
        self, query: str, vector: np.ndarray, chunk_hits: dict[int, float], sentence_hits: dict[int, float]
    ) -> Retrieval:
        chunk_cos = self._rescored(self.index.vectors, vector, chunk_hits)
        best_dense = max(chunk_cos.values(), default=0.0)
        state = self._query(query, vector, sorted(chunk_cos, key=chunk_cos.__getitem__, reverse=True))
        scored = Scored(self, state, self.candidates(state, sentence_hits))
        windows = self._windows(scored, self.settings.top_k)
        shown: set[str] = set()
        for win in windows:
            shown |= self._heading_stems(self.heading(win.first))
            for i in range(win.first, win.last + 1):
                shown |= self._sentence_stems(i)
        concern = self.concern_question(query)
        named = self.names(query)
        names_exercise = bool(named)
        # An exercise the question names and the passages found name too ("what's the 100-up?"): the
        # articles speak of it, whatever the cosine of a name the model does not know.
        name_shown = any(self._name_stems.get(slug) and self._name_stems[slug] <= shown for slug in named)
        # The question's topic words, and the article words its runner words stand for.
        topic = list(
            dict.fromkeys([*self.topic_terms(query), *self.vocabulary.without_generic(self._expanded(query))])
        )
        strength = concern or names_exercise or self._uses_strength_word(query)
        # "how often should I lift during marathon training?": in a strength question, a not-covered
        # topic named only as the time it is asked for is its setting, not its subject.
        about = SETTING.sub(" ", query) if strength else query
        return Retrieval(
            best_dense=best_dense,
            topic_terms=tuple(topic),
            shared_terms=tuple(t for t in topic if t in shown),
            specific_terms=tuple(t for t in self.terms(query) if t in shown),
            strength_question=strength,
            concern_question=concern,
            scored=scored,
            windows=tuple(windows),
            off_topic=tuple(self.not_covered.found(about, typos=True)),
            gone=self.gone(query),
            names_exercise=names_exercise,
            name_shown=name_shown,
        )

    def gone(self, query: str) -> tuple[tuple[str, str], ...]:
        """The question's words that only a removed (or rewritten) article used, with its title."""
        if not self.retired:
            return ()
        words = [w for w in self.vocabulary.words(query) if w not in STOPWORDS]
        found = {}
        for word, stem in zip(words, self.vocabulary.stem(words), strict=True):
            entry = self.retired.get(stem)
            # A runner word the synonyms map to the articles' own words ("cadence": stride rate) is
            # still spoken of, whatever article once used it too.
            if entry is not None and stem not in found and not self.synonyms.expand_stems([stem]):
                found[stem] = (word, entry[1])
        return tuple(found.values())

    # -- answers ---------------------------------------------------------------------------------
    def passages(self, found: Retrieval, k: int | None = None) -> list[Passage]:
        """The top `k` passages: verbatim, non-overlapping sentence windows, near-duplicates dropped."""
        k = k or self.settings.top_k
        if found.scored is None:
            return []
        windows = found.windows if len(found.windows) >= k else self._windows(found.scored, k)
        return [
            Passage(
                rank=rank,
                text=self.index.articles[w.article_id].body[w.start : w.end],
                article=self.index.articles[w.article_id],
                heading=w.heading,
                score=round(w.score, 4),
                start=w.start,
                end=w.end,
            )
            for rank, w in enumerate(windows[:k], start=1)
        ]

    def _windows(self, scored: Scored, k: int) -> list[Window]:
        """Up to `k` windows, each grown from the best candidate sentence not yet shown."""
        limit = self.settings.chunk_chars
        refs = self.index.sentences
        used: set[int] = set()
        out: list[Window] = []
        fused = scored.scores
        order = np.argsort(-np.nan_to_num(fused, nan=-np.inf), kind="stable")
        # Score the sentences the first windows could grow into in one go (one read, one BM25 pass).
        seeds = [int(scored.rows[x]) for x in order[: 2 * k]]
        scored.of(sorted({j for i in seeds if self.valid[i] for j in self._reach(i, limit)}))
        for i in (int(scored.rows[x]) for x in order):
            if len(out) >= k or not self.valid[i]:
                break
            if i in used:
                continue
            score = scored.one(i)
            floor = self.settings.passage_floor
            if floor > 0 and out and out[0].score > 0 and score < out[0].score * floor:
                break
            scored.of(self._reach(i, limit))  # score the window's possible sentences in one go
            lo, hi = self._grow(i, scored, used, limit)
            used.update(range(lo, hi + 1))
            aid = refs.article_ids[int(refs.article[i])]
            body = self.index.articles[aid].body
            start, end = int(refs.start[lo]), int(refs.end[hi])
            if end - start > limit:
                start, end = _clip(body, start, end, limit)
            if end - start < MIN_WINDOW_CHARS and any(
                w.article_id == aid and (w.last + 1 == lo or hi + 1 == w.first) for w in out
            ):
                continue  # a scrap squeezed against a passage already shown: show a fuller one instead
            words = frozenset().union(*(self._sentence_stems(j) for j in range(lo, hi + 1)))
            if any(
                _near_duplicate(
                    words, frozenset().union(*(self._sentence_stems(j) for j in range(w.first, w.last + 1)))
                )
                for w in out
            ):
                continue
            out.append(Window(aid, lo, hi, start, end, score, self.heading(i)))
        return out

    def _reach(self, i: int, limit: int) -> range:
        """The sentences of `i`'s section that a window around it could hold."""
        refs, section = self.index.sentences, self.layout.section
        lo, hi = refs.rows(refs.article_ids[int(refs.article[i])])
        first = lo + int(np.searchsorted(refs.start[lo:hi], refs.end[i] - limit, side="left"))
        last = lo + int(np.searchsorted(refs.start[lo:hi], refs.start[i] + limit, side="left"))
        # Always `i` itself, even when it alone is longer than `limit` (a run-on sentence).
        rows = range(min(max(first, lo), i), max(min(last, hi), i + 1))
        return range(
            next(j for j in rows if section[j] == section[i]),
            1 + max(j for j in rows if section[j] == section[i]),
        )

    def _grow(self, i: int, scored: Scored, used: set[int], limit: int) -> tuple[int, int]:
        """Add the better-scoring free neighbour in the same section while the window fits in `limit`."""
        starts, ends, section = self.index.sentences.start, self.index.sentences.end, self.layout.section
        size = len(starts)
        lo = hi = i
        while True:
            best, best_score = None, -np.inf
            for j in (lo - 1, hi + 1):
                if (
                    0 <= j < size
                    and self.valid[j]
                    and j not in used
                    and section[j] == section[i]
                    and int(ends[max(hi, j)]) - int(starts[min(lo, j)]) <= limit
                ):
                    score = scored.one(j)
                    if best is None or score > best_score:
                        best, best_score = j, score
            if best is None:
                return lo, hi
            lo, hi = min(lo, best), max(hi, best)


def _clip(body: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """A single sentence longer than `limit`: its first `limit` characters, cut at a word boundary."""
    cut = body.rfind(" ", start, start + limit + 1)
    stop = cut if cut > start else start + limit
    while stop > start and body[stop - 1].isspace():
        stop -= 1
    return start, stop


def _near_duplicate(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two passages sharing over 90% of the words of the shorter one (e.g. a quote repeated)."""
    return bool(a and b) and len(a & b) / min(len(a), len(b)) > 0.9
