"""Exercise suggestion: which catalog entries fit a question, and which cited passage backs each one."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.knowledge import Catalog, normalise_text
from bot.models import Passage, Suggestion

Terms = Callable[[str], list[str]]

EASIER = re.compile(r"\b(?:easier|simpler|too\s+hard|too\s+difficult|regress\w*|beginner|can'?t\s+do)\b")
HARDER = re.compile(
    r"\b(?:harder|tougher|too\s+easy|progress(?:ion)?|advanced|next\s+step|more\s+challenging)\b"
)

# Evidence weights: a name in the question outweighs a concern, which outweighs a passage link.
NAMED_IN_QUESTION = 4.0
NAMED_EARLIER = 2.5
CONCERN_FULL = 2.0
CONCERN_PARTIAL = 1.0
QUOTE_IN_PASSAGE = 1.5
NAMED_IN_PASSAGE = 0.75
MIN_SCORE = 1.5


@dataclass(frozen=True)
class _Scored:
    slug: str
    score: float
    concern: str | None
    direct: bool


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

    def __init__(self, catalog: Catalog, terms: Terms, limit: int = 3) -> None:
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

    def suggest(self, question: str, history: Sequence[str], passages: Sequence[Passage]) -> list[Suggestion]:
        """Exercises for `question` (read with its `history`), each tied to a passage where one backs it."""
        named_now = self.names(question)
        named_before = [s for s in self.names(" ".join(history)) if s not in named_now]
        seen = [(p, normalise_text(p.text), self.names(p.text)) for p in passages]
        words = set(self._terms(question)) | (set(self._terms(history[-1])) if history else set())
        scored: list[_Scored] = []
        for slug in self.catalog.exercises:
            score, concern = self._concern_score(slug, words)
            direct = slug in named_now or slug in named_before or score > 0
            if slug in named_now:
                score += NAMED_IN_QUESTION - named_now.index(slug) * 0.1
            elif slug in named_before:
                score += NAMED_EARLIER
            score += self._passage_score(slug, seen)
            if direct and score >= MIN_SCORE:
                scored.append(_Scored(slug, score, concern, direct))
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
