"""Lexical side of retrieval: runner vocabulary, synonyms, and BM25 (bm25s) over sentences."""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

STOPWORDS = frozenset(
    """a about above again against all am an and any are as at be because been being below
    between both but by can cannot could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just let
    me more most my myself no nor not now of off on once only or other ought our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what whats when where which while
    who whom why will with would you your yours yourself yourselves im ive id dont doesnt didnt cant
    isnt wont aren arent wasn wasnt weren werent wouldn wouldnt couldn couldnt shouldn
    shouldnt hasn hasnt haven havent hadn hadnt u ur ok okay pls please tbh tho rn thing things stuff get got getting go going gonna wanna
    really actually also still even like kinda sorta bit lot lots anything something anyone someone
    everyone one ones way much many often always never ever every mine else instead lol lols lmao haha
    hahaha ngl idk imo btw omg thx ty jk smth""".split()  # noqa: SIM905
)
# Words too common in running questions to show that the articles cover a topic (not stemmed here).
GENERIC = frozenset(
    """run runs runner runners running ran best good better make need use help work tip tips advice
    question long short time day days week weeks want feel know tell improve start keep take right
    wrong normal""".split()  # noqa: SIM905
)
# A word after one of these is not a topic of the question ("no pain, just stiff").
NEGATORS = frozenset({"no", "not", "without", "nor"})
# Words that make a question plainly about strength training (besides catalogued exercise names).
STRENGTH_WORDS = frozenset(
    """strength strengthen strengthening stronger exercise exercises lift lifts lifting lifter weights gym
    workout workouts squat squats deadlift deadlifts lunge lunges reps drill drills prehab plank planks
    crunch crunches clamshell clamshells barbell barbells dumbbell dumbbells kettlebell kettlebells posterior""".split()  # noqa: SIM905
)
# The member's words for loading an exercise, which ask for its harder version ("when i wanna start
# loading it up?"): pieces of the patterns `HARDER` and the short answer's kinds (`summary.KINDS`)
# read a question with.
READY_TO = r"(?:start|begin|want\s+to|wanna|ready\s+to|time\s+to)"
LOAD_IT_UP = r"load(?:ing)?\s+(?:it|them|em|this|that|those|these)\s+up"
# The member's words for asking an easier or a harder version, read by the cards (which version goes
# first) and the short answer (which step answers): `version_wanted`.
EASIER = re.compile(
    r"\b(?:easier|simpler|too\s+(?:hard|difficult|advanced)|regress\w*|beginner|can'?t\s+do)\b"
)
# "glute bridges are getting easy": what the member does is no longer hard for them.
# "ghrs are getting easier", "starting to feel pretty easy".
GOT_EASY = re.compile(
    r"\b(?:too\s+easy|(?:get|gets|got|getting|is|are|feels?|feeling|becom\w*)\s+"
    r"(?:(?:too|kinda|a\s+bit|pretty|really|quite|way|super|so|much|a\s+lot)\s+)?eas(?:y|ier))\b"
)
# "...harder version?", "bodyweight squats feel fine now, i wanna start adding weight", "once those get easy".
HARDER = re.compile(
    r"\b(?:harder|tougher|too\s+easy|progress(?:ion)?|(?<!too )advanced|next\s+step|more\s+challenging|"
    # "how do i level them up?", "bridges are easy now, whats next".
    r"level\s+(?:(?:it|them|em|these|those|this|that)\s+)?up|what'?s\s+next|next\s+level|"
    # "when do i graduate to the barbell ones?", "when can i move on to the harder one?"
    r"graduat\w*|(?:move|step)\s+(?:up|on)\s+to|"
    r"(?:comfortable\s+with|feels?\s+(?:fine|easy|good)\s+now|(?:get|gets|got|getting|are|is)\s+easy)\b"
    r"[^.?!]*?(?:[.?!]\s*)?[^.?!]*\b(?:add(?:ing)?\s+(?:some\s+)?(?:weight|load)|heavier)|"
    r"(?:get|gets|got|getting)\s+easy|"
    # "when i want to start adding weight?", "put some weight on it": loading it is the harder version.
    rf"{READY_TO}\s+(?:add(?:ing)?|put(?:ting)?)\s+(?:some\s+)?(?:weight|load)|"
    r"put(?:ting)?\s+(?:some\s+)?weight\s+on|"
    # "is there a version of that that builds strength quicker?"
    r"(?:version|variation)s?\b[^?.!]{0,40}\b(?:faster|quicker|stronger|more\s+(?:strength|power|load))|"
    # "when i wanna start loading it up?", "load them up".
    rf"{READY_TO}\s+load(?:ing)?|{LOAD_IT_UP})\b"
)


# "putting weight on my squats", "load them up", "throw some plates on": adding weight, in other words.
LOADING = re.compile(
    r"\b(?:put(?:ting)?|throw(?:ing)?|slap(?:ping)?|stick(?:ing)?)\s+(?:some\s+|more\s+)?(?:weight|plates?)\s+on\b|"
    rf"\b{LOAD_IT_UP}\b|\bload(?:ing)?\s+up\b",
    re.IGNORECASE,
)


def as_adding_weight(text: str) -> str:
    """`text` with loading said as adding weight ("putting weight on my squats": "adding weight to my
    squats")."""
    return LOADING.sub("adding weight to", text)


def version_wanted(question: str) -> str | None:
    """ "harder" or "easier" when a question asks for a version one way, else None."""
    text = question.lower().replace("’", "'")
    # "ghrs are getting easier, how do i make em harder?": what got easier wants the harder version.
    got_easy = GOT_EASY.search(text) is not None
    easier = EASIER.search(GOT_EASY.sub(" ", text)) is not None
    return "easier" if easier else "harder" if got_easy or HARDER.search(text) else None


WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
SYNONYMS_FILE = "synonyms.yaml"
NOT_COVERED_FILE = "not-covered.yaml"


# Words whose Snowball stem is another English word: "lunges" would match "lung ventilation".
KEEP_STEM = {"lunge": "lunge", "lunges": "lunge", "lunging": "lunge", "lunged": "lunge"}


class Vocabulary:
    """Stemmed words of questions and passages, with negated words dropped from questions."""

    def __init__(self) -> None:
        import Stemmer

        self._stem = Stemmer.Stemmer("english").stemWords
        self.generic = frozenset(self.stem(sorted(GENERIC)))

    def stem(self, words: Sequence[str]) -> list[str]:
        """The stems of `words`, but for words the stemmer would take for another word ("lunges" is
        not "lung")."""
        return [KEEP_STEM.get(w, s) for w, s in zip(words, self._stem(words), strict=True)]

    def words(self, text: str) -> list[str]:
        return [w.replace("’", "'").split("'")[0] for w in WORD.findall(text.lower())]

    def stems(self, text: str, negation: bool = False) -> list[str]:
        """Stemmed content words; with `negation`, a word right after no/not/without/nor is dropped."""
        return self.stem_words(self.words(text), negation)

    def stem_words(self, words: Sequence[str], negation: bool = False) -> list[str]:
        kept: list[str] = []
        skip = False
        for word in words:
            if negation and word in NEGATORS:
                skip = True
                continue
            if word in STOPWORDS or len(word) < 2:
                continue
            if skip:
                skip = False
                continue
            kept.append(word)
        return self.stem(kept)

    def topic(self, text: str) -> list[str]:
        """Distinct stemmed content words of a question, negated and generic running words removed."""
        return self.without_generic(self.stems(text, negation=True))

    def without_generic(self, stems: Iterable[str]) -> list[str]:
        return [t for t in dict.fromkeys(stems) if t not in self.generic]

    def phrase(self, text: str) -> tuple[str, ...]:
        """All words of `text`, stemmed, stop words kept: for matching names and phrases."""
        return tuple(self.stem(self.words(text)))


# Stems of the words a member slips inside a phrase without changing it: "never really squatted" is
# "never squatted", "hips just lock up" is "hips lock up".
FILLER_STEMS = frozenset({"realli", "ever", "proper", "actual", "even", "truli", "just", "kinda"})


def _phrase_at(stems: Sequence[str], i: int, key: tuple[str, ...]) -> bool:
    """Whether phrase `key` occurs in `stems` from `i`, with filler words allowed between its words."""
    j = i
    for k, part in enumerate(key):
        while k and j < len(stems) and stems[j] != part and stems[j] in FILLER_STEMS:
            j += 1
        if j >= len(stems) or stems[j] != part:
            return False
        j += 1
    return True


def find_phrases(stems: Sequence[str], phrases: dict[str, list[tuple[tuple[str, ...], Any]]]) -> list[Any]:
    """Values of the phrases (indexed by first stem) that occur in `stems`, in order of occurrence;
    a filler word inside a phrase ("never really squatted") does not break it."""
    out = []
    for i, stem in enumerate(stems):
        for key, value in phrases.get(stem, ()):
            if _phrase_at(stems, i, key):
                out.append(value)
    return out


# The shape each maintainer word list must have, with the message when it does not.
WORD_LISTS: dict[str, tuple[type, str]] = {
    SYNONYMS_FILE: (dict, "must map words to lists of words"),
    NOT_COVERED_FILE: (list, "must be a list of topics"),
}


def load_word_list(path: Path, name: str) -> tuple[Any, str | None]:
    """A word list shaped like WORD_LISTS[name], and what is wrong with it, if anything.

    A missing file is no problem (None, None); a broken or misshapen one gives (None, the reason).
    """
    if not path.exists():
        return None, None
    if not path.is_file():
        return None, "is not a file"
    import yaml

    from bot.knowledge import MAX_ARTICLE_BYTES, yaml_loader

    kind, shape = WORD_LISTS[name]
    try:
        if path.stat().st_size > MAX_ARTICLE_BYTES:
            return None, f"is larger than {MAX_ARTICLE_BYTES:,} bytes"
        # The same bounded loader as article front matter: no alias bomb, no runaway nesting.
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml_loader())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, RecursionError) as exc:
        return None, f"cannot be read: {' '.join(str(exc).split())}"  # one line, not PyYAML's seven
    if data is not None and not isinstance(data, kind):
        return None, shape
    return _texts_only(data)


def _texts_only(data: Any) -> tuple[Any, str | None]:
    """`data` without the entries that are not text (a number, a null, a nested list...), and which
    ones were dropped: one bad entry must not spoil the rest."""
    dropped: list[Any] = []
    if isinstance(data, list):
        kept: Any = [t for t in data if isinstance(t, str) and t.strip()]
        dropped = [t for t in data if not (isinstance(t, str) and t.strip())]
    elif isinstance(data, dict):
        kept = {}
        for key, values in data.items():
            words = [values] if isinstance(values, str) else values if isinstance(values, list) else None
            good = [w for w in words or [] if isinstance(w, str) and w.strip()]
            if not isinstance(key, str) or words is None or len(good) != len(words):
                dropped.append(key)
            if isinstance(key, str) and good:
                kept[key] = good
    else:
        return data, None
    if not dropped:
        return kept, None
    shown = ", ".join(repr(d) for d in dropped[:5]) + (", ..." if len(dropped) > 5 else "")
    return kept, f"entries that are not text are ignored: {shown}"


def read_word_list(path: Path, name: str) -> Any:
    """The word list in `path`, or None (with a log line) when it is missing or broken: never an error."""
    data, problem = load_word_list(path, name)
    if problem:
        log.warning("ignoring %s: %s", path, problem)
    return data


# Body weight lost, said as an amount ("drop like 5kg", "shed 4 kilos", "lose a few pounds"): the topic
# "lose weight", whatever the wording. Not "drop the weight" (a lighter load) nor "my deadlift went
# up 20kg" (a load lifted).
BODY_WEIGHT = re.compile(
    r"\b(?:los(?:e|es|ing)|lost|drop(?:s|ping|ped)?|shed(?:s|ding)?|cut(?:s|ting)?)\s+"
    r"(?:(?:like|about|around|roughly|maybe|some|another|an?|few|couple|of|extra|the|last)\s+){0,3}"
    r"(?:\d+(?:[.,]\d+)?|one|two|three|four|five|six|seven|eight|nine|ten)?\s*(?:kgs?|kilos?|lbs?|pounds?|stone)\b",
    re.IGNORECASE,
)

# Topic words used in another sense: "watch" as a verb ("anything i should watch out for with
# deadlifts?"), and the treadmill as where a gait video was taken ("treadmill vid my mate took shows
# my feet crossing", "physio filmed me on the treadmill"): neither asks about watches or treadmills.
OTHER_SENSE = re.compile(
    r"\bwatch(?=(?:es|ed|ing)?\s+(?:out|for|how|what|my|your|ur|yourself|it|that|this|videos?|a\s+video)\b)|"
    r"\btreadmill(?=\s+(?:vid(?:eo)?s?|footage|clips?|recordings?)\b)|"
    r"\b(?P<filmed>(?:filmed|recorded|videoed|taped)(?:\s+(?:me|him|her|us|them))?\s+on\s+(?:the|a)\s+)treadmill\b",
    re.IGNORECASE,
)


def in_topic_sense(text: str) -> str:
    """`text` without the topic words it uses in another sense (`OTHER_SENSE`)."""
    return OTHER_SENSE.sub(lambda m: m.group("filmed") or " ", text)


class Topics:
    """Topics the articles do not cover, from `knowledge/not-covered.yaml` (see that file)."""

    def __init__(self, vocabulary: Vocabulary, topics: Iterable[str] = ()) -> None:
        self._vocabulary = vocabulary
        self.names: list[str] = list(dict.fromkeys(str(t) for t in topics if str(t).strip()))
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for topic in topics:
            stems = vocabulary.phrase(str(topic))
            if stems:
                self._phrases.setdefault(stems[0], []).append((stems, str(topic)))

    @classmethod
    def load(cls, vocabulary: Vocabulary, path: Path) -> Topics:
        return cls(vocabulary, [str(t) for t in read_word_list(path, NOT_COVERED_FILE) or []])

    def found(self, text: str, typos: bool = False) -> list[str]:
        """The listed topics `text` mentions (distinct, in order); with `typos` (a member's question),
        a one-word topic also when misspelt ("streches" is stretching): an unknown word one letter off
        its stem."""
        words = self._vocabulary.words(in_topic_sense(BODY_WEIGHT.sub("lose weight", text)))
        stems = self._vocabulary.stem(words)
        found = find_phrases(stems, self._phrases)
        if typos:
            for word, stem in zip(words, stems, strict=True):
                if stem not in self._phrases:
                    near = set(misspelt(word, stem, (key for key, _ in self._single)))
                    found += [topic for key, topic in self._single if key in near]
        return list(dict.fromkeys(found))

    @functools.cached_property
    def _single(self) -> list[tuple[str, str]]:
        """(stem, topic) of the one-word topics long enough to tell a misspelling of them."""
        return [(k[0], t) for key, entries in self._phrases.items() for k, t in entries if len(k) == 1]


# Words at least this long may be misspellings of a one-word topic.
MIN_TYPO = 5
# Below this Zipf frequency a word is not English a reader would know: a misspelling, or a rare term.
UNKNOWN_ZIPF = 1.0


def unknown(word: str) -> bool:
    """Whether `word` is rarer in English than `UNKNOWN_ZIPF` (about once in ten million words)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") < UNKNOWN_ZIPF


def misspelt(word: str, form: str, known: Iterable[str]) -> list[str]:
    """The `known` words that `form` (`word` itself, or its stem) is one letter off, when `word` may be
    a misspelling: long enough, and a word no reader knows."""
    if len(word) < MIN_TYPO or not unknown(word):
        return []
    return [k for k in known if one_edit(form, k)]


def one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one letter added, dropped, changed, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < MIN_TYPO - 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


class Synonyms:
    """Runner words -> article words, from `knowledge/synonyms.yaml` (see that file)."""

    def __init__(self, vocabulary: Vocabulary, entries: dict[str, Iterable[str]] | None = None) -> None:
        self._vocabulary = vocabulary
        self._phrases: dict[str, list[tuple[tuple[str, ...], list[str]]]] = {}
        for key, values in (entries or {}).items():
            stems = vocabulary.phrase(str(key))
            words = [str(v) for v in ([values] if isinstance(values, str) else values or [])]
            if stems and words:
                self._phrases.setdefault(stems[0], []).append((stems, words))

    @classmethod
    def load(cls, vocabulary: Vocabulary, path: Path) -> Synonyms:
        """The synonyms in `path`; a missing or broken file gives none (and a log line), never an error."""
        return cls(vocabulary, read_word_list(path, SYNONYMS_FILE) or {})

    def expand(self, text: str) -> list[str]:
        """Article words for the runner words and phrases found in `text` (distinct, in order)."""
        return self.expand_stems(self._vocabulary.phrase(text))

    def expand_stems(self, stems: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(w for words in find_phrases(stems, self._phrases) for w in words))


class Lexical:
    """BM25 (bm25s, Lucene variant) over short documents, scored as a share of the question's word weight.

    Dividing by the question's total idf (words absent from the articles count as rare) makes scores
    comparable across questions, 0..1: matching one word of five scores lower than one word of one.
    The index is saved with the build (`save`) and memory-mapped at load (`load`); a question is
    scored over every document (`scores`), over some (`scores_of`), or its best found (`top`).
    """

    FILES = (
        "data.csc.index.npy",
        "indices.csc.index.npy",
        "indptr.csc.index.npy",
        "vocab.index.json",
        "params.index.json",
    )

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s

        bm25 = bm25s.BM25(k1=k1, b=b, method="lucene")
        if docs:
            bm25.index([list(d) for d in docs], show_progress=False)
        else:
            bm25.scores = {"num_docs": 0}
            bm25.vocab_dict = {}
        self._use(bm25)

    @classmethod
    def build(cls, docs: Sequence[Sequence[str]]) -> Lexical:
        return cls(docs)

    @classmethod
    def load(cls, folder: Path) -> Lexical:
        import bm25s

        out = cls.__new__(cls)
        out._use(bm25s.BM25.load(str(folder), mmap=True, show_progress=False))
        return out

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    def _use(self, bm25: Any) -> None:
        self._bm25 = bm25
        self.size = int(bm25.scores.get("num_docs") or 0)
        self._vocab: dict[str, int] = dict(bm25.vocab_dict or {})
        # Plain arrays over bm25s's memory-mapped ones: indexing an `np.memmap` costs a Python call.
        for key in ("data", "indices", "indptr"):
            if key in bm25.scores:
                bm25.scores[key] = np.asarray(bm25.scores[key])
        indptr = bm25.scores.get("indptr")
        df = np.diff(np.asarray(indptr)) if indptr is not None else np.zeros(0, np.int64)
        # The same idf bm25s's Lucene variant uses, kept for the normaliser.
        self.idf = {
            t: math.log(1 + (self.size - int(df[i]) + 0.5) / (int(df[i]) + 0.5))
            for t, i in self._vocab.items()
            if t and i < len(df) and df[i] > 0
        }
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5)

    def _norm(self, unique: Sequence[str]) -> float:
        return sum(self.idf.get(t, self.max_idf) for t in unique)

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        """Every document's score for `terms`."""
        unique = list(dict.fromkeys(terms))
        known = [t for t in unique if t in self.idf]
        if not known:
            return np.zeros(self.size, dtype=np.float64)
        raw = np.asarray(self._bm25.get_scores(known), dtype=np.float64)
        return raw / self._norm(unique)

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """The documents holding `term` (sorted) and its BM25 score in each."""
        scores = self._bm25.scores
        t = self._vocab[term]
        lo, hi = int(scores["indptr"][t]), int(scores["indptr"][t + 1])
        return scores["indices"][lo:hi], scores["data"][lo:hi]

    def scores_of(self, terms: Iterable[str], rows: np.ndarray) -> np.ndarray:
        """The scores of documents `rows` (sorted) only: a binary search per term, whatever the size."""
        unique = list(dict.fromkeys(terms))
        out = np.zeros(len(rows), dtype=np.float64)
        known = [t for t in unique if t in self.idf]
        if not known or not len(rows):
            return out
        for term in known:
            docs, values = self._postings(term)
            at = np.searchsorted(docs, rows)
            hit = at < len(docs)
            hit[hit] = docs[at[hit]] == rows[hit]
            out[hit] += values[at[hit]]
        return out / self._norm(unique)

    def top(self, terms: Iterable[str], k: int, max_docs: int) -> np.ndarray:
        """Up to `k` documents scoring best on the question's terms held by at most `max_docs`
        documents (the telling ones: a common word's postings would cost as much as the corpus)."""
        kept = [self._postings(t) for t in dict.fromkeys(terms) if t in self.idf]
        kept = [(docs, values) for docs, values in kept if len(docs) <= max_docs]
        if not kept:
            return np.zeros(0, dtype=np.int64)
        docs, inverse = np.unique(np.concatenate([d for d, _ in kept]), return_inverse=True)
        totals = np.bincount(inverse, weights=np.concatenate([v for _, v in kept]).astype(np.float64))
        best = np.argsort(-totals, kind="stable")[:k]
        return np.sort(docs[best]).astype(np.int64)


# How-to questions, and the verbs instruction steps start with ("Begin by...", "Hold this position...").
PROCEDURAL = re.compile(
    r"\b(?:how\s+(?:do|should|can|would)\s+(?:i|you|we)\s+(?:do|perform|start|get\s+started|set\s+up|execute)\b"
    r"|how\s+to\s+(?:do|perform|start)\b|step[-\s]by[-\s]step|what\s+do\s+i\s+do\b|steps?\b|instructions?)",
    re.IGNORECASE,
)
STEP_VERBS = frozenset(
    """begin start allow lower hold keep lift stand place push pull drive squeeze brace return repeat step bend
    hinge raise rise breathe focus pause finish grip set sit lie avoid make move engage tense press reach swing
    land turn rotate ensure use perform walk jump slowly do try let""".split()  # noqa: SIM905
)
LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+([A-Za-z]+)")


def is_step(sentence: str) -> bool:
    """A list item that starts with a verb: an instruction a member can follow."""
    m = LIST_ITEM.match(sentence)
    return m is not None and m.group(1).lower() in STEP_VERBS
