"""The one facade both front ends call: `Coach.ask(question, history) -> Answer`."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from bot import summary
from bot.chunking import display_span
from bot.compose import Templates, cited_first, compose, full_markdown
from bot.config import Settings
from bot.coverage import assess
from bot.embedding import Embedder, EmbeddingError, make_embedder
from bot.exercises import (
    POINTS_BACK,
    Names,
    Suggester,
    another_form,
    concern_list,
    specific_names,
)
from bot.exercises import Weights as SuggestWeights
from bot.index import Index, Refresh, refresh
from bot.knowledge import Catalog, KnowledgeError, find_quote, load_catalog
from bot.models import Answer, Exercise, Passage, Problem, Sentence, Suggestion
from bot.retrieve import Retrieval, Retriever
from bot.safety import red_flags
from bot.text import cap, clean

if TYPE_CHECKING:
    from bot.index import Progress

Notify = Callable[[str], None]
LABELLED_CACHE = 4096  # labelled short-answer texts whose embeddings a coach keeps

# An opening connective, or a reply to what was just said ("cool, what should i pair it with?").
CONNECTOR = re.compile(
    r"^\s*(?:and|so|ok(?:ay)?|also|but|then|what about|how about|"
    r"cool|nice|great|thanks|thx|ta|sweet|perfect|awesome|gotcha|got\s+it|alright|ah|oh)\b",
    re.IGNORECASE,
)
# A follow-up that asks about the exercise under discussion ("how many reps tho", "an easier one?",
# "one leg at a time?").
ABOUT_AN_EXERCISE = re.compile(
    r"\b(?:how\s+(?:many|long|often|heavy|much\s+weight)|reps?|sets?|\d+\s*x\s*\d+|easier|harder|simpler|tougher|"
    r"progress\w*|regress\w*|variations?|versions?|alternatives?|instead|pair\w*|combin\w*|"
    r"(?:one|single|1|both)[\s-]legs?|one\s+side|unilateral\w*)\b",
    re.IGNORECASE,
)
ANAPHORA = re.compile(
    r"\b(?:that|this|it|its|it's|those|these|them|they|there|one|ones|else)\b|\bthen\s*[?.!]*\s*$",
    re.IGNORECASE,
)


# Questions on doing an exercise: how many or how heavy, how far, whether to hold a position.
EXECUTION = frozenset({summary.Kind.AMOUNT, summary.Kind.EXTENT, summary.Kind.HOLD})


def quote_passage(index: Index, exercise: Exercise) -> Passage | None:
    """The passage holding the first quote that recommends `exercise`, as a cited passage."""
    for src in exercise.sources:
        article = index.articles.get(src.article_id)
        span = find_quote(src.quote, article.body) if article else None
        if article is None or span is None:
            continue
        at = span[0]
        for chunk in index.chunks_of(article.id):
            if chunk.start <= at < chunk.end:
                start, end = display_span(chunk)
                return Passage(0, article.body[start:end], article, chunk.heading, 0.0, start, end)
    return None


class CoachError(Exception):
    """A problem the user can fix, told in one clear line."""


@dataclass
class Conversation:
    """The recent questions of one conversation (a terminal chat or a Discord thread)."""

    max_turns: int = 6
    turns: list[str] = field(default_factory=list)

    def add(self, question: str) -> None:
        self.turns.append(question)
        del self.turns[: -self.max_turns or len(self.turns)]

    @property
    def history(self) -> tuple[str, ...]:
        return tuple(self.turns)


@dataclass(frozen=True)
class Loaded:
    """Everything a question needs, swapped as one object on reload."""

    index: Index
    retriever: Retriever
    catalog: Catalog
    suggester: Suggester
    templates: Templates
    problems: tuple[Problem, ...]
    sentence_spans: summary.Spans


class Coach:
    """Loads the index once and answers questions; safe to call from several threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, notify: Notify | None = None):
        self.settings = settings
        self.embedder = embedder or make_embedder(settings.model, settings.backend)
        self.notify = notify or (lambda message: None)
        self._loaded: Loaded | None = None
        self._lock = threading.Lock()
        # Embeddings of labelled short-answer texts ("The Pawback: This concept..."), by text: the same
        # sections come back question after question.
        self._labelled: OrderedDict[str, np.ndarray] = OrderedDict()
        self._labelled_lock = threading.Lock()
        self.last_refresh: Refresh | None = None

    # -- loading -----------------------------------------------------------------------------
    @property
    def loaded(self) -> Loaded:
        if self._loaded is None:
            with self._lock:
                if self._loaded is None:
                    self._loaded = self._load()
        return self._loaded

    def _load(self, force: bool = False, progress: Progress | None = None) -> Loaded:
        try:
            fresh = refresh(self.settings, self.embedder, force=force, progress=progress)
        except KnowledgeError as exc:
            raise CoachError(str(exc)) from exc
        except EmbeddingError as exc:
            raise CoachError(str(exc)) from exc
        return self._loaded_from(fresh)

    def adopt(self, fresh: Refresh) -> Loaded:
        """Answer from the index `refresh` just brought up to date (`coach index` calls it, so what the
        coach derives from a new build, such as the concern embeddings, is stored with it then)."""
        loaded = self._loaded_from(fresh, quiet=True)
        self._loaded = loaded
        return loaded

    def _loaded_from(self, fresh: Refresh, quiet: bool = False) -> Loaded:
        self.last_refresh = fresh
        if fresh.reason and not quiet:
            self.notify(f"Index updated ({fresh.reason}).")
        for problem in () if quiet else fresh.problems:
            # A file that could not be used is skipped; the index folder itself can only warn.
            is_folder = problem.path in (self.settings.index_dir, self.settings.articles_dir)
            self.notify(f"Warning: {problem}" if is_folder else f"Skipped {problem}")
        index = fresh.index
        catalog, catalog_problems = load_catalog(self.settings.exercises_dir, index.articles.values())
        for problem in () if quiet else catalog_problems:
            # A card with a field missing is left out of every answer: worth a word, as a skipped article.
            self.notify(f"Warning: exercise card {problem}")
        if not catalog.exercises and not quiet:
            # Every card gone is worth a word: answers would silently stop suggesting exercises.
            self.notify(f"Warning: no exercise card could be loaded from {self.settings.exercises_dir}")
        # One exercise matcher for retrieval, the suggester and the articles' specific names.
        names = Names(catalog)
        retriever = Retriever(index, self.embedder, self.settings, catalog, names)
        retriever.topic_vectors = self._derived_vectors("topics", retriever.not_covered.names)
        spans = summary.Spans(index.sentences)
        return Loaded(
            index=index,
            retriever=retriever,
            catalog=catalog,
            suggester=Suggester(
                catalog,
                retriever.topic_terms,
                self.settings.max_exercises,
                articles=index.articles,
                concern_vectors=self._concern_vectors(catalog),
                sentences=index.sentences,
                weights=SuggestWeights.of(self.settings),
                specific=self._specific_names(catalog, index, names),
                names=names,
            ),
            templates=Templates(self.settings.prompts_dir),
            problems=(*fresh.problems, *catalog_problems),
            sentence_spans=spans,
        )

    def _concern_vectors(self, catalog: Catalog) -> np.ndarray:
        """Embeddings of the catalog's concerns (see `_derived_vectors`)."""
        return self._derived_vectors("concerns", [c for _, c in concern_list(catalog)])

    def _specific_names(self, catalog: Catalog, index: Index, names: Names) -> dict[str, dict[str, str]]:
        """`exercises.specific_names` of every article, kept with the build (see `_cached`)."""
        key = [*sorted(catalog.names()), *(f"{aid}:{a.content_hash}" for aid, a in index.articles.items())]

        def compute() -> np.ndarray:
            rows = [
                (aid, short, main)
                for aid, article in index.articles.items()
                for short, main in specific_names(names, article.body).items()
            ]
            return np.array(rows, dtype=str).reshape(len(rows), 3)

        out: dict[str, dict[str, str]] = {}
        for aid, short, main in self._cached("specific", key, compute).tolist():
            out.setdefault(aid, {})[short] = main
        return out

    def _derived_vectors(self, kind: str, texts: list[str]) -> np.ndarray:
        """Embeddings of `texts`, cached with the index build (see `_cached`)."""
        if not texts:
            return np.zeros((0, 1), np.float32)
        vectors = self._cached(kind, [self.embedder.model_id, *texts], lambda: self.embedder.encode(texts))
        if vectors.shape != (len(texts), self.embedder.dimension):
            return self.embedder.encode(texts)
        return vectors

    def _cached(self, kind: str, key: Sequence[str], compute: Callable[[], np.ndarray]) -> np.ndarray:
        """An array derived from the index, cached with the build just loaded (`last_refresh`) under a
        hash of `key` and listed with its checksum in the build's manifest: a missing, damaged or
        tampered cache is recomputed, and a read-only index folder only costs computing it again."""
        import hashlib

        from bot.index import read_derived, write_derived

        digest = hashlib.sha256("\x00".join(key).encode()).hexdigest()[:16]
        name = f"{kind}-{digest}.npy"
        index = self.last_refresh.index if self.last_refresh is not None else None
        cached = read_derived(index, kind, name) if index is not None else None
        if cached is not None:
            return cached
        array = compute()
        if index is not None:
            write_derived(index, kind, name, array)
        return array

    def reload(self, progress: Progress | None = None) -> Refresh:
        """Bring the index up to date with the knowledge folder and swap it in atomically."""
        loaded = self._load(progress=progress)
        self._loaded = loaded
        assert self.last_refresh is not None
        return self.last_refresh

    # -- questions ---------------------------------------------------------------------------
    def check_question(self, question: str) -> str:
        """The question cleaned (see `bot.text`), or a `CoachError` saying what is wrong with it."""
        if not isinstance(question, str):
            raise CoachError("Please send the question as text.")
        text = clean(question)
        if not text:
            raise CoachError("Please type a question: it was empty.")
        if not any(ch.isalnum() for ch in text):
            raise CoachError("Please type a question in words: it had no letters or digits.")
        if len(text) > self.settings.max_question_chars:
            raise CoachError(
                f"That question is {len(text)} characters long; please keep it under "
                f"{self.settings.max_question_chars}."
            )
        return text

    def check_history(self, history: Sequence[str]) -> tuple[str, ...]:
        """The last `history_turns` earlier questions, each cleaned and capped at `max_history_chars`."""
        if isinstance(history, str) or not all(isinstance(h, str) for h in history):
            raise CoachError("The conversation history must be a list of earlier questions (text).")
        keep = history[-self.settings.history_turns :] if self.settings.history_turns else []
        turns = (cap(clean(h), self.settings.max_history_chars) for h in keep)
        return tuple(t for t in turns if t)

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        """Answer one question, read in the light of the earlier questions of the conversation."""
        return self.ask_many([(question, history)])[0]

    def ask_many(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Answer]:
        """Answer several questions with one batched encoding; a bad question raises `CoachError`."""
        answers = self.ask_each(items)
        for a in answers:
            if isinstance(a, CoachError):
                raise a
        return [a for a in answers if isinstance(a, Answer)]

    def ask_each(self, items: Sequence[tuple[str, Sequence[str]]]) -> list[Answer | CoachError]:
        """Answer several questions with one batched encoding, each on its own: a bad question gets its
        `CoachError` in its place and the others their answers."""
        out: list[Answer | CoachError | None] = []
        good: list[tuple[int, str, tuple[str, ...]]] = []
        for at, (question, history) in enumerate(items):
            try:
                # A misspelt exercise name is read as meant ("hip thursts"), as red-flag words are.
                asked, before = self.check_question(question), self.check_history(history)
                mend = self.loaded.suggester.names.mended
                good.append((at, mend(asked), tuple(mend(turn) for turn in before)))
                out.append(None)
            except CoachError as exc:
                out.append(exc)
        if good:
            for (at, _, _), answer in zip(good, self._answer_all([(q, h) for _, q, h in good]), strict=True):
                out[at] = answer
        return [a for a in out if a is not None]

    def _answer_all(
        self, cleaned: Sequence[tuple[str, tuple[str, ...]]], discussed: bool = True
    ) -> list[Answer]:
        loaded = self.loaded
        queries = [self.query(q, h) for q, h in cleaned]
        # Runner words are expanded with the articles' words before embedding ("hammies" -> hamstrings);
        # a follow-up is also embedded on its own, to tell what it is about ("what should I eat before
        # that?" is about food, whatever came before).
        own = [
            loaded.retriever.query_text(q)
            for (q, _), query in zip(cleaned, queries, strict=True)
            if query != q
        ]
        encoded = self.embedder.encode([*(loaded.retriever.query_text(q) for q in queries), *own])
        vectors, rest = encoded[: len(queries)], iter(encoded[len(queries) :])
        # A follow-up's own vector, or the question's where it is no follow-up.
        alone = [
            next(rest) if query != q else vec
            for (q, _), query, vec in zip(cleaned, queries, vectors, strict=True)
        ]
        found = [
            replace(hits, topic_meaning=loaded.retriever.topic_match(own_vec))
            for own_vec, hits in zip(alone, loaded.retriever.search_vectors(queries, vectors), strict=True)
        ]
        return [
            self._answer(loaded, q, h, query, vec, own_vec, hits, discussed)
            for (q, h), query, vec, hits, own_vec in zip(cleaned, queries, vectors, found, alone, strict=True)
        ]

    def query(self, question: str, history: Sequence[str]) -> str:
        """The text to search for: a follow-up ("what helps with that?") is joined to the turn that set
        the conversation's subject: the last turn, or, when that was a follow-up itself ("how many sets
        of those?"), the turn it went on from."""
        if not history or not self.is_follow_up(question):
            return question
        k = len(history) - 1
        while k > 0 and self.is_follow_up(history[k]):
            k -= 1
        return f"{self._moved_on(history[k], question)} {question}"

    def _moved_on(self, before: str, question: str) -> str:
        """The earlier turn asked of the exercise a follow-up moves on to: after "how many sets of hip
        thrusts?", "ok and what about lunges?" asks how many sets of lunges. Unchanged when the
        follow-up names no single new exercise, or points back at the earlier one ("how are they
        different from squats?")."""
        names = self.loaded.suggester.names
        now, then = names(question), names(before)
        if len(now) != 1 or not then or now[0] in then or POINTS_BACK.search(question):
            return before
        return names.without(before, instead=self.loaded.catalog.exercises[now[0]].name.lower())

    def is_follow_up(self, question: str) -> bool:
        """A short question that goes on from the last turn: it opens on a connective ("and for
        hills?"), has at most one topic word, points back ("what helps with that?"), or asks about
        reps, sets or a version of an exercise it does not name ("how many reps tho"); a request for an
        easier or harder version of one it does not name is one however long ("how do i make it harder
        once the basic version gets easy")."""
        terms = self.loaded.retriever.topic_terms(question)
        if CONNECTOR.match(question) or len(terms) <= 1 or (len(terms) <= 3 and ANAPHORA.search(question)):
            return True
        if self.loaded.suggester.names(question):
            return False
        return (len(terms) <= 3 and ABOUT_AN_EXERCISE.search(question) is not None) or (
            summary.question_kind(question) is summary.Kind.VERSION
        )

    def _answer(
        self,
        loaded: Loaded,
        question: str,
        history: Sequence[str],
        query: str,
        vector: np.ndarray,
        alone: np.ndarray,
        found: Retrieval,
        discussed: bool = True,
    ) -> Answer:
        """The answer to `question`, found by `query` (embedded as `vector`); `alone` is the question's
        own vector (`vector` itself unless it is a follow-up joined to an earlier turn)."""
        safety = red_flags(question)
        if safety is None and query != question:
            safety = red_flags(history[-1])
            if safety is not None:
                safety = replace(safety, earlier=history[-1])
        context = history if query != question else ()
        focus = self._under_discussion(loaded, question, history) if context and discussed else None
        if focus is not None:
            # "how many reps tho" about the card just suggested is about that exercise, not about
            # training programmes in general (a not-covered topic it is close to in meaning).
            found = replace(found, topic_meaning=None)
        elif context and (own := loaded.retriever.not_covered.found(question)):
            # "which shoes should I wear for them?" after hip thrusts is about shoes: a follow-up is
            # judged on its own subject, and on how close its own words come to a passage.
            found = replace(found, off_topic=tuple(own), best_dense=loaded.retriever.closest(alone))
        if summary.question_kind(question) is summary.Kind.HOLD:
            # "do i pause at the bottom or come straight back up?" asks how to do an exercise, named or not.
            found = replace(found, strength_question=True)
        # "how many sets of lunges, and which shoes should i wear?": the shoes are a part of their own,
        # said to be not covered; the lunges are still answered.
        asked, left_out = self._covered_parts(loaded, question) if safety is None else (question, [])
        setting = self._setting_topics(loaded, question) if found.off_topic else []
        if setting:
            found = replace(found, off_topic=tuple(t for t in found.off_topic if t not in setting))
        if left_out:  # the question's closeness to a not-covered topic is that part's too
            found = replace(
                found,
                off_topic=tuple(t for t in found.off_topic if not any(t in u for u in left_out)),
                topic_meaning=None,
            )
        coverage = assess(found, self.settings)
        covered = coverage.covered
        passages = loaded.retriever.passages(found) if covered else []
        top = passages[: self.settings.top_k]
        # The earlier turn found the subject's passages; which of their sentences answers a follow-up
        # ("how deep do I go on it?") is for the follow-up's own words to tell.
        sentences = self._summarise(loaded, asked, context, top, alone, found) if top else []
        suggestions: list[Suggestion] = []
        if covered and safety is None:
            # The passages the short answer quotes are the question's best evidence for a card too.
            quoted = list(dict.fromkeys(s.citation for s in sentences))
            lead = (sentences[0].article_id, sentences[0].start, sentences[0].end) if sentences else None
            suggestions = loaded.suggester.suggest(question, context, passages, vector, focus, quoted, lead)
            passages, suggestions = self._cite_exercises(loaded, passages, suggestions)
        passages, sentences, suggestions = cited_first(passages, sentences, suggestions)
        cited = {s.citation for s in sentences}
        spans = {p.article.id: loaded.sentence_spans.of(p.article.id) for p in passages}
        limit = self.settings.chunk_chars
        passages = [summary.holding(p, sentences, spans[p.article.id], limit) for p in passages]
        shown = [
            part
            for p in passages
            if p.rank in cited
            for part in summary.trimmed(p, sentences, spans[p.article.id])
        ]
        # The other sources found, and any a card cites (the passage recommending it, added for it):
        # every citation a member reads points at a passage the answer shows or lists.
        carded = {s.citation for s in suggestions}
        see_also = [
            p.rank
            for k, p in enumerate(passages)
            if p.rank not in cited and (k < self.settings.top_k or p.rank in carded)
        ]
        return compose(
            loaded.templates,
            question,
            history,
            covered,
            passages,
            sentences,
            suggestions,
            safety,
            loaded.index.articles,
            see_also,
            shown,
            coverage,
            left_out,
        )

    def _covered_parts(self, loaded: Loaded, question: str) -> tuple[str, list[str]]:
        """The question without its parts on a not-covered topic, and those topics: "should i squat
        before runs and what should i eat after?" is answered on squats and says food is not covered."""
        parts = summary.question_parts(question)
        if len(parts) < 2:
            return question, []
        kept, left_out = [], []
        for part in parts:
            topics = loaded.retriever.not_covered.found(part, typos=True)
            if topics and not loaded.suggester.names(part):
                left_out += [t for t in topics if t not in left_out]
            else:
                kept.append(part)
        # What is left must be plainly about strength training ("how many sets of lunges"), not the rest
        # of a question on the topic ("best shoes for flat feet? my current pair is totally done").
        label = summary.LABEL.match(question)
        subject = label.group(0) if label else ""  # "runner deadlift: how low, ..."
        if not left_out or not kept or not all(loaded.retriever.strength_question(subject + p) for p in kept):
            return question, []
        left_out = [t for t in left_out if not any(t != u and t in u for u in left_out)]  # "protein shake"
        return subject + "? ".join(kept) + "?", left_out

    def _setting_topics(self, loaded: Loaded, question: str) -> list[str]:
        """Not-covered topics named only in what the member says beside a strength question, not in
        what they ask: "wil lifting make my legs bulky? dont want to carry extra muscle on race day"
        asks about lifting; race day is its setting."""
        asking, said = summary.asking_and_said(question)
        retriever = loaded.retriever
        found = retriever.not_covered.found

        def own_subject(piece: str) -> bool:
            # "where should my head be pointing on steep climbs? i always end up staring at my shoes":
            # a question that points back at nothing said beside it, with words of its own, is about them.
            return ANAPHORA.search(piece) is None and len(retriever.topic_terms(piece)) >= 2

        if not said or not all(retriever.strength_question(p) or own_subject(p) for p in asking):
            return []
        named = {t for p in asking for t in found(p, typos=True)}
        return [t for p in said for t in found(p, typos=True) if t not in named]

    def _under_discussion(self, loaded: Loaded, question: str, history: Sequence[str]) -> str | None:
        """The exercise a follow-up about reps, sets, time or an easier or harder version is about:
        the one named in it, else the first card of the answer to the turn before."""
        if not ABOUT_AN_EXERCISE.search(question) or loaded.suggester.names(question):
            return None
        named = loaded.suggester.names(history[-1])
        # "is there an easier thing to start with [than hip thrusts]?" turned the talk to the version
        # its answer gave first (the Glute Bridge), not to the exercise it named.
        if named and summary.question_kind(history[-1]) is not summary.Kind.VERSION:
            return named[0]
        [before] = self._answer_all([(history[-1], tuple(history[:-1]))], discussed=False)
        return before.exercises[0].exercise.slug if before.exercises else None

    def _summarise(
        self,
        loaded: Loaded,
        question: str,
        context: Sequence[str],
        top: list[Passage],
        vector: np.ndarray,
        found: Retrieval,
    ) -> list[Sentence]:
        """The short answer: the sentences of the top passages that answer the question (`context`:
        the earlier turns a follow-up goes on from, else empty)."""
        retriever = loaded.retriever
        spans = loaded.sentence_spans
        rows = [i for p in top for i in spans.within(p.article.id, p.start, p.end)]

        suggester = loaded.suggester
        names = suggester.names
        asked = names(" ".join([question, *context[-1:]]))
        # A follow-up about an exercise ("what weight should i start with tho") is answered from the
        # passages that speak of it.
        on_subject = (
            {p.rank for p in top if set(asked) & set(names(f"{p.article.title} {p.heading} {p.text}"))}
            if context and asked and summary.question_kind(question) in EXECUTION
            else set()
        )

        def pool_for(v: np.ndarray) -> list[summary.Candidate]:
            relevance = retriever.answer_relevance(v, found, rows)
            pool = self._as_read(
                loaded, summary.candidates(top, spans, relevance, self.settings.summary_chars), v, found
            )
            return [
                replace(
                    c,
                    other_form=another_form(names, c.shown, asked),
                    recommends=suggester.recommends(c.article_id, c.start, c.end),
                    off_subject=bool(on_subject) and c.citation not in on_subject,
                )
                for c in pool
            ]

        pool = pool_for(vector)
        # A question in several parts: each part's sentences are scored against that part on its own
        # ("sore lower back?" is not "how low?"), with the question's subject.
        parts = summary.question_parts(question)[: self.settings.summary_sentences]
        part_pools = None
        if len(parts) > 1:
            subject = summary.question_subject(question)
            part_pools = [pool_for(v) for v in self.embedder.encode([f"{subject} {part}" for part in parts])]
        picked = summary.select(
            question,
            pool,
            summary.Lexicon(retriever.cached_stems, retriever.question_terms, retriever.term_weight),
            context=" ".join(context[-1:]),
            max_sentences=self.settings.summary_sentences,
            max_chars=self.settings.summary_chars,
            part_pools=part_pools,
        )
        return summary.as_sentences(picked)

    def _as_read(
        self, loaded: Loaded, candidates: list[summary.Candidate], vector: np.ndarray, found: Retrieval
    ) -> list[summary.Candidate]:
        """Judge a labelled sentence as the member reads it, after its heading ("The Pawback: This
        concept was introduced..."): its cosine to the question is that of the labelled text, not of
        the bare sentence, which lacks its subject."""
        marked = [k for k, c in enumerate(candidates) if c.label]
        if not marked:
            return candidates
        shown = self._labelled_vectors(list(dict.fromkeys(candidates[k].shown for k in marked)))
        spans = loaded.sentence_spans
        # A candidate's relevance is that of its last sentence (a pair's leaning one).
        rows = [
            spans.within(candidates[k].article_id, candidates[k].start, candidates[k].end)[-1] for k in marked
        ]
        cosines = np.array([shown[candidates[k].shown] @ vector for k in marked])
        shift = loaded.retriever.relevance_shift(vector, found, rows, cosines)
        out = list(candidates)
        for k, d in zip(marked, shift, strict=True):
            out[k] = replace(out[k], relevance=out[k].relevance + float(d))
        return out

    def _labelled_vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The embeddings of `texts`, encoding only those not met before (the last `LABELLED_CACHE`)."""
        with self._labelled_lock:
            known = {t: self._labelled[t] for t in texts if t in self._labelled}
        missing = [t for t in texts if t not in known]
        if missing:
            known.update(zip(missing, self.embedder.encode(missing), strict=True))
            with self._labelled_lock:
                for t in missing:
                    self._labelled[t] = known[t]
                while len(self._labelled) > LABELLED_CACHE:
                    self._labelled.popitem(last=False)
        return known

    def _cite_exercises(
        self, loaded: Loaded, passages: list[Passage], suggestions: list[Suggestion]
    ) -> tuple[list[Passage], list[Suggestion]]:
        """Give every suggestion a passage: add the passage that recommends it when none is listed."""
        out = []
        for s in suggestions:
            if s.citation is None:
                extra = quote_passage(loaded.index, s.exercise)
                if extra is not None:
                    same = next(
                        (p for p in passages if p.article.id == extra.article.id and p.start == extra.start),
                        None,
                    )
                    if same is None:
                        extra = replace(extra, rank=len(passages) + 1)
                        passages = [*passages, extra]
                    s = replace(s, citation=(same or extra).rank)
            out.append(s)
        return passages, out

    # -- catalog and sources -----------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        return self.loaded.catalog

    def exercise(self, name: str) -> Exercise | None:
        return self.loaded.catalog.find(name)

    def card(self, exercise: Exercise, flavour: str = "md", reason: str = "", compact: bool = False) -> str:
        """An exercise card rendered from its template (`compact`: the reason, the cue and the dose)."""
        loaded = self.loaded
        ex = loaded.catalog.exercises
        sources = [
            {"quote": src.quote, "title": loaded.index.articles[src.article_id].title}
            for src in exercise.sources
            if src.article_id in loaded.index.articles
        ]
        return loaded.templates.render(
            f"exercise_card.{flavour}.j2",
            ex=exercise,
            easier=ex.get(exercise.easier or ""),
            harder=ex.get(exercise.harder or ""),
            sources=sources,
            reason=reason,
            compact=compact,
        )

    def full_text(self, answer: Answer) -> str:
        """The answer's Markdown with every passage in full (`coach ask --full`)."""
        return full_markdown(self.loaded.templates, answer)

    def help_text(self, flavour: str = "md") -> str:
        loaded = self.loaded
        return loaded.templates.render(
            f"help.{flavour}.j2",
            count=len(loaded.index.articles),
            exercise_hint='`coach exercises "hip thrust"`' if flavour == "md" else "`/exercise`",
        )
