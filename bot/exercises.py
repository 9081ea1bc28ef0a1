"""Exercise suggestion: which catalog entries fit a question, and which cited passage backs each one."""

from __future__ import annotations

import functools
import re
import threading
from bisect import bisect_left
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.chunking import sections
from bot.config import Settings
from bot.knowledge import Catalog, Matcher, normalise_text
from bot.lexical import GOT_EASY, NEGATORS, as_adding_weight, version_wanted
from bot.models import Article, Passage, Sentences, Suggestion

Terms = Callable[[str], list[str]]
# A passage with the cards it quotes, the exercises it names, and those its heading names.
Seen = tuple[Passage, set[str], set[str], set[str]]

MAX_FACTS = 2048  # articles whose facts the suggester keeps
BEGINNER = re.compile(
    r"\b(?:beginners?|newbie|newb|noob|novice|new\s+to\s+(?:the\s+)?(?:gym|lifting|strength|squat\w*|deadlift\w*)|"
    r"never\s+(?:(?:really|ever)\s+)?(?:lifted|squatted|deadlifted|trained|set\s+foot|done|tried|did|touched)|first\s+time|(?:zero|no)\s+(?:\w+\s+)?experience"
    r"|easiest|just\s+start(?:ing|ed)?|start\s+out)\b"
)
NO_EQUIPMENT = re.compile(
    r"\b(?:at\s+home|no\s+gym|without\s+(?:a\s+)?gym|no\s+(?:equipment|weights)|without\s+(?:any\s+)?(?:equipment|weights)"
    r"|body\s*weight\s+only|hotel\s+room|gym\s+membership|need\s+(?:a\s+)?gym|w/o\s+(?:weights|equipment)|living\s+room"
    r"|(?:no|zero)\s+kit)\b"
)
# "on one leg", "one leg at a time", "unilateral": the member asks for the single-leg version.
ONE_LEGGED = re.compile(
    r"\b(?:(?:one|single|1)[\s-]?leg(?:ged)?|unilateral(?:ly)?|each\s+leg\s+separately)\b"
)
# An exercise name (taken out of the question) or a pronoun standing for one within three words before
# "one leg" ("is it worth doing them one leg at a time?"), or a name right after.
NAME_MARK = "\u0000"
NAME_BEFORE = re.compile(r"(?:\u0000|\b(?:it|them|em|they|those|these)\b)(?:\W+\w+){0,3}\W*$")
NAME_AFTER = re.compile(r"\W*\u0000")
# What makes a card one for single-leg work.
SINGLE_LEG = re.compile(r"\b(?:single\s+leg|asymmetric\w*)\b")
# "one leg or both?", "vs bilateral": the two-legged version is weighed beside the single-leg one.
BOTH_LEGS = re.compile(r"\b(?:(?:both|two|2)[\s-]legs?|two[\s-]legged|bilateral(?:ly)?|double[\s-]leg\w*)\b")
# "What should I do after heavy squats?" asks for something else: in a request for what to do, a
# name just after one of these words (or joined to such a name by "and"/"or") is the setting of the
# question, not its subject.
WHAT_TO_DO = re.compile(
    r"\bwhat\s+(?:should|shld|shud|shd|can|could|do)\s+i\s+(?:be\s+doing|do)\b|"
    r"\banything\s+(?:\w+\s+)?(?:i\s+(?:can|should|shld|shud|could)\s+do|to\s+do)\b|"
    r"\b(?:should|shld|shud|can)\s+i\s+do\s+(?:anything|something)\b|"
    # What others do: "what do u guys do after a heavy squat day?"
    r"\bwhat\s+(?:do|does)\s+(?:you|u|ya|people|ppl|every(?:one|body)|other\s+runners)\s+(?:(?:guys|all)\s+)?do\b"
)
AROUND = re.compile(
    r"\b(?:after|before|instead\s+of|besides|other\s+than|apart\s+from|on\s+top\s+of|finished|(?:just\s+)?(?:did|done))\s+"
    r"(?:(?:a|an|the|my|some|heavy|big|hard|light)\s+)*$"
)
# Names joined by "and"/"or", or only listed ("squats, deadlifts", "squat/deadlift"): one setting.
AND_OR = re.compile(r"\s+(?:(?:and|or|n|&)\s+)?")
# "my gym day is squats and deadlifts, anything missing?": the exercises named are what the member
# already does; the question asks for something else.
# A bare "instead" (not "instead of squats") points back at what came before on its own.
INSTEAD = re.compile(r"\binstead\b(?!\s+of)")
SOMETHING_ELSE = re.compile(
    r"\b(?:anything|what)\s+(?:else|missing|i'?m\s+missing)\b|\bwhat\s+am\s+i\s+missing\b"
    rf"|\bin\s+addition\s+to\b|\bbesides\b|\bother\s+than\b|{INSTEAD.pattern}"
)
# "i can squat 2x bodyweight but my gait analysis still says weak glutes": the exercises named before
# the member says they have not helped are what they already do, not the answer.
NOT_HELPING = re.compile(
    r"\b(?:but|yet|and|n)\s+(?:my|i)\b[^.?!]*?\b(?:still|hasn'?t\s+(?:changed|improved|helped)|"
    r"not\s+(?:working|helping|improving|changing))\b|\bnothing'?s?\s+(?:chang|work|help)\w*"
)
# "i squat like 2x bodyweight", "my whole gym routine is back squats and deadlifts": a statement of
# what the member already does, up to the end of its clause. The exercises it names are the setting
# of what they ask ("...is that enough?", "...why do my hips drop?"), not the answer.
DOING = re.compile(
    r"\bi\s+(?:can\s+|already\s+)?\w+(?:\s+(?:and|n|&)\s+\w+)?\s+(?:like\s+|about\s+|around\s+|over\s+|nearly\s+)?"
    r"(?:\d|2x|twice|double|triple|my\s+body\s*weight|bodyweight|heavy\b)"
    r"|\b(?:my|our)\s+(?:\w+'s\s+)?(?:whole\s+|current\s+|usual\s+)?(?:gym\s+|leg\s+|strength\s+|lifting\s+)?"
    r"(?:routine|program(?:me)?|plan|day|sessions?|sesh(?:es)?|workouts?)\s+(?:is|are|=|consists\s+of)\b[^.?!;]*?(?=\bbut\b|[.?!;]|$)"
)
# "runners who squat and deadlift double their bodyweight", "athletes who can deadlift 500 pounds":
# a passage describing lifters by what they lift, not recommending the lift.
LIFTERS = re.compile(
    r"\bwho\s+(?:can\s+|could\s+|already\s+)?\w+(?:\s+(?:and|&)\s+\w+)?\s+(?:like\s+|about\s+|over\s+|nearly\s+)?"
    r"(?:\d|2x|twice|double|triple|(?:their|his|her)\s+(?:own\s+)?body\s*weight|heavy\b)"
)
# "what should I do after them?": a pronoun after "after"/"before" stands for the exercises of the
# turn before, which are then the setting of the question.
AFTER_THEM = re.compile(
    r"\b(?:after|before|instead\s+of|besides)\s+(?:them|those|these|it|that|"
    r"(?:the|those|these|all\s+the|all\s+that)\s+(?:heavy\s+|big\s+)?(?:stuff|lifts|lifting|ones))\b"
)
# "what should I pair it with?", "which exercise strengthens it?": the exercise of the turn before is
# what the answer goes with or trains, not the answer.
PAIRED_WITH = re.compile(
    r"\b(?:pair|combine|match|partner|superset|mix)\w*\s+(?:it|them|that|those|this|these|em)\s+(?:with\b|w/|w\b)|"
    r"\b(?:exercises?|lifts?|moves?|drills?|workouts?)\s+(?:(?:that|which|to)\s+)?(?:\w+\s+)?"
    r"(?:trains?|strengthens?|builds?|works?|helps?|improves?|targets?)\s+(?:it|them|that|this|those|these)\b|"
    # "what goes well with it", "anything that would go with them"; not "how far down do i go with it".
    r"\b(?:goes|go\s+well|(?:what|which|anything|something|else|that)\s+(?:(?:would|could|should|to|can|might)\s+)?go)"
    r"\s+(?:well\s+)?with\s+(?:it|them|that|those|this|these)\b|"
    r"\balongside\s+(?:it|them|that|those|this|these)\b"
)
# "why does that happen?", "how are they different from squats?": a follow-up pointing at what the
# turn before said or named.
POINTS_BACK = re.compile(r"\b(?:that|this|it|its|they|them|those|these)\b", re.IGNORECASE)
# "they hurt my knees tho": a pronoun standing for the exercises of the turn before.
THEM = re.compile(r"\b(?:they|them|those|these|it)\b")
# What a member says when an exercise troubles them: "heavy squats n deads, my hip flexors are tight".
COMPLAINT = re.compile(
    r"\b(?:tight\w*|stiff\w*|hurts?|hurting|hurt|sore\w*|pain\w*|aches?|achy|aching|tweak\w*|(?<!why )bother(?:s|ed|ing)?\b(?!\s+(?:with|to|doing)\b)|"
    r"problem\w*|issues?|niggle\w*|locked|cramp\w*)\b"
)
# What a member says when they doubt an exercise is right for runners: "are squats n deads actually
# bad for runners?", "those lifts arent great for running", "both legs do the same thing".
DOUBT = re.compile(
    r"\b(?:bad|(?:not|\w+n'?t)\s+(?:\w+\s+)?(?:ideal|great|good))\b[^.?!]{0,40}?\bfor\s+(?:runners?|running|us)\b|"
    r"\bboth\s+legs\s+(?:do|doing)\s+the\s+same\b|\btwo[-\s]legged\b|"
    # Or that they are sick of: "squats n planks bore me to tears".
    r"\bbor(?:e|es|ed|ing)\b|\bhate\b|\bsick\s+of\b|\bfed\s+up\s+with\b|\bcan'?t\s+stand\b"
)
# "should i ditch them completely?": asking whether to drop an exercise is no doubt of it ("these
# aren't ALL bad").
DROPPING = re.compile(r"\b(?:ditch\w*|drop\w*|stop\w*|quit\w*|give\s+up|get\s+rid|cut\s+out)\b")
# "no swelling or pain, just want to know how many lunges": a complaint word the member negates.
NEGATED = re.compile(
    r"\b(?:no|not|never|without|zero|none|nor|don'?t|doesn'?t|didn'?t|isn'?t|aren'?t|wasn'?t)\b(?:\W+\w+){0,3}\W*$"
)


# "so my hips dont feel locked up", "to not feel locked up": the negation states a wish to be rid of it.
PURPOSE = re.compile(r"\b(?:so|to|that|avoid|prevent|stop)\b(?:\W+\w+){0,2}\W*$")


# "quads still sore from squats (normal doms i think)": soreness the member calls ordinary.
ORDINARY = re.compile(r"\b(?:doms|normal\s+(?:soreness|stiffness)|just\s+normal)\b")


def complains(text: str) -> bool:
    """Whether `text` (lower case) holds a complaint word the member does not negate ("no swelling or
    pain"; "so my hips don't lock up" is still a complaint) nor call ordinary ("sore, normal doms")."""
    for m in COMPLAINT.finditer(text):
        negation = NEGATED.search(text[: m.start()])
        if negation is not None and not PURPOSE.search(text[: negation.start()]):
            continue
        if m.group().startswith(("sore", "stiff", "ach")) and ORDINARY.search(text):
            continue
        return True
    return False


# What a passage says of an exercise it warns against for some runners ("to avoid overusing lumbar
# muscles" says what an exercise is for, so it is no warning).
WARNING = re.compile(
    r"\b(?:problematic|(?<!to )avoid\w*|risk\w*|injur\w*|careful|caution\w*|dangerous|counterproductive|"
    r"not\s+recommended|bad\s+idea|worse|aggravat\w*|strain\w*)\b"
)
CLAUSE_BREAK = re.compile(r"[.;!?\n]+|\b(?:but|so)\b")
# What a sentence says of an exercise it recommends: "Squats are also great for improving knee
# stability", "I recommend pairing it with single leg stability work like the hip airplane".
RECOMMENDS = re.compile(
    r"\b(?:recommend\w*|great|good\s+(?:for|place|way|idea)|helps?|benefit\w*|essential|improv\w*|"
    r"build\w*|strengthen\w*|perfect|excellent|fantastic|(?<!at )best|should|try|include|add(?:ing)?|"
    r"ideal|effective|key|targets?|reinforc\w*|mimic\w*)\b"
)

# What a sentence holds up as the contrast to what it recommends, up to the clause's end.
CONTRASTED = re.compile(
    r"\b(?:unlike|rather\s+than|instead\s+of|as\s+opposed\s+to|compared\s+(?:to|with)|different\s+(?:from|than))\b[^,.;:]*"
)

# The bare names of exercises a more specific card's article may mean by them, and the words that
# make a name mean the general exercise ("the formal deadlift").
BARE = {"deadlift": ("deadlift", "deadlifts", "deads", "dead lift", "dl", "dls")}
QUALIFIED = re.compile(r"\b(?:formal|conventional|barbell|regular|normal|traditional|standard|classic)\s+$")
# Where a sentence of the member's ends.
SENTENCE_END = re.compile(r"(?<=[.?!])\s+")
# Words shared by too many concerns to count on their own in a partial match.
GENERIC_CONCERN_WORDS = frozenset(
    {
        "strength",
        "strong",
        "weak",
        "run",
        "running",
        "form",
        "train",
        "work",
        "lift",
        "exercis",
        "gym",
        "muscl",
        # When, not what: "cooked after carrying a bottle... any lift" is not half of "recovery after lifting".
        "after",
        "before",
    }
)
# A word in the concerns of more than this share of the cards tells no card apart on its own.
COMMON_SHARE = 0.25
# A beginner is not sent to advanced cards; "at home / no gym" prefers cards that need no kit.
LEVEL_PENALTY = {"beginner": 0.0, "intermediate": 0.5, "advanced": 1.5}
# How much a card's nearest concern's cosine adds: enough to break a tie, too little to outweigh evidence.
TIE_BREAK = 0.01
# The share of the equipment penalty a card pays for kit it lists as optional.
OPTIONAL_KIT = 1 / 2


@dataclass(frozen=True)
class Weights:
    """How much each piece of evidence counts for a card (`Settings.suggest_*`): a name in the
    question outweighs a concern, which outweighs a passage link."""

    named_in_question: float
    # Each exercise named after the first counts this much less: the first named is the subject.
    named_order: float
    named_earlier: float
    concern_full: float
    concern_partial: float
    # Each further concern of the card that the member names in full.
    concern_more: float
    quote_in_passage: float
    quote_in_lead: float
    named_in_heading: float
    named_in_passage: float
    named_in_section: float
    # A concern close in meaning counts like a matching one, scaled from `concern_similar` (cosine)
    # up to `concern_similar_full`; closeness alone supports a card only from `concern_support` up.
    concern_similar: float
    concern_similar_full: float
    concern_support: float
    equipment_penalty: float
    min_score: float

    @classmethod
    def of(cls, settings: Settings) -> Weights:
        return cls(**{f: getattr(settings, f"suggest_{f}") for f in cls.__dataclass_fields__})


@dataclass(frozen=True)
class _Scored:
    slug: str
    score: float
    concern: str | None
    # What makes the card worth showing: the member named it or its concern, or a passage recommends it.
    supported: bool = True


def unnegated(text: str) -> str:
    """`text` without its negating words, so that the word each negates still counts."""
    return " ".join(w for w in text.split() if w.lower() not in NEGATORS)


def concern_list(catalog: Catalog) -> list[tuple[str, str]]:
    """(slug, concern) for every concern of every exercise, in a stable order."""
    return [(slug, c) for slug, ex in sorted(catalog.exercises.items()) for c in ex.concerns]


class Names(Matcher):
    """The catalog's matcher, which also tells what a question names only as its setting: what to do
    around, or what the member already does."""

    def around(self, text: str) -> list[str]:
        """Slugs a request for what to do names only as its setting ("what should I do after
        squats?"), never as its subject; in a question asking what else to do ("anything missing?"),
        every exercise it names."""
        norm = normalise_text(text)
        lowered = text.lower().replace("’", "'")
        if self.pattern is not None and SOMETHING_ELSE.search(lowered):
            return self(text)
        if self.pattern is not None and (tried := NOT_HELPING.search(lowered)):
            return self(lowered[: tried.start()])
        if self.pattern is None or not WHAT_TO_DO.search(norm):
            return []
        setting: dict[str, bool] = {}
        joined, end = False, 0  # whether the last name was a setting; where it ended
        for m in self.pattern.finditer(norm):
            here = AROUND.search(norm[: m.start()]) is not None or (
                joined and AND_OR.fullmatch(norm[end : m.start()]) is not None
            )
            slug = self.slugs[m.group(1)]
            setting[slug] = setting.get(slug, True) and here
            joined, end = here, m.end()
        return [slug for slug, only in setting.items() if only]

    def doing(self, text: str) -> list[str]:
        """Slugs `text` names only in a statement of what the member already does ("i squat like 2x
        bodyweight but my hips drop")."""
        lowered = text.lower().replace("’", "'")
        spans = [m.span() for m in DOING.finditer(lowered)] if self.pattern is not None else []
        if not spans:
            return []
        inside = self(" ; ".join(lowered[a:b] for a, b in spans))
        rest = list(lowered)
        for a, b in spans:
            rest[a:b] = " " * (b - a)
        outside = self("".join(rest))
        return [s for s in inside if s not in outside]


@functools.lru_cache(maxsize=16384)  # the same sentences come back question after question
def _mentions(names: Matcher, sentence: str) -> tuple[tuple[str, str], ...]:
    """(the name as written, slug) of every exercise `sentence` names."""
    assert names.pattern is not None
    return tuple(
        (m.group(1), names.slugs[m.group(1)]) for m in names.pattern.finditer(normalise_text(sentence))
    )


def another_form(names: Matcher, sentence: str, asked: Sequence[str]) -> bool:
    """Whether `sentence` speaks of a more general exercise than one `asked` about, by a qualified name:
    "The formal deadlift quite simply involves lifting a bar from the ground" is not about the Runner
    Deadlift, though the Deadlift's name is in it ("the deadlift" alone may mean it, see
    `specific_names`)."""
    if names.pattern is None or not asked:
        return False
    exercises = names.catalog.exercises
    asked_names = [f" {normalise_text(exercises[a].name)} " for a in asked if a in exercises]
    for said, slug in _mentions(names, sentence):
        general = normalise_text(exercises[slug].name)
        if slug in asked or said.startswith(general):
            continue  # the exercise asked about, or a bare name
        if any(f" {general} " in name for name in asked_names):
            return True
    return False


def specific_names(names: Matcher, body: str) -> dict[str, str]:
    """In an article about one exercise, the shorter names that mean it: "the deadlift" in the Runner
    Deadlift article is the Runner Deadlift (the exercise it names most, when that name holds theirs)."""
    counts: dict[str, int] = {}
    for slug in names.all(body):
        counts[slug] = counts.get(slug, 0) + 1
    if not counts:
        return {}
    exercises = names.catalog.exercises
    main = max(counts, key=lambda slug: counts[slug])
    main_name = normalise_text(exercises[main].name)
    return {
        slug: main
        for slug in exercises
        if slug != main and f" {normalise_text(exercises[slug].name)} " in f" {main_name} "
    }


def speaks_well(sentence: str, named: set[str], named_in: Callable[[str], set[str]]) -> set[str]:
    """Of the exercises `named` in `sentence`, those it speaks well of: not in a warning, nor held up
    as the contrast ("Unlike a rear squat, the bar grasped in front of the body helps..." recommends
    no squat). `named_in` names the exercises in a text."""
    text = sentence.lower()
    if not named or not RECOMMENDS.search(text) or WARNING.search(text):
        return set()
    return named & named_in(CONTRASTED.sub(" ", text)) if CONTRASTED.search(text) else named


class _Facts:
    """What one article names: its specific names, the exercises each section names, and those each
    sentence names (worked out when a passage first holds the sentence)."""

    def __init__(
        self,
        body: str,
        specific: Callable[[str], dict[str, str]],
        spans: list[tuple[int, int]],
        names: Names,
        general: set[str],
    ) -> None:
        self.body = body
        self._specific_of = specific
        self._specific: dict[str, str] | None = None
        self._general = general
        self.names = names
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        self._sections = [(sec.start, sec.end) for sec in sections(body)]
        self._in_section: dict[int, set[str]] = {}
        self._named: dict[int, set[str]] = {}
        self._recommending: dict[int, set[str]] = {}

    @property
    def specific(self) -> dict[str, str]:
        """Shorter names that mean the article's own exercise (read from the whole article, once)."""
        if self._specific is None:
            self._specific = self._specific_of(self.body)
        return self._specific

    def named_in(self, text: str) -> set[str]:
        named = self.names(LIFTERS.sub(" ", text.lower()))
        if self._general.isdisjoint(named):  # no name that a longer one holds: nothing to resolve
            return set(named)
        return {self.specific.get(slug, slug) for slug in named}

    def in_section(self, at: int) -> set[str]:
        """The exercises named in the section holding offset `at`: a passage speaks for its section."""
        for k, (start, end) in enumerate(self._sections):
            if start <= at < end:
                if k not in self._in_section:
                    self._in_section[k] = self.named_in(self.body[start:end])
                return self._in_section[k]
        return set()

    def section_rows(self, at: int) -> range:
        """Rows of the sentences in the section holding offset `at`."""
        for start, end in self._sections:
            if start <= at < end:
                return range(bisect_left(self.starts, start), bisect_left(self.starts, end))
        return range(0)

    def named(self, row: int) -> set[str]:
        """The exercises sentence `row` names."""
        if row not in self._named:
            self._named[row] = self.named_in(self.body[self.starts[row] : self.ends[row]])
        return self._named[row]

    def recommending(self, row: int) -> set[str]:
        """The exercises sentence `row` names and speaks well of."""
        if row not in self._recommending:
            text = self.body[self.starts[row] : self.ends[row]]
            self._recommending[row] = speaks_well(text, self.named(row), self.named_in)
        return self._recommending[row]


def _rows_within(facts: _Facts, start: int, end: int) -> list[int]:
    """Rows of `facts` for the sentences between `start` and `end`."""
    starts, ends = facts.starts, facts.ends
    out = []
    for i in range(bisect_left(starts, start), len(starts)):
        if ends[i] > end:
            break
        out.append(i)
    return out


class Suggester:
    """Chooses up to `limit` exercises for an answered question."""

    def __init__(
        self,
        catalog: Catalog,
        terms: Terms,
        limit: int = 3,
        articles: Sequence[Article] | Mapping[str, Article] = (),
        concern_vectors: np.ndarray | None = None,
        sentences: Sentences | Sequence[tuple[str, int, int]] = (),
        weights: Weights | None = None,
        specific: Mapping[str, dict[str, str]] | None = None,
        names: Names | None = None,
    ) -> None:
        """`concern_vectors` holds one embedding per concern, in `concern_list()` order; `weights`
        default to those of the default `Settings`; `names` is the catalog's matcher, when the
        caller shares one."""
        self.w = weights or Weights.of(Settings(_env_file=None))
        self.catalog = catalog
        self.limit = limit
        # Loading said another way is adding weight: the words of the Box Squat's "adding weight to squats".
        self._terms: Terms = lambda text: terms(as_adding_weight(text))
        self.names = names or Names(catalog)
        self._quotes = {
            slug: [normalise_text(src.quote) for src in ex.sources] for slug, ex in catalog.exercises.items()
        }
        # A concern's words all count, a negated one too: "glutes not firing" is about firing, and read
        # as a question ("not firing" dropped) it would be about glutes alone, claimed by any glute question.
        self._concerns = {
            slug: [(c, set(terms(unnegated(c))), unnegated(c) != c) for c in ex.concerns]
            for slug, ex in catalog.exercises.items()
        }
        self._concern_rows = concern_list(catalog)
        # Words in the concerns of more than `COMMON_SHARE` of the cards ("glute", "hip", "knee"): one of
        # them alone names no card's concern in part ("wake up my glutes" is not half of "weak glutes").
        claimed = Counter(
            t for concerns in self._concerns.values() for t in set().union(*(c[1] for c in concerns))
        )
        self._common = frozenset(t for t, n in claimed.items() if n > COMMON_SHARE * len(catalog.exercises))
        # Cards for single-leg work: their name or one of their concerns says so ("single-leg stability",
        # "asymmetrical single-leg strength work").
        self._single_leg = frozenset(
            slug
            for slug, ex in catalog.exercises.items()
            if any(SINGLE_LEG.search(normalise_text(t)) for t in (ex.name, *ex.concerns))
        )
        # Cards for strength work without a gym (a concern of theirs says so, and they need no kit), and
        # for those new to it (a concern says so, and they are a beginner's).
        self._no_kit = frozenset(
            slug
            for slug, ex in catalog.exercises.items()
            if all("optional" in item.lower() for item in ex.equipment)
            and any(NO_EQUIPMENT.search(c.lower()) for c in ex.concerns)
        )
        self._first_steps = frozenset(
            slug
            for slug, ex in catalog.exercises.items()
            if ex.level == "beginner" and any(BEGINNER.search(c.lower()) for c in ex.concerns)
        )
        # The single-leg version of an exercise, where the catalog has one ("Single-Leg Hip Thrust").
        by_name = {normalise_text(ex.name): slug for slug, ex in catalog.exercises.items()}
        self._one_legged = {
            slug: one
            for slug, ex in catalog.exercises.items()
            if (one := by_name.get(f"single leg {normalise_text(ex.name)}"))
        }
        self._concern_vectors = concern_vectors
        self._articles: Mapping[str, Article] = (
            articles if isinstance(articles, Mapping) else {a.id: a for a in articles}
        )
        self._spans = sentences if isinstance(sentences, Sentences) else Sentences.grouped(sentences)
        # What each article names, worked out the first time one of its passages is found; the
        # articles used last are kept (a long-running bot over a large library stays bounded).
        self._facts: OrderedDict[str, _Facts] = OrderedDict()
        self._facts_lock = threading.Lock()
        # `specific_names` of every article (those missing have none), when worked out beforehand (the
        # coach keeps them with the index build); else each article is read when first needed.
        self._specific = specific
        self._quote_spans = self.names.quotes(self._articles)
        # Exercises whose name a longer one holds ("deadlift" in "runner deadlift"): in an article
        # about the longer one, the short name may mean it.
        padded = {slug: f" {normalise_text(ex.name)} " for slug, ex in catalog.exercises.items()}
        self._general = {s for s, n in padded.items() if any(s != o and n in m for o, m in padded.items())}

    def _facts_of(self, article_id: str) -> _Facts | None:
        """What an article names, by section and by sentence (None: an article the index does not
        hold; `starts` is empty when its sentences are unknown)."""
        with self._facts_lock:
            facts = self._facts.get(article_id)
            if facts is not None:
                self._facts.move_to_end(article_id)
                return facts
        if article_id not in self._articles:
            return None
        body = self._articles[article_id].body
        # In an article about one exercise, a shorter name means that exercise: "the deadlift" in
        # the Runner Deadlift article is the Runner Deadlift.
        spans = self._spans.spans_of(article_id)
        known = self._specific.get(article_id, {}) if self._specific is not None else None
        specific = (lambda _: known) if known is not None else (lambda text: specific_names(self.names, text))
        facts = _Facts(body, specific, spans, self.names, self._general)
        with self._facts_lock:
            self._facts[article_id] = facts
            while len(self._facts) > MAX_FACTS:
                self._facts.popitem(last=False)
        return facts

    def _named_in(self, article_id: str, text: str) -> set[str]:
        facts = self._facts_of(article_id)
        return facts.named_in(text) if facts is not None else set(self.names(text))

    def _similar_concerns(
        self, vector: np.ndarray | None
    ) -> tuple[dict[str, tuple[float, str]], dict[str, float]]:
        """Per exercise, the concern closest in meaning to the question, scored 0..`concern_full`
        (from `concern_similar` up); and per exercise, that closest concern's cosine, however low."""
        if vector is None or self._concern_vectors is None or not len(self._concern_rows):
            return {}, {}
        sims = self._concern_vectors @ np.asarray(vector, dtype=np.float32)
        out: dict[str, tuple[float, str]] = {}
        nearest: dict[str, float] = {}
        span = self.w.concern_similar_full - self.w.concern_similar
        for (slug, concern), sim in zip(self._concern_rows, sims, strict=True):
            nearest[slug] = max(nearest.get(slug, -1.0), float(sim))
            if sim < self.w.concern_similar:
                continue
            score = self.w.concern_full * min(1.0, 0.5 + 0.5 * (float(sim) - self.w.concern_similar) / span)
            if score > out.get(slug, (0.0, ""))[0]:
                out[slug] = (score, concern)
        return out, nearest

    def _section_names(self, p: Passage) -> set[str]:
        facts = self._facts_of(p.article.id)
        return facts.in_section(p.start) if facts is not None else set()

    def _concern_score(
        self,
        slug: str,
        words: set[str],
        said: set[str] | None = None,
        texts: Sequence[set[str]] = (),
    ) -> tuple[float, str | None]:
        """The best of the card's concerns the member names, and more for each further one named in
        full ("hip drop and weak glutes": the cards for both come before those for one). With the
        member's `texts` (the terms of each sentence), a concern of several words is named in full only
        where its words stand together in one sentence: "my hip flexors are tight... should I drop
        deadlifts?" does not name "hip drop"."""
        best, label, full = 0.0, None, 0
        for concern, cterms, negated in self._concerns[slug]:
            if not cterms:
                continue
            # "my glutes are not firing" names "glutes not firing" with the word its negation drops.
            shared = cterms & (said if negated and said is not None else words)
            share = len(shared) / len(cterms)
            if share == 1 and texts and len(cterms) > 1 and not any(cterms <= t for t in texts):
                share = (len(cterms) - 1) / len(cterms)
            if share < 1 and shared <= GENERIC_CONCERN_WORDS | self._common:
                continue  # "strength" alone does not make "grip strength" a match, nor "glutes" "weak glutes"
            score = (
                self.w.concern_full
                if share == 1
                else self.w.concern_partial
                if share >= 0.5 and len(cterms) > 1
                else 0.0
            )
            full += share == 1
            if score > best:
                best, label = score, concern
        return best + self.w.concern_more * max(0, full - 1), label

    def suggest(
        self,
        question: str,
        history: Sequence[str],
        passages: Sequence[Passage],
        vector: np.ndarray | None = None,
        focus: str | None = None,
        quoted: Sequence[int] = (),
        lead: tuple[str, int, int] | None = None,
    ) -> list[Suggestion]:
        """Exercises for `question` (read with its `history`, embedded as `vector`), tied to passages.

        A card is suggested only when something supports it: the member names the exercise or one of
        its concerns (in words, or very close in meaning), or a passage found for the question
        recommends it (quotes the card's source). `focus` is the exercise under discussion (a
        follow-up such as "how many reps?" asks about it). A card the member says troubles them, or
        that a passage warns against for what the member describes, is never first. `quoted` holds
        the ranks of the passages the short answer quotes, in its order: such a passage's evidence
        weighs as if it ranked there, when that is higher. `lead` is (article, start, end) of the short
        answer's first sentence: a card whose source it holds is what the member reads first ("Foam
        rolling, light activity, or asymmetrical exercises performed AFTER big lifts...").
        """
        lowered = question.lower().replace("’", "'")
        named = self.names(question)
        # Single-leg work as such ("should most of my gym stuff be single leg?"), not the single-leg
        # version of an exercise named or under discussion ("squats on one leg?").
        single_leg_work = (
            not focus and not (history and THEM.search(lowered)) and self._single_leg_work(question)
        )
        one_leg = ONE_LEGGED.search(question.lower()) is not None and not single_leg_work
        # What the member says of themselves ("no gym membership", "never set foot in a gym") names what
        # some cards are kept for, when they ask about no exercise in particular.
        kept_for: frozenset[str] = frozenset()
        if not named and not focus:
            if NO_EQUIPMENT.search(lowered):
                kept_for |= self._no_kit
            if BEGINNER.search(lowered):
                kept_for |= self._first_steps
        around = self.names.around(question)
        paired = bool(history) and PAIRED_WITH.search(lowered) is not None and not named
        if history and AFTER_THEM.search(lowered) and WHAT_TO_DO.search(normalise_text(question)):
            around = [*around, *self._named_last(history)]  # "what should I do after them?"
        elif (
            history
            and SOMETHING_ELSE.search(lowered)
            and (THEM.search(lowered) or INSTEAD.search(lowered))
            and not named
        ):
            # "they hurt my knees, what can I do instead?"; a bare "instead" points back on its own
            # ("are squats n deadlifts good for runners?" "so what should my gym time look like instead").
            around = [*around, *self._named_last(history)]
        # What the member says they already do is the setting too ("i squat like 2x bodyweight but my
        # hips drop"), and stays so in later turns unless they name it again; its versions still count.
        doing = self.names.doing(question) + [
            s for t in history for s in self.names.doing(t) if s not in named
        ]
        named_now = [s for s in named if s not in around and s not in doing]
        named_now = self._specific_first(self._as_meant(question, named_now, passages))
        earlier = [s for s in self._as_said(history) if s not in doing]
        said = {*named_now, *earlier}  # what the member named in words
        if focus and one_leg:
            # "one leg at a time?" of the exercise under discussion asks for its single-leg version; of
            # one without such a version, it says nothing.
            focus = self._one_legged.get(focus)
        if focus and focus not in named_now:
            named_now.append(focus)
        # "ok and what about lunges?": an exercise named now is the subject; those of earlier turns
        # count while the member names none, or points back at them ("how are they different from squats").
        named_before = [s for s in earlier if s not in named_now and s not in around]
        if named_now and not THEM.search(lowered):
            named_before = []
        two_legs: list[str] = []  # the two-legged versions weighed beside a single-leg one
        if one_leg:
            # "hip thrusts on one leg": the single-leg version is the one asked for; the two-legged
            # one counts as mentioned earlier.
            swapped = [s for s in named_now if s in self._one_legged]
            named_now = [self._one_legged.get(s, s) for s in named_now]
            # "them one leg at a time" after glute bridges and hip thrusts: the hip thrust has a
            # single-leg version, the glute bridge none, so only the former is asked about.
            if any(s in self._one_legged for s in named_before):
                named_before = [self._one_legged[s] for s in named_before if s in self._one_legged]
            named_before = [*swapped, *named_before]
            if BOTH_LEGS.search(lowered):
                # "single leg hip thrusts take forever, any point vs both legs?": the Hip Thrust is
                # asked about too, after its single-leg version.
                two_legged = {one: slug for slug, one in self._one_legged.items()}
                two_legs = [two_legged[s] for s in (*named_now, *named_before) if s in two_legged]
                two_legs = [s for s in two_legs if s not in named_before]
                named_before = [*named_before, *two_legs]
        seen = [(p, *self._evidence(p)) for p in passages]
        # The passages in the order a member reads them: those the short answer quotes first.
        place = {r: k for k, r in enumerate(dict.fromkeys([*quoted, *(p.rank for p in passages)]), start=1)}
        # What the member says they want or have; when pairing, not the name of the exercise to pair:
        # after "what's a power raise", "what should I pair it with?" is no wish for explosive power.
        before = history[-1] if history else ""
        before_said = self.names.without(before) if paired else before
        asked_terms = set(self._terms(question))
        words = asked_terms | set(self._terms(before_said))
        said_words = words | set(self._terms(unnegated(question)))
        # Where a concern's words must stand together: a sentence of the question or of the turn
        # before, or the close of that turn with the question ("what squat first?" "and to add weight?").
        now, then = SENTENCE_END.split(question), SENTENCE_END.split(before_said)
        said_texts = [set(self._terms(t)) for t in (*now, *then, f"{then[-1]} {now[0]}", unnegated(question))]
        similar, nearest = self._similar_concerns(vector)
        # A passage recommends a card when it quotes the card's source, has a sentence that names the
        # exercise and speaks well of it, or sits under a heading that names it (it is about doing it).
        recommended = {slug for _, quoted, _, heading in seen for slug in (*quoted, *heading)}
        recommended |= {slug for p in passages for slug in self._recommended_in(p)}
        scored: list[_Scored] = []
        in_lead = {slug for _, slug in self._quotes_within(*lead)} if lead else set()
        # The easier versions of what the member already does ("i squat 2x bodyweight"): no step on.
        below = self._easier_than(doing)
        for slug in self.catalog.exercises:
            if slug in around or slug in doing or slug in below or self._variant_of(slug, around):
                continue  # what the member already does (or a version of it) is not "what after it?"
            score, concern = self._concern_score(slug, words, said_words, said_texts)
            in_words = score >= self.w.concern_full  # every word of the concern is in the member's words
            close = similar.get(slug, (0.0, ""))
            if close[0] > score:
                score = close[0]
            # Equal evidence otherwise: the card whose concerns come closest in meaning goes first
            # ("outkicked... which lift for that last sprint?": the Hip Thrust, for a "finishing kick").
            score += TIE_BREAK * nearest.get(slug, 0.0)
            if slug in named_now:
                score += self.w.named_in_question - named_now.index(slug) * self.w.named_order
            elif slug in named_before:
                score += self.w.named_earlier - (self.w.named_order if slug in two_legs else 0.0)
            if score < self.w.concern_full and (
                slug in kept_for or (single_leg_work and slug in self._single_leg)
            ):
                # "do i need a gym membership for this?", "should most of my gym stuff be single leg?"
                score, concern = self.w.concern_full, concern or ""
            score += self._passage_score(slug, seen, place) - self._fit_penalty(slug, question)
            score += self.w.quote_in_lead * (slug in in_lead)
            supported = (
                concern is not None
                or close[0] >= self.w.concern_support
                or slug in named_now
                or slug in named_before
                or slug in recommended
            )
            if score >= self.w.min_score and supported:
                # The reason names a concern only in the member's own words.
                scored.append(_Scored(slug, score, concern if in_words else None))
        # Equal evidence: the card the passages bring up first (the best passage, then the earliest
        # mention in it) comes first; "Dr Uhan recommends the power raise" before "pairing it with...".
        tied = len({round(s.score, 6) for s in scored}) < len(scored)
        order = self._mention_order(seen, place) if tied else {}  # scans sections: only when it decides
        scored.sort(key=lambda s: (-round(s.score, 6), order.get(s.slug, (len(seen) + 1, 0, 0))))
        # The best passage is the first the member reads.
        best_quotes = min(seen, key=lambda s: place[s[0].rank])[1] if seen else set()
        # Not when the member weighs two exercises ("glute bridges or hip thrusts first?"): the answer is
        # one of those two, not a version of either.
        chosen = [s.slug for s in scored]
        if len(named_now) == 1:
            chosen = self._versions_first(chosen, named_now, best_quotes)
        concerned = {
            s.slug
            for s in scored
            if s.concern is not None and not set(self._terms(s.concern)) <= GENERIC_CONCERN_WORDS
        }
        chosen = self._versions_first(chosen, [*named_now, *named_before], concerned)
        if paired:  # "what should I pair it with?": what the passages recommend with it, then it
            # The exercise named in the turn before, else the one under discussion (the card it led with).
            anchors = set(self._named_last(history)) or ({focus} if focus else set())
            # Recommended beside it (in a passage that names it too), else anywhere in the passages.
            beside = {slug for _, _, named, _ in seen if named & anchors for slug in named}
            others = [s for s in chosen if s not in anchors and s in recommended]
            mates = [s for s in others if s in beside] or others
            rest = [s for s in chosen if s not in mates]  # the anchors lead it, in their order
            chosen = [*mates, *sorted(rest, key=lambda s: s not in anchors)]
        elif focus in chosen:  # "how many reps tho": of the exercise under discussion, whatever else scores
            chosen = [focus, *(s for s in chosen if s != focus)]
        # A card chosen for what the question itself asks ("and when i want to add some weight to it?":
        # the Box Squat, for "adding weight to squats") is the version wanted, not a step from it.
        asked_words = asked_terms - GENERIC_CONCERN_WORDS
        asked_for = {
            s.slug for s in scored if s.slug in concerned and set(self._terms(s.concern or "")) & asked_words
        }
        want = version_wanted(question)
        chosen = self._variants(want, chosen, [*named_now, *named_before], focus, asked_for)
        chosen = self._beginners_first(question, chosen, named_now)
        if single_leg_work:
            # "why all the single leg stuff instead of normal squats?": the single-leg cards go first.
            chosen = sorted(chosen, key=lambda s: s not in self._single_leg)
        complained, warned, doubted = self._troubled(question, chosen, passages, history)
        troubled = complained | warned | doubted
        chosen = [s for s in chosen if s not in troubled] + [s for s in chosen if s in troubled]
        # A version of an exercise a passage warns against, that a passage found recommends, is the
        # way to go on with it: "tight hamstrings, should I avoid deadlifts?" is answered with the
        # Runner Deadlift, whose depth "hamstring flexibility will dictate".
        kept = [
            s
            for s in chosen
            if s not in troubled and s in recommended and self._variant_of(s, sorted(warned))
        ]
        chosen = [*kept, *(s for s in chosen if s not in kept)]
        if chosen and chosen[0] in complained | warned:
            chosen = []  # nothing but cards that would hurt or that a passage warns against
        if not (named_now or named_before or kept_for or single_leg_work or paired or want):
            chosen = self._one_per_family(chosen)
        by_slug = {s.slug: s for s in scored}
        out = []
        for slug in chosen[: self.limit]:
            ex = self.catalog.exercises[slug]
            concern = by_slug[slug].concern if slug in by_slug else None
            asked = slug in named_now or slug in named_before
            discussed = slug == focus and slug not in said  # "how many reps?" of the card before
            citation = self._citation(slug, seen, asked)
            out.append(
                Suggestion(
                    ex, citation=citation, concern=concern, named=asked and not discussed, discussed=discussed
                )
            )
        return out

    def _one_per_family(self, chosen: list[str]) -> list[str]:
        """`chosen` with one card of each exercise first: for "is once a week enough for the posterior
        chain?", the Glute Hamstring Raise, the Hip Thrust and the Squat, not the raise and then its
        eccentric version. The other versions follow in their order."""
        names = {
            slug: f" {normalise_text(self.catalog.exercises[slug].name).replace('-', ' ')} "
            for slug in chosen
        }
        firsts: list[str] = []
        for slug in chosen:
            one_leg = slug in self._one_legged.values()
            if one_leg or not any(names[f] in names[slug] or names[slug] in names[f] for f in firsts):
                firsts.append(slug)
        return [*firsts, *(s for s in chosen if s not in firsts)]

    def _single_leg_work(self, question: str) -> bool:
        """Whether the question asks about single-leg work as such ("should most of my gym stuff be
        single leg?", "unilateral vs bilateral"), not about an exercise done on one leg: "can I do box
        squats on one leg?" names the exercise just before."""
        marked = self.names.without(question, instead=f" {NAME_MARK} ")
        legs = list(ONE_LEGGED.finditer(marked))  # "both legs do the same in squats" is of the squat
        return bool(legs) and all(
            not NAME_BEFORE.search(marked[: m.start()]) and not NAME_AFTER.match(marked[m.end() :])
            for m in legs
        )

    def _specific_first(self, named: list[str]) -> list[str]:
        """The named exercises with a general one after its named versions: in "how is the runner
        deadlift different from a normal deadlift?" or "new to squatting: air squats or box squats?",
        the general name sets the version apart; the version is what is asked about."""
        ex = self.catalog.exercises
        general = {a for a in named for b in named if a != b and ex[a].name.lower() in ex[b].name.lower()}
        return [s for s in named if s not in general] + [s for s in named if s in general]

    def _as_meant(self, question: str, named: list[str], passages: Sequence[Passage]) -> list[str]:
        """A bare shorter name ("deadlifts") read as the best passage's article reads it: in the Runner
        Deadlift article, "how low do I go on a deadlift?" is about the Runner Deadlift. A qualified
        name ("the formal deadlift", "a barbell deadlift") keeps its card."""
        if not named or not passages or self.names.pattern is None:
            return named
        facts = self._facts_of(passages[0].article.id)
        if facts is None or not (specific := facts.specific):
            return named
        norm = normalise_text(question)
        bare = {
            self.names.slugs[m.group(1)]
            for m in self.names.pattern.finditer(norm)
            if m.group(1) in BARE.get(self.names.slugs[m.group(1)], ())
            and not QUALIFIED.search(norm[: m.start()])
        }
        return list(dict.fromkeys(specific.get(s, s) if s in bare else s for s in named))

    def _as_said(self, history: Sequence[str]) -> list[str]:
        """The exercises the earlier turns name, as the member meant them: "hip thrusts one leg at a
        time" asked about the Single-Leg Hip Thrust, which "doesnt that take twice as long?" goes on about."""
        out: list[str] = []
        for turn in history:
            named = self.names(turn)
            if ONE_LEGGED.search(turn.lower()) and not self._single_leg_work(turn):
                named = [self._one_legged.get(s, s) for s in named]
            out += [s for s in named if s not in out]
        return out

    def _named_last(self, history: Sequence[str]) -> list[str]:
        """The exercises of the latest earlier turn that names any ("what should I do after it?" after
        "how do I teach the runner deadlift?" and "how many reps?" is after the runner deadlift)."""
        return next((named for turn in reversed(history) if (named := self.names(turn))), [])

    def _versions_first(self, chosen: list[str], named: Sequence[str], fitting: set[str]) -> list[str]:
        """A version of an exercise the member names goes before it when the version fits and the one
        named does not (`fitting`): the version the best passage recommends ("a couple of squats before
        a run, as a warm-up?": the Bouncy Bodyweight Squat), or the one whose card is for what the
        member says ("squats, and once I want to add weight?": the Box Squat, for adding weight)."""
        out = list(chosen)
        for slug in chosen:
            if slug not in fitting or slug in named:
                continue
            base = next(
                (n for n in named if n in out and n not in fitting and self._variant_of(slug, [n])), None
            )
            if base is not None and out.index(base) < out.index(slug):
                out.remove(slug)
                out.insert(out.index(base), slug)
        return out

    def _easier_than(self, slugs: Sequence[str]) -> set[str]:
        """Every easier version of the exercises `slugs`, down the catalog's "easier" links (the Box
        Squat and the Air Squat below the Squat)."""
        out: set[str] = set()
        for slug in slugs:
            ex = self.catalog.exercises.get(slug)
            while ex is not None and ex.easier and ex.easier not in out and ex.easier not in slugs:
                out.add(ex.easier)
                ex = self.catalog.exercises.get(ex.easier)
        return out

    def _variant_of(self, slug: str, others: Sequence[str]) -> bool:
        """Whether `slug` is a version of one of `others`: its name holds theirs ("Air Squat" of the
        Squat). Their easier card is not ("what should I do before hip thrusts?": glute bridges), nor
        their single-leg version: "squats and deadlifts make me stiff, what instead?" is answered by
        single-leg work."""
        if slug in self._one_legged.values():
            return False
        name = f" {normalise_text(self.catalog.exercises[slug].name)} "
        return any(
            f" {normalise_text(ex.name)} " in name
            for ex in (self.catalog.exercises.get(other) for other in others)
            if ex is not None
        )

    def _troubled(
        self, question: str, chosen: Sequence[str], passages: Sequence[Passage], history: Sequence[str] = ()
    ) -> tuple[set[str], set[str], set[str]]:
        """Cards the member says trouble them ("heavy squats n deads, my hip flexors are crazy tight"),
        cards a passage warns against for what the member describes ("particularly problematic for
        runners who already have issues with tight hamstrings" when they say their hammies are tight)
        or names beside the same complaint without speaking well of it ("If your deadlift goes up, but
        you notice your hip flexors are crazy tight... no bueno"), and cards the member doubts are
        right for runners ("are squats n deads actually bad for runners?"), with their versions:
        (complained of, warned against, doubted)."""
        text = question.lower().replace("’", "'")
        if history and POINTS_BACK.search(text):
            # "why does that happen?" after "my deadlift is going up but my hip flexors are crazy tight":
            # the complaint of the turn before still stands.
            before = history[-1].lower().replace("’", "'")
            text = f"{text}. {before}"
        out: set[str] = set()
        doubted: set[str] = set()
        dropping = DROPPING.search(text) is not None
        for clause in CLAUSE_BREAK.split(text):
            complaint = complains(clause)
            if complaint or (DOUBT.search(clause) is not None and not dropping):
                named = set(self.names(clause))
                if not named and history and THEM.search(clause):
                    named = set(self._named_last(history))  # "they hurt my knees", of the squats before
                if complaint:
                    out |= named
                else:  # "are squats bad for runners?" is not answered with the Air Squat either
                    doubted |= named | {s for s in chosen if self._variant_of(s, sorted(named))}
        warned: set[str] = set()
        if not complains(text):
            return out, warned, doubted - out
        asked = set(self._terms(text))
        for p in passages:
            for start, end in self._sentence_spans(p):
                sentence = p.article.body[start:end]
                lowered = sentence.lower()
                warns = WARNING.search(lowered) is not None
                if not warns and (RECOMMENDS.search(lowered) or not COMPLAINT.search(lowered)):
                    continue  # neither a warning nor the member's complaint told of the exercise
                named = self._named_in(p.article.id, sentence)
                if warns:
                    named = named or self._named_in(p.article.id, p.heading)
                shared = asked & set(self._terms(sentence)) - {t for s in named for t in self._terms(s)}
                if named & set(chosen) and shared - GENERIC_CONCERN_WORDS:
                    (warned if warns else out).update(named)
        return out, warned, doubted - out - warned

    def _rows(self, p: Passage, facts: _Facts) -> list[int]:
        """Rows of `facts` (of an indexed article) for the sentences inside `p`."""
        return _rows_within(facts, p.start, p.end)

    def recommends(self, article_id: str, start: int, end: int) -> bool:
        """Whether a sentence of an article between `start` and `end` names an exercise and speaks well
        of it (what a question asking which exercise to do wants from the short answer)."""
        facts = self._facts_of(article_id)
        if facts is None or not facts.starts:
            return False
        return any(facts.recommending(i) for i in _rows_within(facts, start, end))

    def _sentence_spans(self, p: Passage) -> list[tuple[int, int]]:
        facts = self._facts_of(p.article.id)
        if facts is None or not facts.starts:
            return [(p.start, p.end)]
        return [(facts.starts[i], facts.ends[i]) for i in self._rows(p, facts)]

    def _evidence(self, p: Passage) -> tuple[set[str], set[str], set[str]]:
        """Cards whose quote lies in the passage, exercises the passage names, and exercises its
        heading names (a passage under "Performing the Runner Deadlift" is about that exercise)."""
        quoted, named = self._in_passage(p)
        return quoted, named, self._named_in(p.article.id, p.heading)

    def _in_passage(self, p: Passage) -> tuple[set[str], set[str]]:
        """Cards whose quote lies in the passage, and exercises the passage's sentences name."""
        quoted = {slug for _, slug in self._quote_starts(p)}
        facts = self._facts_of(p.article.id)
        if facts is None or not facts.starts:  # not an indexed article: read the text itself
            text = normalise_text(p.text)
            quoted |= {slug for slug, quotes in self._quotes.items() if any(q in text for q in quotes)}
            return quoted, self._named_in(p.article.id, p.text)
        return quoted, set().union(*(facts.named(i) for i in self._rows(p, facts)))

    def _quote_starts(self, p: Passage) -> list[tuple[int, str]]:
        """(offset, slug) of each card quote that lies inside the passage."""
        return self._quotes_within(p.article.id, p.start, p.end)

    def _quotes_within(self, article_id: str, start: int, end: int) -> list[tuple[int, str]]:
        """(offset, slug) of each card quote that lies between `start` and `end` of an article."""
        return [
            (q_start, slug)
            for slug, aid, q_start, q_end in self._quote_spans
            if aid == article_id and start <= q_start and q_end <= end
        ]

    def _mention_order(
        self, seen: Sequence[Seen], place: Mapping[int, int]
    ) -> dict[str, tuple[int, int, int]]:
        """(rank, 0, offset) of the first mention of each card in the passages (its quote, the heading a
        passage sits under, or a sentence naming it), else (rank, 1, offset) in a passage's section;
        a passage's rank is its `place` in reading order."""
        out: dict[str, tuple[int, int, int]] = {}
        for p, _, _, heading in sorted(seen, key=lambda s: place[s[0].rank]):
            rank = place[p.rank]
            facts = self._facts_of(p.article.id)
            for slug in heading:
                out.setdefault(slug, (rank, 0, p.start))
            found = [(0, start, slug) for start, slug in self._quote_starts(p)]
            if facts is not None:
                found += [(0, facts.starts[i], slug) for i in self._rows(p, facts) for slug in facts.named(i)]
                found += [
                    (1, facts.starts[i], slug) for i in facts.section_rows(p.start) for slug in facts.named(i)
                ]
            for outside, start, slug in sorted(found):
                out.setdefault(slug, (rank, outside, start))
        return out

    def _recommended_in(self, p: Passage) -> set[str]:
        """Exercises a sentence of the passage names and speaks well of."""
        facts = self._facts_of(p.article.id)
        if facts is None or not facts.starts:
            return set()
        return set().union(*(facts.recommending(i) for i in self._rows(p, facts)))

    def _fit_penalty(self, slug: str, question: str) -> float:
        """How badly a card fits what the member said about themselves (beginner, no equipment)."""
        ex = self.catalog.exercises[slug]
        text = question.lower()
        penalty = LEVEL_PENALTY.get(ex.level, 0.0) if BEGINNER.search(text) else 0.0
        if NO_EQUIPMENT.search(text) and ex.equipment:
            # Kit a card can do without still fits less well than none at all ("dumbbells (optional)").
            needed = any("optional" not in item.lower() for item in ex.equipment)
            penalty += self.w.equipment_penalty * (1.0 if needed else OPTIONAL_KIT)
        return penalty

    def _variants(
        self,
        want: str | None,
        chosen: list[str],
        named: Sequence[str] = (),
        focus: str | None = None,
        asked_for: Collection[str] = (),
    ) -> list[str]:
        """For "is there an easier/harder version?" (`want`, from `version_wanted`), put the regression or
        progression first; not when a version of an exercise the member `named` is already first, chosen
        for what they say ("squats... once i want to add weight?": the Box Squat, not on from it to the
        Squat), unless it is the exercise under discussion (`focus`): "the harder one" after the Glute
        Bridge given for "an easier thing than hip thrusts?" is the Hip Thrust. A first card `asked_for`
        in the question's own words stays first, its version second."""
        if not want or not chosen:
            return chosen
        named_versions = (self.catalog.exercises[n] for n in named)
        versions = {v for ex in named_versions for v in (ex.easier, ex.harder)}
        if chosen[0] != focus and chosen[0] in versions and chosen[0] not in named:
            return chosen
        base = self.catalog.exercises[chosen[0]]
        variant = getattr(base, want)
        if variant is None:
            return chosen
        if chosen[0] != focus and chosen[0] in asked_for and chosen[0] not in named:
            # Chosen for what the question asks, it stays first and its version follows: "how do i
            # learn it, and once i want to put weight on?" is the Air Squat, then the Box Squat.
            return [chosen[0], variant, *[s for s in chosen[1:] if s != variant]]
        return [variant, *[s for s in chosen if s != variant]]

    def _beginners_first(self, question: str, chosen: list[str], named: Sequence[str]) -> list[str]:
        """For a beginner naming one exercise ("never squatted, where do i start?"), its easier versions,
        easiest first, go before it: the Air Squat, then the Box Squat (to add weight later), then the
        Squat. Not once the member says it is getting easy."""
        text = question.lower().replace("’", "'")
        if len(named) != 1 or not BEGINNER.search(text) or GOT_EASY.search(text):
            return chosen
        steps: list[str] = []
        ex = self.catalog.exercises.get(named[0])
        while ex is not None and ex.easier and ex.easier not in steps and len(steps) < self.limit:
            steps.insert(0, ex.easier)
            ex = self.catalog.exercises.get(ex.easier)
        if not steps:
            return chosen
        return [*steps, *(s for s in chosen if s not in steps)]

    def _passage_score(self, slug: str, seen: Sequence[Seen], place: Mapping[int, int]) -> float:
        """Evidence from the passages, each weighted by 1/rank and added up: three passages from the
        Runner Deadlift article speak for it more than one does. A passage's rank is the better of the
        search's and its `place` in reading order (the short answer quotes it first)."""
        total = 0.0
        for p, quoted, named, heading in seen:
            rank = min(p.rank, place[p.rank])
            if slug in heading:
                total += self.w.named_in_heading / rank
            elif slug in quoted:
                total += self.w.quote_in_passage / rank
            elif slug in named:
                total += self.w.named_in_passage / rank
            elif slug in self._section_names(p):
                total += self.w.named_in_section / rank
        return total

    def _citation(self, slug: str, seen: Sequence[Seen], asked: bool = False) -> int | None:
        """The rank of the first passage that recommends `slug` (quotes its card's source, sits under its
        heading, or has a sentence speaking well of it); for an exercise the member `asked` about, else
        the first that names it. None when no passage found does: the coach then cites the passage
        its card quotes, not one that only mentions it ("Unlike a rear squat...")."""
        for p, quoted, _, heading in seen:
            if slug in quoted or slug in heading:
                return p.rank
        for p, *_ in seen:
            if slug in self._recommended_in(p):
                return p.rank
        for p, _, named, _ in seen:
            # A passage of an article the index does not hold has no sentences to judge: its mention counts.
            facts = self._facts_of(p.article.id)
            if slug in named and (asked or facts is None or not facts.starts):
                return p.rank
        return None
