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

A passage is a window of whole sentences (at most `chunk_chars` characters, inside one section) grown
around a top sentence; windows never overlap, so neighbouring hits are collapsed by construction.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bot.chunking import HEADING, sections
from bot.config import Settings
from bot.embedding import Embedder
from bot.index import Index
from bot.knowledge import Catalog, normalise_text
from bot.lexical import (
    NOT_COVERED_FILE,
    PROCEDURAL,
    STOPWORDS,
    STRENGTH_WORDS,
    SYNONYMS_FILE,
    Lexical,
    Synonyms,
    Topics,
    Vocabulary,
    find_phrases,
    is_step,
)
from bot.models import Passage

log = logging.getLogger(__name__)

MIN_WINDOW_CHARS = 200
# A question word found in at most this many sentences (or headings) is one of the articles' own terms.
RARE_MAX = 3
# Words rarer than this in English (Zipf scale: 3 is once per million words) can be the articles' terms.
TERM_ZIPF = 3.0


# cache(kind, key, compute) -> the array `compute()` returns, kept with the index build.
Cache = Callable[[str, Sequence[str], Callable[[], np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Weights:
    """How much each standardised signal counts in the fused sentence score (`Settings.weight_*`)."""

    chunk: float
    sentence: float
    lexical: float
    context: float
    catalog: float
    steps: float


def standardise(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """`values` as z-scores over the entries in `mask` (all by default); a constant signal gives zeros."""
    ref = values if mask is None else values[mask]
    if ref.size == 0:
        return np.zeros_like(values, dtype=np.float64)
    spread = float(ref.std())
    if spread < 1e-9:
        return np.zeros_like(values, dtype=np.float64)
    return (values - float(ref.mean())) / spread


def fuse(
    signals: Sequence[np.ndarray],
    weights: Sequence[float],
    mask: np.ndarray | None = None,
    raw: Sequence[bool] | None = None,
) -> np.ndarray:
    """Score-level fusion (pure): the weighted sum of each signal's z-scores over `mask`.

    A signal flagged in `raw` is added as is (for 0/1 boosts, whose z-score would depend on how rare
    the boost is). Unlike rank fusion this keeps magnitudes: a clear winner in one signal stays clear.
    """
    if len(signals) != len(weights):
        raise ValueError("one weight per signal")
    flags = raw or [False] * len(signals)
    total = np.zeros(len(signals[0]) if signals else 0, dtype=np.float64)
    for signal, weight, is_raw in zip(signals, weights, flags, strict=True):
        if weight:
            total += weight * (np.asarray(signal, np.float64) if is_raw else standardise(signal, mask))
    return total


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
    # Fused score of every index sentence (NaN for heading lines), for building passages.
    sentence_scores: np.ndarray | None = field(default=None, repr=False, compare=False)
    # The top `top_k` passage windows, best first.
    windows: tuple[Window, ...] = ()
    # Topics from knowledge/not-covered.yaml the question mentions.
    off_topic: tuple[str, ...] = ()
    # Shared topic words that are the articles' own rare terms ("tfl", "hemipelvi").
    specific_terms: tuple[str, ...] = ()
    # The not-covered topic closest in meaning to the question, and its cosine.
    topic_meaning: tuple[str, float] | None = None


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
        cache: Cache | None = None,
    ) -> None:
        """`cache(kind, key, compute)` keeps arrays derived from the index with its build (the coach
        gives one), so a start does not recompute them."""
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
        self._layout()
        self._text_stems = [self.vocabulary.stems(t) for t in self._texts]
        docs = [
            [*self.vocabulary.stems(h), *stems]
            for h, stems in zip(self._heading, self._text_stems, strict=True)
        ]
        self._lexical = Lexical(docs)
        self._context = Lexical([self._neighbourhood(i, docs) for i in range(len(docs))])
        self._sentence_stems = [frozenset(stems) for stems in self._text_stems]
        self._heading_stems = {h: frozenset(self.vocabulary.stems(h)) for h in set(self._heading)}
        self._strength_stems = frozenset(self.vocabulary.stem(sorted(STRENGTH_WORDS)))
        key = [
            "rare-terms",
            str(TERM_ZIPF),
            str(RARE_MAX),
            *sorted(a.content_hash for a in index.articles.values()),
        ]
        compute = lambda: np.array(sorted(self._rare_terms()), dtype=str)  # noqa: E731
        self._rare = frozenset(str(t) for t in (cache(*("rare", key, compute)) if cache else compute()))
        self._catalog(catalog)
        # Embeddings of the not-covered topics (`not_covered.names`), set by the coach once computed.
        self.topic_vectors: np.ndarray | None = None
        self._sentences_index: Any = None
        # The stems of a sentence, remembered: the short answer reads the same sentences again and again.
        self.cached_stems = functools.lru_cache(maxsize=8192)(self._stem_tuple)

    # -- set-up --------------------------------------------------------------------------------
    def _layout(self) -> None:
        """Per sentence: text, heading line or not, section, section heading and overlapping chunks."""
        index = self.index
        self._texts: list[str] = []
        self._heading: list[str] = []
        self._section: list[tuple[str, int]] = []
        heads: list[bool] = []
        bounds = {aid: sections(a.body) for aid, a in index.articles.items()}
        chunk_rows: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for aid in index.articles:
            rows = [i for i, c in enumerate(index.chunks) if c.article_id == aid]
            chunk_rows[aid] = (
                np.array(rows, dtype=np.int64),
                np.array([index.chunks[i].start for i in rows], dtype=np.int64),
                np.array([index.chunks[i].end for i in rows], dtype=np.int64),
            )
        overlaps: list[np.ndarray] = []
        for ref in index.sentences:
            article = index.articles[ref.article_id]
            text = article.body[ref.start : ref.end]
            secs = bounds[ref.article_id]
            k = next((j for j, s in enumerate(secs) if s.start <= ref.start < s.end), 0)
            self._texts.append(text)
            self._heading.append((secs[k].heading if secs else "") or article.title)
            self._section.append((ref.article_id, k))
            heads.append(HEADING.match(text) is not None)
            rows, starts, ends = chunk_rows[ref.article_id]
            overlaps.append(rows[(starts < ref.end) & (ends > ref.start)])
        n, m = len(index.sentences), len(index.chunks)
        self._valid = ~np.array(heads, dtype=bool) if n else np.zeros(0, dtype=bool)
        self._steps = np.array([1.0 if is_step(t) else 0.0 for t in self._texts], dtype=np.float64)
        # Chunks holding each sentence as a padded index matrix; the pad (m) points one past the end,
        # where lookups append a floor value, so a best-of is one max.
        self._sentence_chunks = _padded(overlaps, m)

    def _neighbourhood(self, i: int, docs: Sequence[Sequence[str]]) -> list[str]:
        """Heading and words of sentence `i` with the sentences either side of it in its section."""
        out = list(docs[i])
        for j in (i - 1, i + 1):
            if 0 <= j < len(docs) and self._valid[j] and self._section[j] == self._section[i]:
                out += self._text_stems[j]
        return out

    def _rare_terms(self) -> frozenset[str]:
        """Stems of the articles' own terms: words rare in English (wordfreq's Zipf frequency below
        `TERM_ZIPF`, such as "TFL" or "hemipelvi") found in at most `RARE_MAX` places (sentences, and
        headings once each). "Boston" or "pandas" are too common in English to count."""
        from wordfreq import zipf_frequency

        counts: Counter[str] = Counter()
        for stems in (*self._sentence_stems, *self._heading_stems.values()):
            counts.update(stems)
        words = {w for text in (*self._texts, *self._heading_stems) for w in self.vocabulary.words(text)}
        candidates = [w for w in sorted(words) if len(w) > 2 and not w.isdigit() and w not in STOPWORDS]
        return frozenset(
            stem
            for word, stem in zip(candidates, self.vocabulary.stem(candidates), strict=True)
            if counts[stem] <= RARE_MAX and zipf_frequency(word, "en") < TERM_ZIPF
        )

    def _catalog(self, catalog: Catalog | None) -> None:
        """Exercise concerns (as stem sets), the sentences each card quotes, and exercise names."""
        self._concerns: list[tuple[frozenset[str], np.ndarray]] = []
        self._concern_terms: set[frozenset[str]] = set()
        self._names: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        if catalog is None:
            return
        by_article: dict[str, list[int]] = {}
        for i, ref in enumerate(self.index.sentences):
            by_article.setdefault(ref.article_id, []).append(i)
        for ex in catalog.exercises.values():
            quoted: set[int] = set()
            for src in ex.sources:
                quote = normalise_text(src.quote)
                for i in by_article.get(src.article_id, []):
                    text = normalise_text(self._texts[i])
                    if self._valid[i] and len(text) >= 20 and (text in quote or quote in text):
                        quoted.add(i)
            for concern in ex.concerns:
                stems = frozenset(self.vocabulary.stems(concern))
                # One-word concerns ("balance", "hamstrings") are too loose to point at a quote.
                if len(stems) > 1:
                    self._concern_terms.add(stems)
                    if quoted:
                        self._concerns.append((stems, np.array(sorted(quoted), dtype=np.int64)))
            for name in (ex.name, *ex.aliases):
                stems = self.vocabulary.phrase(name)
                if stems:
                    self._names.setdefault(stems[0], []).append((stems, ex.slug))

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

    def answer_relevance(self, vector: np.ndarray, found: Retrieval) -> np.ndarray:
        """How well each index sentence sums up the answer: its own cosine plus the retrieval's fused
        score, both as z-scores (the short answer's relevance; heading lines are -inf)."""
        scores = standardise(self.index.sentence_vectors @ np.asarray(vector, dtype=np.float32))
        if found.sentence_scores is None:
            return scores
        fused = found.sentence_scores
        valid = ~np.isnan(fused)
        return scores + np.where(valid, standardise(np.nan_to_num(fused), valid), -np.inf)

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
        stems = self.vocabulary.stem(self.vocabulary.words(query))
        return not self._strength_stems.isdisjoint(stems) or bool(find_phrases(stems, self._names))

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
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(queries), -1)
        if not self.index.chunks or not self.index.sentences:
            return [
                Retrieval(0.0, tuple(self.topic_terms(q)), (), self.strength_question(q)) for q in queries
            ]
        chunk_cos = self._dense(self.index.faiss, vectors, len(self.index.chunks))
        sentence_cos = self._dense(self._sentence_faiss(), vectors, len(self.index.sentences))
        return [self._one(query, chunk_cos[q], sentence_cos[q]) for q, query in enumerate(queries)]

    def _dense(self, faiss_index: Any, vectors: np.ndarray, size: int) -> np.ndarray:
        """Cosines from a FAISS search: every vector while the index holds at most `exact_search_max`
        (the answers of a club-sized library are exact), else the `dense_candidates` nearest, the rest
        scored as unrelated (-1)."""
        k = size if size <= self.settings.exact_search_max else min(size, self.settings.dense_candidates)
        scores, rows = faiss_index.search(vectors, k)
        out = np.full((len(vectors), size), -1.0, dtype=np.float32)
        for q in range(len(vectors)):
            found = rows[q] >= 0
            out[q, rows[q][found]] = scores[q][found]
        return out

    def _sentence_faiss(self) -> Any:
        """An inner-product FAISS index over the sentence vectors, built on first use."""
        if self._sentences_index is None:
            import faiss

            index = faiss.IndexFlatIP(self.index.sentence_vectors.shape[1])
            index.add(np.ascontiguousarray(self.index.sentence_vectors, dtype=np.float32))
            self._sentences_index = index
        return self._sentences_index

    def signals(self, query: str, chunk_cos: np.ndarray, sentence_cos: np.ndarray) -> list[np.ndarray]:
        """The six per-sentence signals that `fuse` combines (exposed for tuning and tests)."""
        words = self.vocabulary.words(query)
        stems = self.vocabulary.stem_words(words, negation=True)
        expanded = self.vocabulary.without_generic(self._expanded(query))
        terms = [*self.vocabulary.without_generic(stems), *expanded]
        lexical = self._lexical.scores(terms)
        context = self._context.scores(terms)
        near_chunk = np.append(chunk_cos, -1.0)[self._sentence_chunks].max(axis=1)
        boost = np.zeros(len(self._texts))
        named = self._named(words)
        for concern, rows in self._concerns:
            if concern <= named:
                boost[rows] = 1.0
        steps = self._steps if PROCEDURAL.search(query) else np.zeros(len(self._texts))
        return [near_chunk, np.asarray(sentence_cos, np.float64), lexical, context, boost, steps]

    def _one(self, query: str, chunk_cos: np.ndarray, sentence_cos: np.ndarray) -> Retrieval:
        signals = self.signals(query, chunk_cos, sentence_cos)
        w = self.weights
        fused = fuse(
            signals,
            [w.chunk, w.sentence, w.lexical, w.context, w.catalog, w.steps],
            self._valid,
            raw=[False, False, False, False, True, True],
        )
        fused[~self._valid] = np.nan
        windows = self._windows(fused, self.settings.top_k)
        shown: set[str] = set()
        for win in windows:
            shown |= self._heading_stems[self._heading[win.first]]
            for i in range(win.first, win.last + 1):
                shown |= self._sentence_stems[i]
        concern = self.concern_question(query)
        # The question's topic words, and the article words its runner words stand for.
        topic = list(
            dict.fromkeys([*self.topic_terms(query), *self.vocabulary.without_generic(self._expanded(query))])
        )
        return Retrieval(
            best_dense=float(chunk_cos.max()),
            topic_terms=tuple(topic),
            shared_terms=tuple(t for t in topic if t in shown),
            specific_terms=tuple(t for t in self.terms(query) if t in shown),
            strength_question=concern or self._strength_words(query),
            concern_question=concern,
            sentence_scores=fused,
            windows=tuple(windows),
            off_topic=tuple(self.not_covered.found(query)),
        )

    # -- answers ---------------------------------------------------------------------------------
    def passages(self, found: Retrieval, k: int | None = None) -> list[Passage]:
        """The top `k` passages: verbatim, non-overlapping sentence windows, near-duplicates dropped."""
        k = k or self.settings.top_k
        if found.sentence_scores is None:
            return []
        windows = found.windows if len(found.windows) >= k else self._windows(found.sentence_scores, k)
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

    def _windows(self, fused: np.ndarray, k: int) -> list[Window]:
        """Up to `k` windows, each grown from the best sentence not yet shown."""
        limit = self.settings.chunk_chars
        refs = self.index.sentences
        used = ~self._valid.copy()
        out: list[Window] = []
        order = np.argsort(-np.nan_to_num(fused, nan=-np.inf), kind="stable")
        for i in (int(x) for x in order):
            if len(out) >= k or not self._valid[i]:
                break
            if used[i]:
                continue
            score = float(fused[i])
            floor = self.settings.passage_floor
            if floor > 0 and out and out[0].score > 0 and score < out[0].score * floor:
                break
            lo, hi = self._grow(i, fused, used, limit)
            used[lo : hi + 1] = True
            body = self.index.articles[refs[i].article_id].body
            start, end = refs[lo].start, refs[hi].end
            if end - start > limit:
                start, end = _clip(body, start, end, limit)
            if end - start < MIN_WINDOW_CHARS and any(
                w.article_id == refs[i].article_id and (w.last + 1 == lo or hi + 1 == w.first) for w in out
            ):
                continue  # a scrap squeezed against a passage already shown: show a fuller one instead
            words = frozenset().union(*self._sentence_stems[lo : hi + 1])
            if any(
                _near_duplicate(words, frozenset().union(*self._sentence_stems[w.first : w.last + 1]))
                for w in out
            ):
                continue
            out.append(Window(refs[i].article_id, lo, hi, start, end, score, self._heading[i]))
        return out

    def _grow(self, i: int, fused: np.ndarray, used: np.ndarray, limit: int) -> tuple[int, int]:
        """Add the better-scoring free neighbour in the same section while the window fits in `limit`."""
        refs = self.index.sentences
        lo = hi = i
        while True:
            best = None
            for j in (lo - 1, hi + 1):
                if (
                    0 <= j < len(refs)
                    and not used[j]
                    and self._section[j] == self._section[i]
                    and refs[max(hi, j)].end - refs[min(lo, j)].start <= limit
                    and (best is None or fused[j] > fused[best])
                ):
                    best = j
            if best is None:
                return lo, hi
            lo, hi = min(lo, best), max(hi, best)


def _padded(rows: Sequence[np.ndarray], sentinel: int) -> np.ndarray:
    """Ragged integer rows as a matrix, padded with `sentinel`."""
    width = max((len(r) for r in rows), default=0) or 1
    out = np.full((len(rows), width), sentinel, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = r
    return out


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
