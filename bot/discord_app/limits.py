"""What the bot checks before it acts: the shape of its Discord token, and the per-member cooldown."""

from __future__ import annotations

import time
import unicodedata
from collections import deque
from collections.abc import Callable

from bot.coach import CoachError

NAMES = {"\n": "a line break", "\r": "a line break", " ": "a space", "\t": "a tab", "\x7f": "a DEL character"}


def checked_token(raw: str | None) -> str:
    """The token from DISCORD_TOKEN without surrounding white space, or a one-line `CoachError` saying
    what is wrong with it: a token is plain ASCII without spaces or control characters, and anything
    else would otherwise end deep in aiohttp ("Forbidden control character detected in headers")."""
    token = (raw or "").strip()
    if not token:
        raise CoachError("DISCORD_TOKEN is not set: put it in the environment or in a .env file.")
    problem = _token_problem(token)
    if problem:
        raise CoachError(
            f"The Discord token in DISCORD_TOKEN is malformed: {problem}. "
            "Copy the bot token again from the Developer Portal."
        )
    return token


def _token_problem(token: str) -> str:
    """What makes `token` unusable, in words that do not repeat it; empty when it looks right."""
    if token[:4].lower() == "bot ":
        return 'it starts with "Bot ": leave that word out'
    if token[0] in "'\"" or token[-1] in "'\"":
        return "it is in quotes: remove them"
    for i, ch in enumerate(token, 1):
        where = f"character {i} of {len(token)}"
        if ch in NAMES:
            return f"it contains {NAMES[ch]} ({where})"
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf"):
            return f"it contains an invisible character, U+{ord(ch):04X} ({where})"
        if not ch.isascii():  # never part of a real token, so naming it gives nothing away
            return f"it contains {ch!r} (U+{ord(ch):04X}), which no token holds ({where})"
    return ""


class Cooldown:
    """At most `rate` questions in any `per` seconds for each member (a sliding window)."""

    def __init__(self, rate: int, per: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.per = per
        self.clock = clock
        self._hits: dict[int, deque[float]] = {}

    def hit(self, member: int) -> float:
        """Count a question by `member`: 0.0 when allowed, else the seconds until the next one is."""
        if self.per <= 0:
            return 0.0
        now = self.clock()
        hits = self._hits.setdefault(member, deque())
        while hits and now - hits[0] >= self.per:
            hits.popleft()
        if len(hits) >= self.rate:
            return self.per - (now - hits[0])
        hits.append(now)
        if len(self._hits) > 10_000:  # forget members whose window has passed
            self._hits = {k: v for k, v in self._hits.items() if v and now - v[-1] < self.per}
        return 0.0
