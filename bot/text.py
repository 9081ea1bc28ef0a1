"""Outside text: the one place where a question and its history, from the command line, standard
input, a JSON line or Discord, are decoded and cleaned before anything else reads them. (Articles
are read by `bot.knowledge`, which refuses a file that is not UTF-8 and names it, and drops the
control characters of one that is, with `printable`.)

Invalid bytes become U+FFFD (never an exception), lone surrogates are replaced the same way (the
tokenizer refuses them), and control and format characters (zero-width ones and joiners included)
are removed, so that a question of only zero-width characters is the empty question it looks like.
"""

from __future__ import annotations

import unicodedata

# Control, format and surrogate characters: nothing a member meant to type.
REMOVED = frozenset({"Cc", "Cf", "Cs"})


def decode(raw: bytes) -> str:
    """Bytes from outside as text: UTF-8 (a BOM is dropped), invalid bytes as U+FFFD. Not yet
    cleaned: a JSON line is parsed first, then each text in it goes through `clean`."""
    return raw.decode("utf-8-sig", errors="replace")


def clean(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD, control and format characters removed, and every
    run of white space (line breaks of any kind included) made one space."""
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    kept = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in REMOVED)
    return " ".join(kept.split())


def printable(text: str) -> str:
    """An article's text without control characters (terminal escapes, bells, NUL): its line breaks and
    tabs stay, and so does everything a writer typed."""
    return "".join(ch for ch in text if ch in "\t\n\r" or unicodedata.category(ch) != "Cc")


def cap(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > limit * 0.8 else limit].rstrip()
