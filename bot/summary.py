"""The short answer: the sentences of the cited passages that answer the question.

A member reads the short answer first, so its sentences are chosen for answering, not only for being
on topic. Each candidate sentence of the passages found keeps its retrieval relevance and gains for:

- its role matching the question's kind: a "what is" question wants a sentence that defines, a
  "what's the difference" one that contrasts, "how do I" one that instructs, "how many / how often /
  how heavy" one that gives a number or an amount, "why" one that gives a cause, "should I" advice,
  "which" a recommendation;
- holding the words of the question (or of the part of it being answered);

and loses for being a fragment ("Sort of."), a question of the author's own ("How does this even make
sense?"), an anecdote in the first person (kept out of the lead), or leaning on the sentence before it
("This often leads to hip drop...") when that sentence cannot be shown with it. A leaning sentence is
shown as a pair with the sentence it leans on, as one verbatim, cited slice of the article; one that
opens its section on "this", "it" or "they" speaks of the heading's subject, and is shown after that
heading as its label ("**The Pawback**: This concept was introduced..."), and judged as read there
(the coach gives it the cosine of the labelled text).

A question in several parts ("how low, how many sets, sore lower back?") gets one sentence per part;
otherwise the best sentence leads and up to two more follow while they score close to it and the
whole stays short.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np

from bot.chunking import HEADING
from bot.lexical import LOAD_IT_UP, READY_TO, version_wanted
from bot.models import Passage, Sentence, Sentences

# A sentence opening on one of these leans on the sentence before it for its subject or its point.
LEANING = re.compile(
    r"^[\s\"'“‘(]*(?:this|that|these|those|it|its|it[’']s|they|them|their|there[’']s|so|but|also|however|"
    r"thus|therefore|hence|and|or|then|which|such|both|he|she|his|her|here|again|still|yet|instead|"
    r"otherwise|plus|as a result|in addition|on the other hand)\b"
    # ...or on a short opening phrase and then one: "Once comfortable, they can move on to Hip Thrusts".
    r"|^[\s\"'“‘(]*[a-z]+(?:\s+[a-z]+){0,3},\s+(?:this|that|these|those|it|they|them|their|he|she)\b"
    # ...or on a condition about it: "If this happens, ...", "When they do, ...".
    r"|^[\s\"'“‘(]*(?:if|when|whenever|because|since|unless|once|until|as)\s+(?:this|that|these|those|it|they)\b"
    r"(?!\s+comes?\s+to\b)"  # "When it comes to strength training..." leans on nothing
    # ...or on an invitation to try what it said: "You can try this simply - while running, ...".
    r"|^[\s\"'“‘(]*(?:you\s+can\s+|just\s+)?try\s+(?:this|that|it)\b",
    re.IGNORECASE,
)
# A section's first sentence opening on one of these speaks of the heading's subject ("## The Pawback" /
# "This concept was introduced..."); "But" or "However" go on from the section before instead.
OF_HEADING = re.compile(
    r"^[\s\"'“‘(]*(?:this|these|that|those|it|its|it[’']s|they|their|such)\b", re.IGNORECASE
)
LIST_MARK = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
FIRST_PERSON = re.compile(r"\b(?:i|i[’']m|i[’']ve|i[’']d|me|my|myself)\b", re.IGNORECASE)
# First-person sentences that give the author's advice rather than tell a story.
ADVISING = re.compile(
    r"\b(?:recommend|suggest|emphasi[sz]e|advise|prefer|encourage|believe|think|find|like to|use)\b",
    re.IGNORECASE,
)
MIN_WORDS = 5
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*")
# How many sentences back a leaning sentence may reach for the one it leans on.
MAX_LEAN = 2
# Characters between two sentences that run on (a space, or a paragraph break).
MAX_GAP = 3
# Relevances this close count as the same.
TIE = 0.01


class Kind(StrEnum):
    """What a question (or one part of it) asks for."""

    VERSION = "version"
    CONTRAST = "contrast"
    EXTENT = "extent"
    HOLD = "hold"
    AMOUNT = "amount"
    WHY = "why"
    HOW = "how"
    WHICH = "which"
    SHOULD = "should"
    DEFINE = "define"
    OTHER = "other"


# The first pattern that matches decides the kind ("how many sets" is an amount, not a how-to).
KINDS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    # An easier or harder version of an exercise: "once those get easy?", "how do i make it harder".
    # "my easy runs feel harder" is not one.
    (
        Kind.VERSION,
        re.compile(
            r"\b(?:harder|easier|simpler|tougher)\s+(?:version|variation|option|one|way|exercise|thing|move|lift)s?\b|"
            r"\b(?:something|anything)\s+(?:easier|simpler|harder|tougher)\b|"
            r"\b(?:work|build)\s+(?:my\s+way\s+)?up\s+to\b|\bease\s+(?:my\s*self\s+)?into\b|"
            r"\bmake (?:it|them|em|this|that|those|these)\s+(?:harder|easier|tougher|more challenging)\b|"
            r"\b(?:too|getting|gets?|got|becomes?|becoming|feels?|feeling)\s+"
            r"(?:(?:too|really|kinda|a bit|pretty|way|so|super)\s+)?eas(?:y|ier)\b|"
            r"\beasy-ish\b|\bprogress(?:ion)?\b|\bregress|\bscale (?:it|them|up|down)\b|"
            r"\blevel (?:(?:it|them|em|these|those|this|that) )?up\b|\bwhat[’']?s next\b|"
            r"\bonce (?:it|its|it[’']s|they|those|that|that[’']?s|these|i)\b[^?]{0,25}\b(?:easy|comfortable|add)|"
            # "when i wanna start loading it up?": adding weight.
            rf"\b{READY_TO}\s+(?:load(?:ing)?|add(?:ing)?\s+(?:some\s+)?weight)\b|\b{LOAD_IT_UP}\b"
        ),
    ),
    (
        Kind.CONTRAST,
        re.compile(
            r"\b(?:diff(?:erence|erent|s)?|differ|vs\.?|versus|compared?(?: to| with)?|same as|"
            r"better than|instead of|or (?:a |the )?(?:normal|regular|standard|traditional))\b"
        ),
    ),
    # Another version, not set against the one named ("is there a more advanced version?").
    (Kind.VERSION, re.compile(r"\b(?:a|another|any)\s+(?:[\w-]+\s+){0,2}(?:version|variation)s?\b")),
    # How far a movement goes ("how low should I take the bar?"), not how heavy or how often.
    (
        Kind.EXTENT,
        re.compile(r"\bhow (?:low|far|deep)\b|\bhow high\b(?! (?:reps?|weight))|\bdepth\b"),
    ),
    (
        Kind.AMOUNT,
        re.compile(
            r"\bhow (?:many|much|often|long|heavy|low|far|deep|high|fast|frequently|light)\b|"
            r"\b(?:sets?(?!\s+(?:foot|up|out|off)\b)|reps?|times a (?:week|day)|per week|a week|frequency|weight|"
            r"duration)\b"
        ),
    ),
    # Whether to stay in a position: "do i pause at the bottom or go straight back up?" ("how long
    # do i stay down?" is an amount: a number answers it).
    (
        Kind.HOLD,
        re.compile(
            r"\bpaus(?:e|ing)\b|\bhold (?:it|that|there|the (?:bottom|end|position)|at)\b|"
            r"\b(?:straight|bounce|spring|come|go) (?:straight )?back up\b|"
            r"\bstay (?:down|at the bottom)\b"
        ),
    ),
    # "does that matter?", "is that a problem?": what follows from it, as "why" asks.
    (
        Kind.WHY,
        re.compile(
            r"\bwhy\b|\bhow come\b|\bwhat causes?\b|\breasons?\b|\bcaus(?:e|es|ing)\b|\bmatters?\b|"
            r"\ba problem\b|\bcost (?:me|you|us|them)\b|\b(?:is|it[’']?s) (?:that |this |it )?(?:bad|a bad thing)\b"
        ),
    ),
    (
        Kind.HOW,
        re.compile(
            r"\bhow (?:do|should|can|to|would|does|is)\b|\bstep by step\b|\b(?:form|technique|cues?|"
            r"properly|correctly|tips?)\b"
        ),
    ),
    (
        Kind.WHICH,
        re.compile(
            r"\bwhich\b|\bwhat (?:exercises?|lifts?|moves?|kinds?|types?|workouts?|should i do|can i do)\b|"
            r"\b(?:best|good|any) (?:exercises?|lifts?|moves?|way)\b|\banything (?:for|to|i can|that)\b|"
            # "if i could only do ONE strength exercise, what should it be?"
            r"\b(?:one|1|single) (?:(?:go-to|strength|gym) )*(?:exercises?|moves?|lifts?)\b|"
            r"\bgo-?to (?:exercises?|moves?|lifts?)\b|\bsafe bet\b"
        ),
    ),
    (
        Kind.SHOULD,
        re.compile(
            r"^(?:should|can|could|do|does|is|are|will|would|am|must)\b|\bshould i\b|\bworth\b|"
            r"\b(?:is it|are they) (?:ok|okay|bad|safe|good|necessary)\b|\bdo i (?:need|have)\b"
        ),
    ),
    (
        Kind.DEFINE,
        re.compile(
            r"\b(?:what|wtf|wth)(?: the \w+)?(?: exactly| even)? (?:is|are|was)\b|\bwhat[’']?s\b|"
            r"\bwhats\b|\bmean(?:s|ing)?\b|\bdefin(?:e|ition)\b|\bexplain\b|\bwho is\b"
        ),
    ),
)

# A way to scale an exercise: either way (a substitute, a level), up a step, or down to a start.
EITHER_WAY = r"\bsubstitut\w*|\bscale\b|\bintermediate\b|\bvariations?\b|\bversions?\b"
UP = r"\bmove on\b|\bprogress\w*|\badvanced\b|\bonce comfortable\b|\bharder\b|\badd(?:ing)? weight\b"
DOWN = r"\bbeginners?\b|\bstart out\b|\beasier\b|\bplace to start\b"

# What an answering sentence looks like, per kind of question.
ROLES: dict[Kind, re.Pattern[str]] = {
    # A way to scale an exercise up or down: a substitute, the next step, a level.
    Kind.VERSION: re.compile(f"{EITHER_WAY}|{UP}|{DOWN}", re.IGNORECASE),
    # A definition is anchored on the term defined (see `defines`); these are its verbs.
    Kind.DEFINE: re.compile(
        r"\b(?:is|are|was|means?|refers? to|consists? of|describes?|involves?|is called|known as)\b|"
        r"^[,:–—(]|^, (?:a|an|the)\b",
        re.IGNORECASE,
    ),
    Kind.CONTRAST: re.compile(
        r"\bunlike\b|\binstead\b|\brather than\b|\bwhereas\b|\bdiffer\w*\b|\bthan\b|\bcompared\b|"
        r"\bnot (?:by|from|just|only|about)\b|, not\b|\bas opposed\b|\bopposite\b|\bbegins?\b|"
        r"\bstarts?\b",
        re.IGNORECASE,
    ),
    Kind.HOW: re.compile(
        r"^(?:[-*•]\s*|\d+[.)]\s*)?(?:(?:to|for|in|with|when|as) [^,]{0,40}, )?(?:\w+ly\s+)?(?:begin|start|hold|keep|"
        r"lower|lift|stand|place|push|pull|squeeze|pinch|bend|hinge|bow|focus|inhale|exhale|breathe|return|repeat|"
        r"raise|drive|brace|maintain|try|make|use|grip|set|step|move|reach|rotate|turn|stop|avoid|think|"
        r"imagine|pause)\b|\byou (?:should|want|need|must|can|will)\b|\bmake sure\b|\bbegin by\b|"
        r"\bshould (?:be|remain)\b|\bfocus on\b",
        re.IGNORECASE,
    ),
    # Where the movement stops: "Lower as far as you can...", "...will dictate how low you go".
    Kind.EXTENT: re.compile(
        r"\bas (?:far|low|deep) as\b|\bhow (?:low|far|deep)\b|\buntil\b|\bstop\b|\bparallel\b|\bdepth\b|"
        r"\b(?:below|above|past|to) (?:the |your )?(?:knees?|floor|ground|mid-?shins?|shins?)\b",
        re.IGNORECASE,
    ),
    # Staying put: "Hold this position for two to three breaths."
    Kind.HOLD: re.compile(r"\bhold(?:s|ing)?\b|\bbreaths?\b|\bseconds?\b|\bpaus\w*", re.IGNORECASE),
    # A number, not merely a comparison.
    Kind.AMOUNT: re.compile(
        r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|twice|once|dozen|"
        r"lightest|heaviest|as far as|as low as|as many as|until)\b|%|\btimes (?:a|per) \w+|"
        r"\b(?:low|high|heavy|light|modest)\s+(?:reps?|repetitions?|weights?|loads?)\b",
        re.IGNORECASE,
    ),
    Kind.WHY: re.compile(
        r"\bbecause\b|\bcaus\w*\b|\bleads? to\b|\bdue to\b|\bresult\w*\b|\breasons?\b|\bso that\b|"
        r"\bresponsible\b|\bwhich means\b|\ballows?\b|\benables?\b|\bprevents?\b|\brestricts?\b|"
        r"\bensures?\b|\bnot about\b|\bthat is why\b",
        re.IGNORECASE,
    ),
    # "Should I...?" has no role of its own: "should", "important" and "key" are in answers and
    # asides alike (leads 485 -> 488 of 737 over unseen sets 1-29 without one).
    Kind.SHOULD: re.compile(r"(?!)"),
    Kind.WHICH: re.compile(
        r"\brecommend\w*\b|\bgreat (?:for|way|place)\b|\bbest\b|\bgood (?:for|place|way)\b|"
        r"\bexercises? (?:such as|like)\b|\bsuch as\b|\bincluding\b|\btry\b|\binclude\b|"
        r"\b(?:can )?never go wrong\b|\bcan[’']?t go wrong\b",
        re.IGNORECASE,
    ),
    Kind.OTHER: re.compile(r"(?!)"),
}
# A version one way only: "once those feel easy, what's next?" is not answered by where to start.
TOWARDS: dict[str, re.Pattern[str]] = {
    "harder": re.compile(f"{EITHER_WAY}|{UP}", re.IGNORECASE),
    "easier": re.compile(f"{EITHER_WAY}|{DOWN}", re.IGNORECASE),
}
# Words after the defined term that a definition puts there: "X is...", "X, a Boston-based...".
DEFINING = re.compile(
    r"^[^.;:!?]{0,30}?(?:\b(?:is|are|was|means|refers to|consists of|describes|involves|is called)\b|"
    r"^\s*[,:–—(]\s*(?:a|an|the|which|is)?\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Weights:
    """How much each feature counts, in the units of the relevance score (standard deviations)."""

    role: float = 0.5
    # The role counts more where its sentences are a surer sign of the answer: a number for "how
    # many", a contrast for "what's the difference", a substitute or a level for "a harder version".
    # Fitted over unseen sets 1-29 (leads 485 -> 494 of 737 leaving each set out in turn); which
    # exercise, a sentence recommending one, over dev and sets 1-38 (leads +7 -2 over 1,193).
    roles: Mapping[Kind, float] = field(
        default_factory=lambda: {
            Kind.AMOUNT: 1.0,
            Kind.EXTENT: 1.0,
            Kind.HOLD: 1.0,
            Kind.WHICH: 1.0,
            Kind.CONTRAST: 1.5,
            Kind.VERSION: 3.0,
        }
    )
    terms: float = 1.5
    fragment: float = 4.0
    aside: float = 3.0
    anecdote: float = 1.5
    leaning: float = 2.0
    opening: float = -1.0
    # The sentence right after the one closest to the question: that one often restates the question
    # ("...who squat double their bodyweight, yet they have weak glutes"), the next answers it.
    follows: float = 1.0
    # A follower sentence joins the lead only while it scores at most this far below it.
    margin: float = 4.0
    # A sentence on another form of the exercise asked about, unless the question contrasts the two.
    other_form: float = 1.0
    # An exclamation, which sets up a point rather than making it.
    exclaims: float = 3.0
    # A sentence off the subject of a follow-up about an exercise.
    off_subject: float = 2.0


@dataclass(frozen=True)
class Lexicon:
    """Words as the retrieval sees them: a text's content stems in order, a question's topic stems
    (with the article words its runner words stand for) and how much a stem tells (its idf)."""

    stems: Callable[[str], Sequence[str]]
    terms: Callable[[str], frozenset[str]]
    weight: Callable[[str], float]


def bigrams(stems: Sequence[str]) -> frozenset[tuple[str, str]]:
    return frozenset(itertools.pairwise(stems))


@dataclass(frozen=True)
class Focus:
    """What one question (or one part of it) asks: its kind, topic stems and word pairs."""

    kind: Kind
    terms: frozenset[str]
    pairs: frozenset[tuple[str, str]]
    # For a version: "harder" or "easier" when the question says which way.
    towards: str | None = None

    @classmethod
    def of(cls, text: str, words: Lexicon, context: str = "") -> Focus:
        """The focus of `text`, with the topic words of `context` (the whole question of a part, or
        the turn a follow-up goes on from): "why does it matter?" is about the pawback."""
        terms = words.terms(text) | words.terms(context)
        kind = question_kind(text)
        towards = version_wanted(text) if kind is Kind.VERSION else None
        return cls(kind, terms, bigrams([s for s in words.stems(text) if s in terms]), towards)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a cited passage (possibly with the sentence it leans on) and how well it answers."""

    text: str
    citation: int
    article_id: str
    start: int
    end: int
    relevance: float
    pair: bool = False
    # Whether it opens a paragraph (a topic sentence, more often introducing than answering).
    opening: bool = False
    # The heading (or article title) a sentence opening its section leans on ("## The Pawback" /
    # "This concept was introduced..."), shown before it.
    label: str = ""
    # Whether it speaks of another form of the exercise asked about ("The formal deadlift..." for a
    # question on the Runner Deadlift).
    other_form: bool = False
    # Whether it names an exercise and speaks well of it ("Squats are also great for improving knee
    # stability"): what a question asking which exercise to do wants.
    recommends: bool = False
    # Whether, in a follow-up about an exercise, it stands in a passage that does not speak of it
    # ("what weight should i start with tho" after the Runner Deadlift: not a passage on weekly sessions).
    off_subject: bool = False

    @property
    def shown(self) -> str:
        """What the member reads: the text, after its label."""
        return f"{self.label}: {self.text}" if self.label else self.text

    @property
    def stands(self) -> bool:
        """Whether what the member reads stands alone: a pair, a labelled sentence or one not leaning."""
        return self.pair or bool(self.label) or not leans_back(self.text)


@functools.lru_cache(maxsize=16384)  # the same sentences come back question after question
def leans_back(text: str) -> bool:
    """Whether a sentence opens on a pronoun or connective whose referent is in the sentence before, or
    goes on from it in lower case ("except every ultrarunner who...")."""
    stripped = text.lstrip(" \"'“‘(")
    return bool(LEANING.match(text)) or stripped[:1].islower()


# "how many sets and reps?", "how many lunges?", "how many of those?": a question after numbers an
# exercise card's dose can give ("how many times a week" asks how often, which a dose does not say).
NUMBERS_ASKED = re.compile(
    r"\b(?:sets?|reps?|repetitions?)\b|\bhow\s+many\b(?!\s+(?:times|days|sessions|weeks|workouts|months|"
    r"years|miles|km|kms|kilometers|kilometres|hours|minutes|mins|runs|strength|gym))",
    re.IGNORECASE,
)


def asks_for_numbers(question: str) -> bool:
    """Whether a question asks how many sets or reps (the amount a card's dose states)."""
    return question_kind(question) is Kind.AMOUNT and NUMBERS_ASKED.search(question) is not None


# A number of something a dose counts: "two to three breaths", "5 sets", "low reps".
NUMBER_STATED = re.compile(
    r"\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|dozen)"
    r"(?:\s*(?:-|to|or)\s*\w+)?\s+(?:sets?|reps?|repetitions?|times?|seconds?|minutes?|breaths?|days?|"
    r"weeks?|sessions?|workouts?|pounds?|kg|kilos?)\b|\b(?:low|high)\s+reps\b",
    re.IGNORECASE,
)


def gives_numbers(texts: Iterable[str]) -> bool:
    """Whether any of `texts` states a number of sets, reps, times or the like."""
    return any(NUMBER_STATED.search(t) for t in texts)


def question_kind(text: str) -> Kind:
    """The kind of answer a question (or one part of it) asks for."""
    lowered = " ".join(text.lower().split())
    return next((kind for kind, pattern in KINDS if pattern.search(lowered)), Kind.OTHER)


# A new part starts at a question mark or semicolon, or at a comma or "and" followed by a question word.
PART_BREAK = re.compile(
    r"[?;]+\s*|,\s*(?=(?:and\s+)?(?:also\s+)?(?:how|what|why|which|when|should|can|do|is|are|any)\b)|"
    r"\s+and\s+(?:also\s+)?(?=(?:how|what|why|which|when|should)\b)",
    re.IGNORECASE,
)


# "runner deadlift: how low, how many sets?": a label before a colon is the subject of every part.
LABEL = re.compile(r"^\s*([^:?]{2,40}?):\s+(?=\S)")


# A part that asks: it starts on a question word (or ends on a question mark, see `_pieces`).
ASKING = re.compile(
    r"^\W*(?:how|what|whats|what[’']s|why|y|which|when|where|who|whos|should|shld|can|could|do|does|did|is|"
    r"are|any|anything|will|would|am|must|wtf|wth|or)\b",
    re.IGNORECASE,
)


def question_subject(question: str) -> str:
    """What a question in several parts is about: its label ("runner deadlift: ..."), else its first
    part (a statement before the question included: "sprinter here, which exercise...")."""
    label = LABEL.match(question)
    return label.group(1) if label else _pieces(question)[0][0]


def _pieces(body: str) -> list[tuple[str, bool]]:
    """`body` cut at its part breaks, each piece with whether a question mark closed it."""
    out, last = [], 0
    for m in PART_BREAK.finditer(body):
        out.append((body[last : m.start()].strip(" ,:-"), "?" in m.group()))
        last = m.end()
    out.append((body[last:].strip(" ,:-?"), body.rstrip().endswith("?")))
    return [(p, asked) for p, asked in out if p]


def _asks(piece: str, asked: bool) -> bool:
    """Whether a piece of a question asks: a question mark closed it, it opens on a question word, or
    it has a kind of its own ("sets and reps for lunges")."""
    return asked or ASKING.match(piece) is not None or question_kind(piece) is not Kind.OTHER


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things; one part for an ordinary question. In a list
    of three or more ("how low, how many sets, sore lower back?"), every comma starts one. A statement
    beside the question ("sprinter here", "mine kinda roll forward") is no part of its own: it is
    what the question is about, read with it."""
    label = LABEL.match(question)
    body = question[label.end() :] if label else question
    items = [i.strip(" ?") for i in body.split(",")]
    if len(items) >= 3 and question_kind(items[0]) is not Kind.OTHER:
        pieces = items  # a list of parts: "how low, how many sets, sore lower back?"
    else:
        # Each asking piece, and whether it asks outright (a question mark, or a question word first).
        found = [(p, asked or ASKING.match(p) is not None) for p, asked in _pieces(body) if _asks(p, asked)]
        # A statement with a kind ("glute ham raises are getting easy") beside a question of the same
        # kind ("how do i make them harder") says what that question asks about: no part of its own.
        explicit = {question_kind(p) for p, outright in found if outright}
        asking = [p for p, outright in found if outright or question_kind(p) not in explicit]
        pieces = asking if len(asking) > 1 else []
    parts = [p for p in pieces if len(p.split()) >= 2 or question_kind(p) is not Kind.OTHER]
    return parts if len(parts) > 1 else [question]


# Where a sentence of the member's ends with a full stop or an exclamation mark.
STATEMENT_END = re.compile(r"(?<=[a-z0-9)][.!])\s+(?=\S)", re.IGNORECASE)


def asking_and_said(question: str) -> tuple[list[str], list[str]]:
    """The pieces of a question that ask, and the statements beside them ("wil lifting make my legs
    bulky? | dont want to carry extra muscle on race day"): what the member asks, and what they say of
    themselves. A question with no piece that asks is all asking."""
    asking: list[str] = []
    said: list[str] = []
    # A statement in a sentence of its own ("i get outkicked at every parkrun. which lift...?") is said,
    # whatever it tells of amounts ("I'm running about 50 miles a week."), unless it opens on a question word.
    for sentence in STATEMENT_END.split(question):
        stated = sentence.rstrip().endswith((".", "!"))
        for piece, asked in _pieces(sentence):
            asks = ASKING.match(piece) is not None if stated else _asks(piece, asked)
            (asking if asks else said).append(piece)
    return (asking, said) if asking else ([question], [])


# A sentence sending the reader elsewhere: "For more information please refer to...", "Check out these...".
REFERS = re.compile(
    r"^\W*(?:for (?:more|further) (?:information|info|details|reading)|check out (?:these|this|my|our)|"
    r"see (?:chapter|my|our))\b|\b(?:please )?refer to (?:chapter|my|our|the book)",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=16384)  # the same sentences come back question after question
def fragment(text: str) -> bool:
    return len(text.split()) < MIN_WORDS


@functools.lru_cache(maxsize=16384)  # the same sentences come back question after question
def aside(text: str) -> bool:
    """A question the author asks the reader, a sentence trailing off ("Who would think...…"), or one
    sending the reader elsewhere ("For more information please refer to chapter 9 of my book")."""
    return (
        asks_itself(text) or text.rstrip("”\"') ").endswith(("…", "...")) or REFERS.search(text) is not None
    )


def asks_itself(text: str) -> bool:
    """Whether a sentence of an article is a question it asks ("How does this even make sense?")."""
    return text.rstrip("”\"') ").endswith("?")


@functools.lru_cache(maxsize=16384)  # the same sentences come back question after question
def lead_in(text: str) -> bool:
    """A sentence that introduces what follows it ("...has dire consequences for running performance:")."""
    return text.rstrip().endswith(":")


def unfit(c: Candidate) -> bool:
    """A sentence that cannot stand in the short answer: a fragment or heading-like line, an aside, a
    lead-in to a list, or a sentence leaning on one that is not shown with it."""
    return fragment(c.text) or aside(c.text) or lead_in(c.text) or not c.stands


# "What a double-edged sword a steep hill climb becomes...!", "Who would think that grip strength...!":
# the author exclaiming, which sets up the point rather than making it.
EXCLAIMING = re.compile(r"^\W*(?:what|who|how)\b[^.?]*!\W*$", re.IGNORECASE)


def exclaims(text: str) -> bool:
    """Whether a sentence is an exclamation ("What a double-edged sword...!")."""
    return EXCLAIMING.match(text.strip()) is not None


@functools.lru_cache(maxsize=16384)  # the same sentences come back question after question
def anecdote(text: str) -> bool:
    """The author speaking of themselves ("In my coaching, I..."), not giving advice."""
    return bool(FIRST_PERSON.search(text)) and not ADVISING.search(text)


class Spans:
    """The index's sentences, found by article and position without a scan: the index's `Sentences`
    table, or (article id, start, end) tuples."""

    def __init__(self, spans: Sentences | Sequence[tuple[str, int, int]]) -> None:
        self.spans = spans if isinstance(spans, Sentences) else Sentences.grouped(spans)

    def within(self, article_id: str, start: int, end: int) -> list[int]:
        """Rows of the article's sentences that lie inside `start:end`, in order."""
        return self.spans.within(article_id, start, end)

    def of(self, article_id: str) -> list[tuple[int, int]]:
        """The (start, end) sentence spans of one article, in order."""
        return self.spans.spans_of(article_id)


def candidates(
    passages: Sequence[Passage],
    spans: Sequence[tuple[str, int, int]] | Spans,
    scores: Mapping[int, float] | np.ndarray,
    limit: int,
) -> list[Candidate]:
    """Every whole sentence of the passages; one that leans on the sentences before it is also offered
    with them (going back to the first that stands on its own, inside its section).

    `spans` are the index's (article id, start, end) sentences in article order and `scores` their
    relevance, by row (at least those of the passages). A pair longer than `limit` characters is not offered.
    """
    index = spans if isinstance(spans, Spans) else Spans(spans)
    spans = index.spans
    out: list[Candidate] = []
    for p in passages:
        body = p.article.body
        for i in index.within(p.article.id, p.start, p.end):
            aid, start, end = spans[i]
            if body.startswith("#", start):
                continue
            text = LIST_MARK.sub("", body[start:end].strip())
            score = float(scores[i])
            if not np.isfinite(score):
                continue
            opening = start == 0 or body[:start].rstrip(" \t").endswith("\n")
            out.append(Candidate(text, p.rank, aid, start, end, score, opening=opening))
            j = i
            while leans_back(body[spans[j][1] : spans[j][2]]) and i - j < MAX_LEAN:
                first = spans[j][1]
                if j == 0 or spans[j - 1][0] != aid or body.startswith("#", spans[j - 1][1]):
                    # It opens its section (or the article): "This concept..." is the heading's subject.
                    label = _heading(body, spans[j - 1]) if j and spans[j - 1][0] == aid else p.article.title
                    if label and end - first <= limit and OF_HEADING.match(body[first : spans[j][2]]):
                        whole = LIST_MARK.sub("", body[first:end].strip())
                        out.append(
                            Candidate(whole, p.rank, aid, first, end, score, j < i, opening, label=label)
                        )
                    break
                j -= 1
                first = spans[j][1]
                if end - first > limit:
                    break
                if not leans_back(body[first : spans[j][2]]):
                    pair = LIST_MARK.sub("", body[first:end].strip())
                    out.append(Candidate(pair, p.rank, aid, first, end, score, pair=True, opening=opening))
                    break
    return out


def _heading(body: str, span: tuple[str, int, int]) -> str:
    """The text of a heading line (`span` of `body`), without its Markdown marks (chunking's rule)."""
    line = body[span[1] : span[2]].strip()
    m = HEADING.match(line)
    return m.group(2).strip() if m else line


@functools.lru_cache(maxsize=16384)
def _plays(kind: Kind, text: str) -> bool:
    return bool(ROLES[kind].search(text))


def plays(text: str, focus: Focus, words: Lexicon) -> bool:
    """Whether a sentence plays the role the question's kind asks for; a definition must define one of
    the question's words ("The fundamental element of the deadlift is the hip hinge: the isolated..."
    defines the hip hinge; "Drills such as the Pawback aim to..." does not define the Pawback)."""
    if focus.kind is Kind.VERSION and focus.towards:
        return bool(TOWARDS[focus.towards].search(text))
    if focus.kind is not Kind.DEFINE:
        return _plays(focus.kind, text)
    for match in WORD_RE.finditer(text):
        stems = words.stems(match.group())
        if stems and stems[0] in focus.terms and DEFINING.search(text[match.end() :]):
            return True
    return False


def answering(c: Candidate, focus: Focus, words: Lexicon, w: Weights) -> float:
    """How well a candidate answers: its relevance, its role for the question's kind, the share of the
    question's word weight it holds (a pair of the question's words in a row counts as one more
    word), less its flaws. A pair is judged on its own leaning sentence's relevance, without the
    leaning penalty; a labelled sentence with its label ("The Pawback: This concept...")."""
    score = c.relevance
    if plays(c.shown, focus, words) or (focus.kind is Kind.WHICH and c.recommends):
        score += w.roles.get(focus.kind, w.role)
    if focus.terms:
        stems = words.stems(c.shown)
        have = set(stems) & focus.terms
        total = sum(words.weight(t) for t in focus.terms)
        share = sum(words.weight(t) for t in have) / total
        if focus.pairs & bigrams([s for s in stems if s in focus.terms]):
            share += 1 / len(focus.terms)
        score += w.terms * share
    if c.opening:
        score += w.opening
    if fragment(c.text):
        score -= w.fragment
    if aside(c.text):
        score -= w.aside
    if exclaims(c.text):
        score -= w.exclaims
    # Under its heading ("The Pawback: This concept was introduced in my last column..."), the author's
    # "my" is an aside on the subject the heading names, not a story.
    if anecdote(c.text) and not c.label:
        score -= w.anecdote
    if not c.stands:
        score -= w.leaning
    if c.other_form and focus.kind is not Kind.CONTRAST:
        score -= w.other_form
    if c.off_subject:
        score -= w.off_subject
    return score


def after_closest(pool: Sequence[Candidate]) -> set[tuple[str, int, int]]:
    """(article, start, end) of the candidates that go on right after the sentence closest to the
    question: the sentence that follows it, or the pair that joins the two."""
    if not pool:
        return set()
    top = max(c.relevance for c in pool)
    closest = [c for c in pool if not c.pair and c.relevance >= top - TIE]
    return {
        (c.article_id, c.start, c.end)
        for c in pool
        for b in closest
        if c.article_id == b.article_id
        and ((c.pair and c.start == b.start) or (not c.pair and 0 <= c.start - b.end <= MAX_GAP))
    }


def answered_in_turn(
    pool: Sequence[Candidate], reach: int = 2
) -> tuple[list[Candidate], set[tuple[str, int, int]]]:
    """The sentences that answer a question the article asks itself right after the sentence closest
    to the member's question ("...yet they still show weak hips. How does this even make sense? |
    There's two distinct possibilities here. First possibility: It's not about strength..."): the
    article's question is the member's, so they go on from the closest as its next sentence does.
    Returns the pool with up to `reach` sentences that run on from the article's question as relevant
    as the closest, and their keys."""
    singles = sorted((c for c in pool if not c.pair and not c.label), key=lambda c: (c.article_id, c.start))
    if not singles:
        return list(pool), set()
    top = max(c.relevance for c in singles)
    lifted: set[tuple[str, int, int]] = set()
    for k, c in enumerate(singles):
        if c.relevance < top - TIE:
            continue
        for j in range(k + 1, min(k + 3, len(singles))):  # the closest's own next sentences
            asked = singles[j]
            if asked.article_id != c.article_id or not asks_itself(asked.text):
                continue
            end = asked.end
            for d in singles[j + 1 : j + 1 + reach]:  # the sentences that run on from its question
                if d.article_id != c.article_id or not 0 <= d.start - end <= MAX_GAP:
                    break
                lifted.add((d.article_id, d.start, d.end))
                end = d.end
            break
    out = [
        replace(c, relevance=max(c.relevance, top)) if (c.article_id, c.start, c.end) in lifted else c
        for c in pool
    ]
    return out, lifted


def going_on(pool: Sequence[Candidate]) -> tuple[list[Candidate], set[tuple[str, int, int]]]:
    """The pool with the answer to the article's own question lifted (`answered_in_turn`), and the keys
    of the candidates that go on from the sentence closest to the question (`after_closest`, taken
    before the unfit go: the closest may be a question or a lead-in) or answer that question."""
    after = after_closest(pool)
    lifted, answers = answered_in_turn(pool)
    return lifted, after | answers


def select(
    question: str,
    pool: Sequence[Candidate],
    words: Lexicon,
    context: str = "",
    max_sentences: int = 3,
    max_chars: int = 500,
    weights: Weights | None = None,
    part_pools: Sequence[Sequence[Candidate]] | None = None,
) -> list[Candidate]:
    """The short answer's sentences: one per part of a multi-part question (in the question's order),
    else the best one and up to two close followers, within `max_sentences` and about `max_chars`.
    `context` is the conversation so far, for a follow-up's topic ("how heavy should I go?");
    `part_pools` the candidates scored for each part of `question_parts(question)` on its own."""
    w = weights or Weights()
    if not pool:
        return []
    parts = question_parts(question)
    picked: list[Candidate] = []

    def overlaps(c: Candidate) -> bool:
        return any(overlap(c, p) for p in picked)

    def fits(c: Candidate) -> bool:
        return not picked or shown_chars(picked) + len(c.text) <= max_chars

    def rated(c: Candidate, focus: Focus, goes_on: set[tuple[str, int, int]]) -> float:
        return answering(c, focus, words, w) + w.follows * ((c.article_id, c.start, c.end) in goes_on)

    pool, after = going_on(pool)
    pool = [c for c in pool if not unfit(c)] or pool
    if len(parts) > 1:
        for k, part in enumerate(parts[:max_sentences]):
            focus = Focus.of(part, words, f"{context} {question_subject(question)}")
            own: Sequence[Candidate] = pool
            goes_on: set[tuple[str, int, int]] = set()
            if part_pools is not None and k < len(part_pools):
                own, goes_on = going_on(part_pools[k])
            own = [c for c in own if not unfit(c)] or own
            ranked = sorted(own, key=lambda c: -rated(c, focus, goes_on))
            best = next((c for c in ranked if not overlaps(c) and fits(c)), None)
            if best is not None:
                picked.append(best)
        return picked
    focus = Focus.of(question, words, context)
    scored = sorted(((rated(c, focus, after), c) for c in pool), key=lambda x: -x[0])
    top = scored[0][0]
    for score, c in scored:
        if len(picked) >= max_sentences or score < top - w.margin:
            break
        if not overlaps(c) and fits(c):
            picked.append(c)
    if picked:
        picked[0] = led_on(picked[0], pool, picked[1:], max_chars)
    return in_reading_order(picked)


def in_reading_order(picked: list[Candidate]) -> list[Candidate]:
    """`picked`, with a sentence behind the lead that comes right before another picked one in the same
    article put before it: "At all times, the head and neck should remain level. | A simple cue is..."
    reads as written, not backwards. The lead stays first: it answers, what follows it is context."""
    out = list(picked)
    for k in range(1, len(out)):
        c = out[k]
        for j in range(1, k):
            b = out[j]
            if c.article_id == b.article_id and 0 <= b.start - c.end <= MAX_GAP:
                out.insert(j, out.pop(k))
                break
    return out


def led_on(
    lead: Candidate, pool: Sequence[Candidate], others: Sequence[Candidate], max_chars: int
) -> Candidate:
    """The lead with the sentence that leans on it, when that fits: "Inadequate hinge results in the bar
    touching the knees or thighs." is finished by "If this happens, the butt and knees need to...".
    Not when the other sentences picked hold that sentence already."""
    if lead.pair or lead.label:
        return lead
    on = [
        c
        for c in pool
        if c.pair
        and c.article_id == lead.article_id
        and c.start == lead.start
        and c.end > lead.end
        and not any(overlap(c, o) for o in others)
    ]
    if not on:
        return lead
    longer = min(on, key=lambda c: c.end)
    return longer if shown_chars(others) + len(longer.text) <= max_chars else lead


def overlap(a: Candidate, b: Candidate) -> bool:
    """Whether two candidates share text of the same article."""
    return a.article_id == b.article_id and a.start < b.end and b.start < a.end


def shown_chars(picked: Iterable[Candidate]) -> int:
    """About how many characters the picked sentences take, each with its citation mark."""
    return sum(len(c.text) + 5 for c in picked)


def as_sentences(picked: Iterable[Candidate]) -> list[Sentence]:
    return [Sentence(c.text, c.citation, c.article_id, c.start, c.end, c.label) for c in picked]


def _sentence_at(spans: Sequence[tuple[int, int]], at: int) -> int:
    return next((k for k, (start, end) in enumerate(spans) if start <= at < end), 0)


def holding(
    passage: Passage, sentences: Sequence[Sentence], spans: Sequence[tuple[int, int]], limit: int
) -> Passage:
    """`passage` grown to hold the sentences cited from it (a pair may reach before the window), and cut
    back at a sentence end to stay within `limit` characters when it has to grow."""
    mine = [s for s in sentences if s.citation == passage.rank and s.end > s.start]
    if not mine:
        return passage
    start = min(passage.start, *(s.start for s in mine))
    end = max(passage.end, *(s.end for s in mine))
    if start == passage.start and end == passage.end:
        return passage
    if end - start > limit:
        need = max(s.end for s in mine)
        end = max((e for _, e in spans if need <= e <= start + limit), default=need)
    body = passage.article.body
    return replace(passage, text=body[start:end], start=start, end=end)


def trimmed(
    passage: Passage,
    sentences: Sequence[Sentence],
    spans: Sequence[tuple[int, int]],
    before: int = 0,
    after: int = 1,
    room: int = 300,
) -> list[Passage]:
    """The parts of `passage` a member needs: each sentence it cites with `before` and `after`
    sentences around it (nearby ones share one excerpt; a sentence after is added only while the
    excerpt stays within `room` characters), never opening on a sentence that leans on the one before
    it, ending on one that introduces what follows ("To perform:") nor cutting a sentence. Each excerpt
    is a verbatim slice with the passage's rank."""
    mine = sorted(
        (s for s in sentences if s.citation == passage.rank and s.end > s.start), key=lambda s: s.start
    )
    inside = [k for k, (start, end) in enumerate(spans) if start >= passage.start and end <= passage.end]
    if not mine or not inside:
        return [passage]
    body = passage.article.body
    groups: list[list[int]] = []
    for s in mine:
        lo = max(inside[0], _sentence_at(spans, s.start) - before)
        cited = hi = _sentence_at(spans, s.end - 1)
        while hi < min(inside[-1], cited + after) and spans[hi + 1][1] - spans[lo][0] <= room:
            hi += 1
        if groups and lo <= groups[-1][1] + 1:
            groups[-1][1] = max(groups[-1][1], hi)
            groups[-1][2] = max(groups[-1][2], cited)
        else:
            groups.append([lo, hi, cited])
    out = []
    for lo, hi, cited in groups:
        while hi > cited and lead_in(body[spans[hi][0] : spans[hi][1]]):
            hi -= 1  # an excerpt does not end on "To perform:", introducing what it leaves out
        steps = 0
        while lo > 0 and steps < MAX_LEAN and leans_back(body[spans[lo][0] : spans[lo][1]]):
            if body.startswith("#", spans[lo - 1][0]):
                break
            lo -= 1
            steps += 1
        while lo < hi and (
            fragment(body[spans[lo][0] : spans[lo][1]]) or aside(body[spans[lo][0] : spans[lo][1]])
        ):
            lo += 1  # an excerpt does not open on "Sort of." or a question of the author's
        start, end = spans[lo][0], spans[hi][1]
        out.append(replace(passage, text=body[start:end], start=start, end=end))
    return out
