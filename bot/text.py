"""Outside text: the one place where text from a member, a terminal, a question file or an article is
decoded and cleaned before anything else reads it.

Invalid bytes become U+FFFD (never an exception), lone surrogates are replaced the same way (the
tokenizer refuses them), and control and zero-width characters are removed, so that a question of
only zero-width characters is the empty question it looks like.
"""

from __future__ import annotations

import re
import unicodedata

REPLACEMENT = "\ufffd"
# Characters kept although Unicode calls them controls or format characters: line breaks and tabs
# (articles and histories have them), and the joiners that hold emoji and some scripts together.
KEEP = frozenset("\n\t\u200c\u200d")
LINE_BREAKS = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def decode(raw: bytes) -> str:
    """Bytes from outside as text: UTF-8 (a BOM is dropped), invalid bytes as U+FFFD. Not yet
    cleaned: a JSON line is parsed first, then each text in it goes through `clean`."""
    return raw.decode("utf-8-sig", errors="replace")


def clean(text: str, keep_lines: bool = False) -> str:
    """`text` without lone surrogates (replaced by U+FFFD), control, format or zero-width characters.

    With `keep_lines`, every kind of line break becomes "\\n" and tabs stay (article bodies);
    otherwise all white space runs become one space (questions).
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if keep_lines:
        text = LINE_BREAKS.sub("\n", text)
    out = []
    for ch in text:
        if ch in KEEP or ch == " ":
            out.append(ch)
            continue
        category = unicodedata.category(ch)
        if category in {"Cc", "Cf", "Cs"}:
            if category == "Cc" and ch.isspace():
                out.append(" ")  # \r, \v and friends separate words
            continue
        out.append(ch)
    cleaned = "".join(out)
    if keep_lines:
        return cleaned
    # Zero-width joiners on their own are nothing to read.
    return " ".join(cleaned.replace("\u200c", "").replace("\u200d", "").split())


def cap(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit + 1)
    return text[: cut if cut > limit * 0.8 else limit].rstrip()
