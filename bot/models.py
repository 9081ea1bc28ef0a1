"""Plain frozen dataclasses flowing between the stages: Article -> Chunk -> Passage -> Answer."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

# A dose is a count with its unit: "2–3 sets of 8 reps", "30–60 seconds per area", "a few easy reps".
# "Hold this position for two to three breaths" is a cue, and "low reps and heavy weights" advice.
_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|a\s+few|several)"
_UNIT = (
    r"(?:sets?|reps?|repetitions?|rotations?|rounds?|seconds?|secs?|minutes?|mins?|metres?|meters?|"
    r"yards?|km|miles?|steps?|times?\s+(?:a|per)\s+week|sessions?)"
)
DOSE = re.compile(
    rf"\b{_COUNT}\b(?:\W+\w+){{0,2}}?\W+{_UNIT}\b|\b{_UNIT}\b\W+(?:\w+\W+){{0,1}}{_COUNT}\b", re.I
)


@dataclass(frozen=True)
class Article:
    """One knowledge article: front matter plus verbatim Markdown body."""

    id: str
    title: str
    body: str
    path: Path
    content_hash: str
    author: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None


@dataclass(frozen=True)
class Problem:
    """A validation problem in one knowledge file, reported instead of raised."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path.name}: {self.message}"


@dataclass(frozen=True)
class Chunk:
    """A verbatim slice `article.body[start:end]` under one heading."""

    id: str
    article_id: str
    heading: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A cited passage as shown to a member (<= 1,000 characters, verbatim)."""

    rank: int
    text: str
    article: Article
    heading: str
    score: float
    start: int
    end: int


@dataclass(frozen=True)
class SourceQuote:
    """An article passage that recommends an exercise."""

    article_id: str
    quote: str


@dataclass(frozen=True)
class Exercise:
    """One entry of the maintainer-edited exercise catalog."""

    slug: str
    name: str
    aliases: tuple[str, ...]
    concerns: tuple[str, ...]
    steps: tuple[str, ...]
    cue: str
    faults: tuple[str, ...] = ()
    dosage: str | None = None
    dosage_is_quote: bool = False
    equipment: tuple[str, ...] = ()
    level: str = "beginner"
    easier: str | None = None
    harder: str | None = None
    sources: tuple[SourceQuote, ...] = ()
    notes: str = ""

    @property
    def dose(self) -> str | None:
        """The dosage when it is a dose (sets, reps, time or distance); a cue or advice is left out."""
        return self.dosage if self.dosage and DOSE.search(self.dosage) else None


@dataclass(frozen=True)
class Suggestion:
    """An exercise chosen for an answer, with the reason and the passage it rests on."""

    exercise: Exercise
    reason: str = ""
    citation: int | None = None
    # The member's words for the problem the card addresses, when they named one.
    concern: str | None = None
    # Whether the member named the exercise (now or earlier in the conversation).
    named: bool = False
    # Whether it is the exercise under discussion, which a follow-up ("how many reps?") asks about
    # without naming it.
    discussed: bool = False


@dataclass(frozen=True)
class Safety:
    """Red flags found in a question; `level` is "see-professional" or "emergency"."""

    flags: tuple[str, ...]
    level: str
    # The earlier turn the flags were found in, when the question itself raised none ("ok so what
    # about glute bridges" after "my knee popped and it's swollen").
    earlier: str = ""

    @property
    def emergency(self) -> bool:
        return self.level == "emergency"


@dataclass(frozen=True)
class Sentence:
    """A key sentence of the short answer, verbatim from passage `citation`: `article.body[start:end]`
    (two sentences when the first is needed to make sense of the second)."""

    text: str
    citation: int
    article_id: str = ""
    start: int = 0
    end: int = 0
    # The heading (or article title) the sentence leans on when it opens its section, shown before it.
    label: str = ""


@dataclass(frozen=True)
class Coverage:
    """What decided whether the articles cover a question: the closest passage's cosine, and the
    not-covered topic it named (`by_words`) or came closest to in meaning, with that cosine; or a
    word of the question only a removed article used (`topic`), with that article's title."""

    covered: bool
    passage_score: float
    topic: str | None = None
    topic_score: float | None = None
    by_words: bool = False
    removed_article: str | None = None


@dataclass(frozen=True)
class Answer:
    """Everything a front end needs to show an answer."""

    question: str
    answered: bool
    passages: tuple[Passage, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    # Ranks of the top passages the short answer does not cite, offered as "See also".
    see_also: tuple[int, ...] = ()
    # The passages the short answer cites, trimmed to the sentences around the cited ones.
    shown: tuple[Passage, ...] = ()
    exercises: tuple[Suggestion, ...] = ()
    safety: Safety | None = None
    coverage: Coverage | None = None
    # The Markdown a member reads (`compose.full_markdown` gives every passage in full).
    text: str = ""
    history: tuple[str, ...] = field(default=())
    # For "how many sets and reps?" when no passage found gives a number: the first card, whose dose
    # (the club's guidance, not the articles') is offered instead.
    card_dose: Suggestion | None = None
    # Not-covered topics a part of the question asks about ("...and what should i eat after?"): that
    # part is said to be not covered, not answered from a passage about something else.
    left_out: tuple[str, ...] = ()


def article_ranges(column: np.ndarray, article_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Each article's rows `lo:hi` in a table stored grouped by article (`column`: the article of
    each row, as a position in `article_ids`)."""
    if not len(column):
        return {}
    edges = [0, *(np.flatnonzero(np.diff(column)) + 1).tolist(), len(column)]
    return {article_ids[int(column[lo])]: (lo, hi) for lo, hi in itertools.pairwise(edges)}


class SentenceRef(NamedTuple):
    """One sentence: `articles[article_id].body[start:end]`."""

    article_id: str
    start: int
    end: int


class Sentences(Sequence[SentenceRef]):
    """The index's sentences as three arrays (article, start, end), grouped by article: 800,000 of
    them load in milliseconds, and an article's are found without a scan (`rows`)."""

    def __init__(self, article_ids: Sequence[str], spans: np.ndarray) -> None:
        self.article_ids = list(article_ids)
        self.spans = spans
        self.article, self.start, self.end = spans[:, 0], spans[:, 1], spans[:, 2]
        self._ranges: dict[str, tuple[int, int]] | None = None

    @classmethod
    def of(cls, refs: Sequence[tuple[str, int, int]], article_ids: Sequence[str]) -> Sentences:
        order = {aid: k for k, aid in enumerate(article_ids)}
        spans = np.array([(order[aid], start, end) for aid, start, end in refs], dtype=np.int32)
        return cls(article_ids, spans.reshape(len(refs), 3))

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        a, start, end = self.spans[i]
        return SentenceRef(self.article_ids[a], int(start), int(end))

    def __iter__(self) -> Iterator[SentenceRef]:
        ids = self.article_ids
        for a, start, end in self.spans.tolist():
            yield SentenceRef(ids[a], start, end)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sentences) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def ranges(self) -> dict[str, tuple[int, int]]:
        """Each article's sentences, as the rows `lo:hi`."""
        if self._ranges is None:
            self._ranges = article_ranges(self.article, self.article_ids)
        return self._ranges

    def rows(self, article_id: str) -> tuple[int, int]:
        return self.ranges().get(article_id, (0, 0))

    def within(self, article_id: str, start: int, end: int) -> list[int]:
        """Rows of the article's sentences that lie inside `start:end`, in order."""
        lo, hi = self.rows(article_id)
        first = lo + int(np.searchsorted(self.start[lo:hi], start, side="left"))
        last = first + int(np.searchsorted(self.end[first:hi], end, side="right"))
        return list(range(first, last))

    def spans_of(self, article_id: str) -> list[tuple[int, int]]:
        """The (start, end) spans of one article's sentences, in order."""
        lo, hi = self.rows(article_id)
        return list(zip(self.start[lo:hi].tolist(), self.end[lo:hi].tolist(), strict=True))

    @classmethod
    def grouped(cls, spans: Sequence[tuple[str, int, int]]) -> Sentences:
        """A table of (article id, start, end) sentences, in any order."""
        ordered = sorted(spans, key=lambda s: (s[0], s[1]))
        return cls.of(ordered, list(dict.fromkeys(aid for aid, _, _ in ordered)))
