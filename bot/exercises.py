"""Exercise suggestion: which catalog entries fit a question, and which cited passage backs each one."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.chunking import sections
from bot.knowledge import Catalog, normalise_text
from bot.models import Article, Passage, Suggestion

Terms = Callable[[str], list[str]]

EASIER = re.compile(r"\b(?:easier|simpler|too\s+hard|too\s+difficult|regress\w*|beginner|can'?t\s+do)\b")
HARDER = re.compile(
    r"\b(?:harder|tougher|too\s+easy|progress(?:ion)?|advanced|next\s+step|more\s+challenging)\b"
)

# Evidence weights: a name in the question outweighs a concern, which outweighs a passage link.
# Tuned on the dev set and eval/extra.jsonl together.
NAMED_IN_QUESTION = 4.0
NAMED_EARLIER = 2.5
CONCERN_FULL = 2.0
CONCERN_PARTIAL = 1.0
QUOTE_IN_PASSAGE = 1.5
NAMED_IN_PASSAGE = 1.25
NAMED_IN_SECTION = 1.0
# A concern close in meaning to the question counts like a matching concern, scaled by similarity.
CONCERN_SIMILAR = 0.5
CONCERN_SIMILAR_FULL = 0.7
MIN_SCORE = 1.0


@dataclass(frozen=True)
class _Scored:
    slug: str
    score: float
    concern: str | None


def concern_list(catalog: Catalog) -> list[tuple[str, str]]:
    """(slug, concern) for every concern of every exercise, in a stable order."""
    return [(slug, c) for slug, ex in sorted(catalog.exercises.items()) for c in ex.concerns]


class Names:
    """Finds catalog names and aliases in text with one compiled pattern; the longest name wins."""

    def __init__(self, catalog: Catalog) -> None:
        names = {normalise_text(name): slug for name, slug in catalog.names().items()}
        self._slug = names
        alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if n)
        self._pattern = re.compile(rf"(?<!\w)(?:{alternation})(?!\w)") if alternation else None

    def __call__(self, text: str) -> list[str]:
        """Slugs named in `text`, in order of first mention."""
        if self._pattern is None:
            return []
        found = (self._slug[m.group(0)] for m in self._pattern.finditer(normalise_text(text)))
        return list(dict.fromkeys(found))


def mentions(text: str, catalog: Catalog) -> list[str]:
    """Slugs named in `text`, in order of first mention."""
    return Names(catalog)(text)


class Suggester:
    """Chooses up to `limit` exercises for an answered question."""

    def __init__(
        self,
        catalog: Catalog,
        terms: Terms,
        limit: int = 3,
        articles: Sequence[Article] = (),
        concern_vectors: np.ndarray | None = None,
    ) -> None:
        """`concern_vectors` holds one embedding per concern, in `concern_list()` order."""
        self.catalog = catalog
        self.limit = limit
        self._terms = terms
        self.names = Names(catalog)
        self._quotes = {
            slug: [normalise_text(src.quote) for src in ex.sources] for slug, ex in catalog.exercises.items()
        }
        self._concerns = {
            slug: [(c, set(terms(c))) for c in ex.concerns] for slug, ex in catalog.exercises.items()
        }
        self._concern_rows = concern_list(catalog)
        self._concern_vectors = concern_vectors
        # Exercises named in each section of each article: a passage speaks for its whole section.
        self._sections = {
            a.id: [(s.start, s.end, set(self.names(a.body[s.start : s.end]))) for s in sections(a.body)]
            for a in articles
        }

    def _similar_concerns(self, vector: np.ndarray | None) -> dict[str, tuple[float, str]]:
        """Per exercise, the concern closest in meaning to the question, scored 0..CONCERN_FULL."""
        if vector is None or self._concern_vectors is None or not len(self._concern_rows):
            return {}
        sims = self._concern_vectors @ np.asarray(vector, dtype=np.float32)
        out: dict[str, tuple[float, str]] = {}
        span = CONCERN_SIMILAR_FULL - CONCERN_SIMILAR
        for (slug, concern), sim in zip(self._concern_rows, sims, strict=True):
            if sim < CONCERN_SIMILAR:
                continue
            score = CONCERN_FULL * min(1.0, 0.5 + 0.5 * (float(sim) - CONCERN_SIMILAR) / span)
            if score > out.get(slug, (0.0, ""))[0]:
                out[slug] = (score, concern)
        return out

    def _section_names(self, p: Passage) -> set[str]:
        for start, end, named in self._sections.get(p.article.id, ()):
            if start <= p.start < end:
                return named
        return set()

    def _concern_score(self, slug: str, words: set[str]) -> tuple[float, str | None]:
        best, label = 0.0, None
        for concern, cterms in self._concerns[slug]:
            if not cterms:
                continue
            share = len(cterms & words) / len(cterms)
            score = (
                CONCERN_FULL if share == 1 else CONCERN_PARTIAL if share >= 0.5 and len(cterms) > 1 else 0.0
            )
            if score > best:
                best, label = score, concern
        return best, label

    def suggest(
        self,
        question: str,
        history: Sequence[str],
        passages: Sequence[Passage],
        vector: np.ndarray | None = None,
    ) -> list[Suggestion]:
        """Exercises for `question` (read with its `history`, embedded as `vector`), tied to passages."""
        named_now = self.names(question)
        named_before = [s for s in self.names(" ".join(history)) if s not in named_now]
        seen = [(p, normalise_text(p.text), self.names(p.text)) for p in passages]
        words = set(self._terms(question)) | (set(self._terms(history[-1])) if history else set())
        similar = self._similar_concerns(vector)
        scored: list[_Scored] = []
        for slug in self.catalog.exercises:
            score, concern = self._concern_score(slug, words)
            if slug in similar and similar[slug][0] > score:
                score, concern = similar[slug]
            if slug in named_now:
                score += NAMED_IN_QUESTION - named_now.index(slug) * 0.1
            elif slug in named_before:
                score += NAMED_EARLIER
            score += self._passage_score(slug, seen)
            if score >= MIN_SCORE:
                scored.append(_Scored(slug, score, concern))
        scored.sort(key=lambda s: -s.score)
        chosen = [s.slug for s in scored]
        chosen = self._variants(question, chosen)
        by_slug = {s.slug: s for s in scored}
        out = []
        for slug in chosen[: self.limit]:
            ex = self.catalog.exercises[slug]
            concern = by_slug[slug].concern if slug in by_slug else None
            out.append(Suggestion(exercise=ex, citation=self._citation(slug, seen), concern=concern))
        return out

    def _variants(self, question: str, chosen: list[str]) -> list[str]:
        """For "is there an easier/harder version?", put the regression or progression first."""
        text = question.lower().replace("’", "'")
        want = "easier" if EASIER.search(text) else "harder" if HARDER.search(text) else None
        if not want or not chosen:
            return chosen
        base = self.catalog.exercises[chosen[0]]
        variant = getattr(base, want)
        if variant is None:
            return chosen
        return [variant, *[s for s in chosen if s != variant]]

    def _passage_score(self, slug: str, seen: Sequence[tuple[Passage, str, list[str]]]) -> float:
        best = 0.0
        for p, text, named in seen:
            if any(q in text for q in self._quotes[slug]):
                best = max(best, QUOTE_IN_PASSAGE / p.rank)
            elif slug in named:
                best = max(best, NAMED_IN_PASSAGE / p.rank)
            elif slug in self._section_names(p):
                best = max(best, NAMED_IN_SECTION / p.rank)
        return best

    def _citation(self, slug: str, seen: Sequence[tuple[Passage, str, list[str]]]) -> int | None:
        """The rank of the first passage that recommends `slug`, else the first that names it."""
        for p, text, _ in seen:
            if any(q in text for q in self._quotes[slug]):
                return p.rank
        for p, _, named in seen:
            if slug in named:
                return p.rank
        return None
