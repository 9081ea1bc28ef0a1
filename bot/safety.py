"""Red-flag detection: questions that need a physiotherapist or doctor, not an exercise.

Each flag is a small set of patterns. A match does not count when a negation comes just before it in
the same clause ("no swelling", "never felt a pop"), a word of prevention ("how do I prevent stress
fractures?") or someone else's injury ("a mate of mine got a stress fracture"), or when the clause
speaks of a resolved past problem ("I had numbness years ago but it's fine now"). Misspelt or
disguised words still match: digits standing for letters inside a word ("p0p", "sw0llen") are read as
letters, a flag word with two letters swapped ("pian", "wieght") as that word, a longer one with a
letter left out or added too ("numness", "tinglin", "sharpe"), "n" and "2" between words as "and" and
"to" ("pins n needles", "hurts 2 walk"), and the patterns are also tried with doubled letters squeezed
out of both sides ("numbbness", "popp", "swolllen"). A letter changed is not read as a flag word:
"hopping" is no "popping".
"""

from __future__ import annotations

import re

from bot.models import Safety

EMERGENCY = "emergency"
PROFESSIONAL = "see-professional"

# flag name -> (level, pattern)
FLAGS: dict[str, tuple[str, str]] = {
    "chest pain": (
        EMERGENCY,
        r"chest\s+(?:(?:feels?|is|gets?|goes|went)\s+(?:all\s+|really\s+|super\s+|very\s+)?)?(?:pain|hurts?|tight(?:ness)?|pressure)|(?:pain|tight(?:ness)?|pressure)\s+in\s+(?:my|the)\s+chest"
        r"|tight\s+chest|heart\s+(?:racing|pounding)\s+(?:and|with)"
        # "feels like an elephant sitting on my chest": a weight or squeeze on it.
        r"|(?:weight|pressure|elephant|squeez\w*|crush\w*|heavy)\b[^.]{0,25}\b(?:on|in|sitting\s+on)\s+(?:my\s+|the\s+)?chest",
    ),
    # Pain in the jaw or left arm on effort: the heart's warning, not posture.
    "pain in the jaw or left arm": (
        EMERGENCY,
        r"\b(?:jaw|left\s+arm)\b[^.]{0,25}\b(?:pain|hurts?|aches?|aching|tight\w*|pressure)"
        r"|(?:pain|hurts?|aches?|aching|tight\w*|pressure)\b[^.]{0,25}\b(?:jaw|left\s+arm)\b",
    ),
    # A heart that skips or flutters, or races at an easy effort: not fitness, an irregular rhythm.
    "an irregular or racing heartbeat": (
        EMERGENCY,
        r"\bheart\b[^.]{0,30}\b(?:skipp\w*|skips?|flutter\w*|irregular)|\bskipp\w*\s+(?:a\s+)?beats?|\bpalpitat\w*"
        r"|\bheart\b[^.]{0,30}\bracing\b[^.]{0,30}\b(?:easy|rest|resting|sitting|jogging|walking)",
    ),
    # Heat illness: confusion, nonsense talk, no more sweat.
    "confusion or heat illness": (
        EMERGENCY,
        r"\b(?:got|get|getting|went|felt|feel|was|were|became|all)\s+(?:all\s+|super\s+|really\s+|so\s+|very\s+|kinda\s+)?"
        r"(?:confus\w*|confuzed|disorient\w*)\b(?!\s+(?:by|about|with|on|over|reading|what|which|how|why))"
        r"|\btalking\s+nonsense\b|\bstopped\s+sweat\w*|\bcould(?:n'?t|\s+not)\s+remember\s+(?:my\s+)?(?:own\s+)?name",
    ),
    "breathless at an easy effort": (
        PROFESSIONAL,
        r"(?:can'?t|cannot|cnt|couldn'?t)\s+catch\s+(?:my\s+)?breath\b[^.]{0,40}\b(?:even|easy|rest|resting|walking|worse|lately|usual)"
        r"|\bshort(?:ness)?\s+of\s+breath\b[^.]{0,40}\b(?:even|easy|rest|resting|walking|worse|lately|usual)"
        r"|\bgasping\b[^.]{0,30}\b(?:easy|rest|walking|slow|\d+\s+min)",
    ),
    "blood in the urine": (
        PROFESSIONAL,
        r"\bblood\w*\b[^.]{0,20}\b(?:pee|urine|wee|piss)\w*|\b(?:pee|peed|peeing|urine|wee)\b[^.]{0,25}\b(?:blood\w*|red|pink\w*|brown|cola)\b",
    ),
    # A foot that drops or drags: the nerve lifting it is failing.
    "a foot that drops or drags": (
        PROFESSIONAL,
        r"\bfoot\s+drop\b|(?:can'?t|cannot|cnt|hard\s+to|struggl\w*\s+to)\s+(?:lift|raise|pick\s+up)\s+(?:my\s+)?(?:toes?|foot|feet)\b"
        r"|\bfoot\b[^.]{0,30}\b(?:drags?|dragging)\b|^(?=.*\b(?:foot|feet|toes?)\b).*\bweak\w*\s+(?:lifting|raising)\s+(?:it|them)\b",
    ),
    # A hot, red, swollen calf may be a blood clot: not a training matter, and urgent.
    "signs of a blood clot": (
        EMERGENCY,
        r"^(?=.*\bcalf\b)(?=.*\b(?:swell\w*|swollen)\b)(?=.*\b(?:hot|warm|red)\b)",
    ),
    "dizziness or fainting": (
        EMERGENCY,
        r"\bdizz(?:y|iness)\b|\bfaint(?:ed|ing)?\b|pass(?:ed)?\s+out|black(?:ed)?\s+out|light[-\s]?headed",
    ),
    "sharp or pinpoint pain": (
        PROFESSIONAL,
        r"\bsharp\b[^.,;]{0,20}\b(?:pain|ache|twinge)|\bstabbing\b|\bpinpoint\b|\bshooting\s+pain"
        r"|\bbone\s+pain|\bpain\s+in\s+(?:the|my)\s+bone|(?:one|a|single|exact)\s+(?:exact\s+)?spot\b[^.]{0,40}\b(?:hurts?|pain|tender|sore)"
        r"|hurts?\s+(?:to|when\s+I)\s+(?:press|touch|push)"
        r"|(?:hurts?|pain|sore|tender)\b[^.]{0,20}\b(?:in|at|on)\s+(?:one|a|single|the\s+same)\s+(?:exact\s+)?spot\b",
    ),
    "swelling or bruising": (
        PROFESSIONAL,
        r"\bswell(?:ing|ed|s)?\b|\bswollen\b|\bswole\s+up\b|\bpuff(?:y|ed\s+up)\b|\bbruis(?:e|ed|ing)\b"
        # A body part that "blew up" swelled; a runner who "blew up at mile 20" ran out of steam.
        r"|\bballoon(?:ed|ing)?\b"
        r"|\b(?:knee|ankle|foot|feet|calf|shin|hip|leg|toe|heel|wrist|hand|elbow|it)s?\b[^.,]{0,15}\b(?:blew|blown)\s+up\b",
    ),
    "pain at rest or at night": (
        PROFESSIONAL,
        r"(?:pain|hurts?|aches?|throbs?|throbbing)\b[^.]{0,40}\b(?:at\s+night|at\s+rest|(?:while|when)\s+(?:i'?m\s+)?resting|in\s+bed|wakes?\s+me)"
        r"|wakes?\s+me\s+up|(?:at\s+night|at\s+rest|in\s+bed)[^.]{0,30}\b(?:pain|hurts?|aches?|throbs?)|night\s+pain",
    ),
    # "numb to planks" is bored of them.
    "numbness or tingling": (
        PROFESSIONAL,
        r"\bnumb(?:ness)?\b(?!\s+to\b)|\btingl(?:e|es|ing|y)\b|pins\s+and\s+needles",
    ),
    # A pop felt or heard in the body; not "the pop of the bar off the floor" nor "pop out of the hole".
    "an audible pop": (
        PROFESSIONAL,
        r"\b(?:felt|feel|heard|hear)\s+(?:a|an|some|something|it|this|that)?\s*(?:\w+\s+)?(?:pop|snap|crack|click)"
        # "more pop in my finishing kick" is spring, not an injury.
        r"|(?<!more\s)(?<!some\s)(?<!extra\s)(?<!less\s)(?<!of\s)\b(?:pop|snap)\w*\s+(?:in|behind|at|from|on)\s+(?:my|the)\s+"
        r"|\b(?:popped|snapped|popping|snapping)\b(?!\s+(?:up|out|off|over|into|onto|back|up\s+out))"
        r"|\bwent\s+(?:pop|snap)\b",
    ),
    # A knee or ankle that gives way, buckles or locks: a sign of a joint injury, not of weak glutes.
    "a knee that gives way or locks": (
        PROFESSIONAL,
        r"\b(?:knee|ankle|hip)s?\b[^.?!]{0,30}\b(?:(?:gave|gives?|given|giving)\s+(?:way|out)\b|buckl(?:ed|es|ing)\b(?!\s+in))"
        r"|\b(?:gave|gives?|given|giving)\s+(?:way|out)\b[^.?!]{0,20}\b(?:knee|ankle|hip)"
        r"|\bknees?\b[^.?!]{0,30}\b(?:locks|locked|locking|catches|catching)\b(?!\s+out)",
    ),
    # Pain travelling down a limb: a nerve, not a muscle.
    "pain spreading down a leg or arm": (
        PROFESSIONAL,
        r"\b(?:shoot\w*|radiat\w*|spread\w*)\s+(?:down|into|through)\s+(?:\w+\s+){0,4}?"
        r"(?:leg|arm|buttock|butt|glute|foot|thigh|calf|hamstring|hip)s?\b|\bsciatica\b",
    ),
    "cannot bear weight": (
        PROFESSIONAL,
        r"(?:can'?t|cnt|cannot|can\s+not|unable\s+to|couldn'?t|could\s+not|can\s+(?:barely|hardly))\s+"
        r"(?:really\s+|even\s+|properly\s+)?(?:put\s+(?:any\s+)?weight|b(?:ear|are)\s+weight|walk|stand"
        r"|weight[-\s]?bear|go\s+up\s+on\s+(?:my\s+)?toes)",
    ),
    # Walking with a limp, or pain on standing on the leg: the limb no longer takes its load.
    # "put some weight on the bar" is loading a lift, so the pain must come first.
    "limping or pain on bearing weight": (
        PROFESSIONAL,
        r"\blimp(?:ing|in'?|s|ed)?\b"
        r"|(?:hurts?|pain\w*|agony|aches?)\b[^.?!]{0,30}\b(?:to|when\s+i|if\s+i)\s+"
        r"(?:put|bear|take)\s+(?:any\s+|some\s+|my\s+)?weight\s+(?:on|through)\b"
        r"(?!\s+(?:the\s+|a\s+|my\s+)?(?:bar|barbell|squat|deadlift|lift))",
    ),
    "a fracture": (
        PROFESSIONAL,
        r"\bfractur(?:e|ed|es)\b|\bbroken\s+(?:bone|foot|leg|ankle|toe)s?\b"
        r"|\bbroke\s+(?:my|a)\s+(?:bone|foot|leg|ankle|toe)\b",
    ),
    "a joint that will not bend or straighten": (
        PROFESSIONAL,
        r"(?:won'?t|can'?t|cnt|cannot|can\s+not|doesn'?t|does\s+not|will\s+not)\s+(?:\w+\s+)?(?:bend|straighten)\b",
    ),
    "a tear or rupture": (
        PROFESSIONAL,
        r"\b(?:tore|torn|rupture[ds]?)\b|\btear\s+(?:in|of)\b"
        r"|felt\s+like\s+(?:i\s+was|i'?d\s+been|it\s+was|someone|something)\s+(?:kicked|shot|hit)",
    ),
    "pain worse despite rest": (
        PROFESSIONAL,
        r"worse\b[^.]{0,30}\b(?:despite|even\s+(?:with|after)|after)\b[^.]{0,20}\brest"
        r"|(?:rest(?:ed|ing)?|time\s+off)\b[^.]{0,40}\b(?:still|getting|gets|got)\s+worse"
        r"|not\s+(?:getting\s+)?better\b[^.]{0,20}\brest",
    ),
    "pain getting worse": (
        PROFESSIONAL,
        r"(?:pain|hurts?|aches?|aching)\b[^.]{0,40}\b(?:gets?|getting|got|grows?|growing)\s+worse"
        # "shin's been getting worse every run": a body part that worsens is a pain that does.
        r"|\b(?:shin|knee|ankle|foot|heel|hip|calf|achilles|hamstring|groin|back)s?(?:'s)?\b[^.]{0,25}"
        r"\b(?:gets?|getting|got|grows?|growing)\s+worse",
    ),
    # Pain in everyday walking: past what training soreness does.
    "pain when walking": (
        PROFESSIONAL,
        r"(?:hurts?|pain\w*|aches?)\b[^.]{0,25}\b(?:just\s+|even\s+)*(?:walking|to\s+walk|when\s+i\s+walk)\b"
        r"(?!\s+lunges?)",
    ),
}

NEGATION = re.compile(
    r"\b(?:no|not|never|without|zero|none|nor|don'?t|doesn'?t|didn'?t|isn'?t|wasn'?t|haven'?t|hasn'?t)\b"
    r"(?:\W+\w+){0,3}\W*$"
)
# "can lifting help prevent stress fractures?" asks how to avoid an injury, not about having one.
PREVENTION = re.compile(
    r"\b(?:prevent\w*|avoid\w*|risk\w*|reduc\w*|protect\w*|stav\w*\s+off|lower\w*\s+(?:the|my)\s+(?:risk|chance))"
    r"\b[^.]{0,40}$"
)
# "a mate of mine got a stress fracture": someone else's injury, not the member's.
SOMEONE_ELSE = re.compile(
    r"\b(?:mate|friend|buddy|pal|teammate|training\s+partner|someone|somebody)\b(?:\s+of\s+mine)?"
    r"(?:\s+(?:got|had|has|gets|broke|tore)\b[^.]{0,30})?\s*$"
)
PAST = re.compile(
    r"\b(?:used\s+to|(?:yrs?|years?|months?)\s+(?:ago|back)|last\s+(?:yr|year|season|summer|winter|spring|autumn|fall)|"
    r"in\s+the\s+past|once\s+had)\b"
)
RESOLVED = re.compile(
    r"\b(?:fine\s+now|all\s+good\s+now|healed|recovered|gone\s+now|no\s+longer|better\s+now|resolved|cleared\s+up|"
    r"cleared\s+(?:by|to|for)|(?:the\s+)?all\s+clear|signed\s+off|"
    r"(?:doc|doctor|dr|physio|gp|surgeon|ortho\w*|pt)\s+(?:has\s+|had\s+)?(?:cleared|discharged|signed\s+off)\s+me)\b"
)
CLAUSE = re.compile(r"[.;!?\n]+|,\s*(?:but|and|though|although)\b|\bbut\b")
# A digit between letters stands for the letter it looks like: "p0p", "sw0llen", "bru1sed".
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
DISGUISED = re.compile(r"(?<=[a-z])[013457@$]+(?=[a-z])")
DOUBLED = re.compile(r"([a-z])\1+")
# The same letters doubled in a pattern, but not an escape's letter ("\bbone" keeps its "b").
PATTERN_DOUBLED = re.compile(r"(?<!\\)([a-z])\1")
SQUEEZED: dict[str, str] = {name: PATTERN_DOUBLED.sub(r"\1", pattern) for name, (_, pattern) in FLAGS.items()}


# Words of the flags that a typo with two letters swapped ("pian", "wieght", "nubm") still means; one of
# five letters or more also with a letter left out or one too many ("numness", "tinglin", "sharpe").
KEY_WORDS = frozenset(
    """pain weight numb numbness swollen swelling bruised bruising sharp tingling tingly chest dizzy faint
    fainted popped torn tear fracture night stabbing shooting bear walk walking getting resting throbbing
    aching aches hurts spreading radiating needles""".split()  # noqa: SIM905
)
LONG_KEY_WORDS = frozenset(w for w in KEY_WORDS if len(w) >= 5)
# A long flag word with one letter left out, and the word: "numness" -> "numbness", "tinglin" -> "tingling".
LEFT_OUT = {key[:i] + key[i + 1 :]: key for key in sorted(LONG_KEY_WORDS) for i in range(len(key))}
WORD = re.compile(r"[a-z]{3,}")
# Chat spellings of words the flags use: "aches at nite".
CHAT = {"nite": "night", "nites": "nights", "tonite": "tonight", "hart": "heart"}
# Chat shorthand between words: "pins n needles", "hurts 2 walk".
SHORTHAND = {"n": "and", "2": "to"}
SHORT_WORD = re.compile(r"(?<=[a-z] )(?:n|2)(?= [a-z])")


def as_flag_word(word: str) -> str:
    """`word`, or the flag word it spells in chat ("nite", "getin"), with two neighbouring letters
    swapped, or (a long one) with a letter left out or added."""
    if word in KEY_WORDS:
        return word
    if word in CHAT:
        return CHAT[word]
    if word.endswith("in") and word[:-2] + word[-3] + "ing" in KEY_WORDS:  # "getin": "-ing" and a letter
        return word[:-2] + word[-3] + "ing"
    for i in range(len(word) - 1):
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        if swapped in KEY_WORDS:
            return swapped
    for i in range(len(word)):
        dropped = word[:i] + word[i + 1 :]  # a letter too many: "sharpe"
        if dropped in LONG_KEY_WORDS:
            return dropped
    return LEFT_OUT.get(word, word)


def readable(text: str) -> str:
    """The question as a reader would take it: lower case, straight apostrophes, digits-for-letters
    inside words read as letters, "n" and "2" between words as "and" and "to", and misspelt flag words
    read as meant."""
    text = text.lower().replace("’", "'")
    text = DISGUISED.sub(lambda m: "".join(LEET[c] for c in m.group()), text)
    text = SHORT_WORD.sub(lambda m: SHORTHAND[m.group()], text)
    return WORD.sub(lambda m: as_flag_word(m.group()), text)


def _clauses(text: str) -> list[str]:
    return [c for c in CLAUSE.split(text) if c.strip()]


def red_flags(question: str) -> Safety | None:
    """The red flags in a question, or None when it is an ordinary training question."""
    text = readable(question)
    resolved = bool(RESOLVED.search(text))
    found: list[str] = []
    level = PROFESSIONAL
    for clause in _clauses(text):
        if resolved and PAST.search(clause):
            continue
        squeezed = DOUBLED.sub(r"\1", clause)
        for name, (flag_level, pattern) in FLAGS.items():
            for where, regex in ((clause, pattern), (squeezed, SQUEEZED[name])):
                match = next(
                    (
                        m
                        for m in re.finditer(regex, where)
                        if not any(p.search(where[: m.start()]) for p in (NEGATION, PREVENTION, SOMEONE_ELSE))
                    ),
                    None,
                )
                if match is None:
                    continue
                if name not in found:
                    found.append(name)
                if flag_level == EMERGENCY:
                    level = EMERGENCY
                break
    if not found:
        return None
    return Safety(flags=tuple(found), level=level)
