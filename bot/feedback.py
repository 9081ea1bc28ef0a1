"""A SQLite log of questions and 👍 / 👎 feedback, for finding what the articles miss.

Members are never stored by name or id: only a SHA-256 of their id with a salt made once per install
and kept in the database. Every call opens its own connection, so the log can be used from any thread.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bot.models import Answer

Outcome = Literal["answered", "refused", "escalated"]
Vote = Literal["up", "down"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    answer_id TEXT PRIMARY KEY,
    asked_at TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'refused', 'escalated'))
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL REFERENCES questions(answer_id),
    user_hash TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
"""


def outcome(answer: Answer) -> Outcome:
    """How a question ended: referred to a professional, refused as not covered, or answered."""
    if answer.safety is not None:
        return "escalated"
    return "answered" if answer.answered else "refused"


def new_answer_id() -> str:
    return secrets.token_hex(6)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Unanswered:
    question: str
    count: int
    last_asked: str


@dataclass(frozen=True)
class Disliked:
    question: str
    down: int
    up: int
    answers: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    unanswered: tuple[Unanswered, ...]
    disliked: tuple[Disliked, ...]

    def as_dict(self) -> dict[str, list[dict]]:
        return {
            "unanswered": [asdict(u) for u in self.unanswered],
            "disliked": [{**asdict(d), "answers": list(d.answers)} for d in self.disliked],
        }


class FeedbackLog:
    """Questions and votes in one SQLite file (created with its folder on first write)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._salt: str | None = None

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.executescript(SCHEMA)
            with db:
                yield db
        finally:
            db.close()

    def _salt_of(self, db: sqlite3.Connection) -> str:
        if self._salt is None:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('salt', ?)", (secrets.token_hex(16),))
            self._salt = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()[0]
        return self._salt

    def user_hash(self, db: sqlite3.Connection, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt_of(db)}:{user_id}".encode()).hexdigest()

    def record(self, entries: Sequence[tuple[int, Answer]], ids: Sequence[str] | None = None) -> list[str]:
        """Log (user id, answer) pairs in one transaction; returns their answer ids."""
        ids = list(ids) if ids is not None else [new_answer_id() for _ in entries]
        with self._db() as db:
            db.executemany(
                "INSERT INTO questions VALUES (?, ?, ?, ?, ?)",
                [
                    (answer_id, _now(), self.user_hash(db, user_id), answer.question, outcome(answer))
                    for answer_id, (user_id, answer) in zip(ids, entries, strict=True)
                ],
            )
        return ids

    def vote(self, answer_id: str, user_id: int, vote: Vote) -> bool:
        """Record (or change) a member's vote on an answer; False when the answer id is unknown."""
        with self._db() as db:
            if db.execute("SELECT 1 FROM questions WHERE answer_id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (answer_id, self.user_hash(db, user_id), vote, _now()),
            )
        return True

    def report(self, limit: int = 20) -> Report:
        """The refused questions and the 👎 answers, most frequent first."""
        if not self.path.exists():
            return Report((), ())
        with self._db() as db:
            unanswered = db.execute(
                "SELECT MIN(question), COUNT(*) AS n, MAX(asked_at) AS last FROM questions "
                "WHERE outcome = 'refused' GROUP BY LOWER(TRIM(question)) "
                "ORDER BY n DESC, last DESC LIMIT ?",
                (limit,),
            ).fetchall()
            disliked = db.execute(
                "SELECT MIN(q.question), SUM(f.vote = 'down') AS down, SUM(f.vote = 'up'), "
                "GROUP_CONCAT(DISTINCT CASE WHEN f.vote = 'down' THEN q.answer_id END), MAX(f.voted_at) AS last "
                "FROM feedback f JOIN questions q USING (answer_id) "
                "GROUP BY LOWER(TRIM(q.question)) HAVING down > 0 "
                "ORDER BY down DESC, last DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return Report(
            tuple(Unanswered(q, n, last) for q, n, last in unanswered),
            tuple(Disliked(q, down, up, tuple(sorted(ids.split(",")))) for q, down, up, ids, _ in disliked),
        )
