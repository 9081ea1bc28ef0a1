"""A private SQLite log of questions and 👍 / 👎 feedback, for finding what the articles miss.

A row holds a random answer id, the time (UTC), the question with every Discord mention replaced by a
placeholder (`<@123>` -> `@member`, `<@&123>` -> `@role`, `<#123>` -> `#channel`), how it ended, and the
votes. Members are never stored by name or id: only a SHA-256 of their id with a salt kept outside the
database (`COACH_LOG_SALT`, or a key file with mode 0600 beside it, `coach.sqlite3.key`), so the file
alone does not tell whose rows are whose. Questions older than the retention (90 days by default) are
deleted with their votes on every write and by `coach report`, and deleted content is overwritten
(`secure_delete`). Every call opens its own connection, so the log can be used from any thread.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from bot.models import Answer

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

Outcome = Literal["answered", "refused", "escalated"]
Source = Literal["discord", "cli"]
Vote = Literal["up", "down"]

VERSION = 3  # 2: salt outside the database, mentions scrubbed; 3: where each question came from
RETENTION_DAYS = 90

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    answer_id TEXT PRIMARY KEY,
    asked_at TEXT NOT NULL,
    user_hash TEXT NOT NULL,
    question TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('answered', 'refused', 'escalated')),
    source TEXT NOT NULL DEFAULT 'discord'
);
CREATE TABLE IF NOT EXISTS feedback (
    answer_id TEXT NOT NULL REFERENCES questions(answer_id),
    user_hash TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    voted_at TEXT NOT NULL,
    PRIMARY KEY (answer_id, user_hash)
);
CREATE INDEX IF NOT EXISTS questions_by_time ON questions (asked_at);
"""

# Discord's markup that carries an id, and what each becomes in the log. A bare run of 15 or more
# digits (a pasted id, or a mention Discord did not parse such as `<@ 123…>`) is scrubbed too.
MENTIONS = (
    (re.compile(r"<@!?[0-9]+>"), "@member"),
    (re.compile(r"<@&[0-9]+>"), "@role"),
    (re.compile(r"<#[0-9]+>"), "#channel"),
    (re.compile(r"</([\w-]+(?: [\w-]+){0,2}):[0-9]+>"), r"/\1"),  # a slash command
    (re.compile(r"<a?(:\w+:)[0-9]+>"), r"\1"),  # a custom emoji
    (re.compile(r"(?<![0-9])[0-9]{15,}(?![0-9])"), "[id]"),
)


class KeyFileError(sqlite3.Error):
    """The salt's key file cannot be read or written. A `sqlite3.Error`, so that every caller that
    survives a log it cannot write (the answer matters more than its log line) survives this too."""


def scrub(question: str) -> str:
    """`question` as it may be logged: mentions as placeholders, no member, role or channel id."""
    for pattern, placeholder in MENTIONS:
        question = pattern.sub(placeholder, question)
    return question


def outcome(answer: Answer) -> Outcome:
    """How a question ended: referred to a professional, refused as not covered, or answered."""
    if answer.safety is not None:
        return "escalated"
    return "answered" if answer.answered else "refused"


def new_answer_id() -> str:
    return secrets.token_hex(6)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def key_path(log_path: Path) -> Path:
    """Where the salt of the log at `log_path` lives when `COACH_LOG_SALT` is not set."""
    return log_path.with_name(log_path.name + ".key")


def read_or_create_key(path: Path, new: str | None = None) -> str:
    """The salt in the key file at `path`, created (mode 0600) with `new` or a random salt when missing.

    Creation is atomic (a private temporary file linked into place), so two processes starting at
    once agree on one salt.
    """
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    salt = new or secrets.token_hex(16)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(salt + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:  # another process was first: use its salt
            return _read_key(path)
        log.info("Created %s, the salt of the question log's member hashes: back it up with the log", path)
        return salt
    except OSError as exc:
        raise KeyFileError(f"cannot create the log's key file {path}: {exc.strerror or exc}") from None
    finally:
        tmp.unlink(missing_ok=True)


def _read_key(path: Path) -> str:
    try:
        if os.name == "posix" and path.stat().st_mode & 0o077:
            log.warning("%s was readable by others: its mode is now 0600", path)
            path.chmod(0o600)
        salt = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise KeyFileError(f"cannot read the log's key file {path}: {reason}") from None
    if not salt:
        raise KeyFileError(
            f"the log's key file {path} is empty: restore it from a backup, or delete it to start a "
            "new salt (earlier votes then no longer match their members)"
        )
    return salt


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
    """Questions and votes in one SQLite file (created with its folder on first write).

    `salt` (COACH_LOG_SALT) overrides the key file; `retention_days` of 0 keeps questions forever.
    """

    def __init__(self, path: Path, salt: str | None = None, retention_days: int = RETENTION_DAYS) -> None:
        self.path = path
        self.key_path = key_path(path)
        self.retention_days = retention_days
        self._salt = salt or None
        self._migrated = False

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackLog:
        """The log of `settings`: its path, `COACH_LOG_SALT` and `COACH_LOG_RETENTION_DAYS`."""
        salt = settings.log_salt.get_secret_value().strip() if settings.log_salt else ""
        if salt and len(salt) < 16:
            log.warning("COACH_LOG_SALT is shorter than 16 characters: member hashes are easier to guess")
        return cls(settings.log_path, salt=salt or None, retention_days=settings.log_retention_days)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA secure_delete = ON")  # deleted questions and salts are zeroed, not freed
            db.executescript(SCHEMA)
            with db:
                if not self._migrated:
                    self._migrate(db)
                yield db
        finally:
            db.close()
        self._migrated = True  # only once the migration is committed

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring a log written by an earlier version up to date: its salt moves from the `meta` table to
        the key file (so earlier hashes still match), and mentions are scrubbed from its questions."""
        row = db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone()
        if row is not None:
            kept = read_or_create_key(self.key_path, new=row[0])  # before the delete is committed
            if kept != row[0]:
                log.warning("%s and the log held different salts: kept the key file's", self.key_path)
            db.execute("DELETE FROM meta WHERE key = 'salt'")
        columns = {row[1] for row in db.execute("PRAGMA table_info(questions)")}
        if "source" not in columns:  # a log from before questions were logged from the command line
            db.execute("ALTER TABLE questions ADD COLUMN source TEXT NOT NULL DEFAULT 'discord'")
        version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        if version is None or int(version[0]) < VERSION:
            rows = db.execute("SELECT answer_id, question FROM questions").fetchall()
            db.executemany(
                "UPDATE questions SET question = ? WHERE answer_id = ?",
                [(scrub(q), i) for i, q in rows if scrub(q) != q],
            )
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(VERSION),))

    def _salt_value(self) -> str:
        if self._salt is None:
            self._salt = read_or_create_key(self.key_path)
        return self._salt

    def _user_hash(self, user_id: int) -> str:
        return hashlib.sha256(f"{self._salt_value()}:{user_id}".encode()).hexdigest()

    def _prune(self, db: sqlite3.Connection) -> int:
        if self.retention_days <= 0:
            return 0
        cutoff = (datetime.now(UTC) - timedelta(days=self.retention_days)).isoformat(timespec="seconds")
        db.execute(
            "DELETE FROM feedback WHERE answer_id IN (SELECT answer_id FROM questions WHERE asked_at < ?)",
            (cutoff,),
        )
        return db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount

    def prune(self) -> int:
        """Delete the questions older than the retention, with their votes; returns how many.

        A log that cannot be written (a read-only folder, say) is left as it is, with a warning.
        """
        if not self.path.exists():
            return 0
        try:
            with self._db() as db:
                removed = self._prune(db)
        except sqlite3.Error as exc:
            log.warning("Could not apply the retention to %s: %s", self.path, exc)
            return 0
        if removed:
            log.info(
                "Deleted %d question(s) older than %d days from %s", removed, self.retention_days, self.path
            )
        return removed

    def record(
        self,
        entries: Sequence[tuple[int | None, Answer]],
        ids: Sequence[str] | None = None,
        source: Source = "discord",
    ) -> list[str]:
        """Log (member id, answer) pairs in one transaction; returns their answer ids. A question from
        the command line has no member (None) and `source` "cli"."""
        ids = list(ids) if ids is not None else [new_answer_id() for _ in entries]
        with self._db() as db:  # the salt is read after the migration, which may move it to the key file
            self._prune(db)
            db.executemany(
                "INSERT INTO questions (answer_id, asked_at, user_hash, question, outcome, source) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        answer_id,
                        _now(),
                        "" if user_id is None else self._user_hash(user_id),
                        scrub(answer.question),
                        outcome(answer),
                        source,
                    )
                    for answer_id, (user_id, answer) in zip(ids, entries, strict=True)
                ],
            )
        return ids

    def vote(self, answer_id: str, user_id: int, vote: Vote) -> bool:
        """Record (or change) a member's vote on an answer; False when the answer id is unknown."""
        with self._db() as db:
            self._prune(db)
            if db.execute("SELECT 1 FROM questions WHERE answer_id = ?", (answer_id,)).fetchone() is None:
                return False
            db.execute(
                "INSERT INTO feedback VALUES (?, ?, ?, ?) "
                "ON CONFLICT (answer_id, user_hash) DO UPDATE SET vote = excluded.vote, voted_at = excluded.voted_at",
                (answer_id, self._user_hash(user_id), vote, _now()),
            )
        return True

    def report(self, limit: int = 20, source: Source | None = None) -> Report:
        """The refused questions and the 👎 answers, most frequent first, once the retention is applied
        (a log that cannot be written is still reported); only those from `source` when given."""
        if not self.path.exists():
            return Report((), ())
        self.prune()
        db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            unanswered = db.execute(
                "SELECT MIN(question), COUNT(*) AS n, MAX(asked_at) AS last FROM questions "
                "WHERE outcome = 'refused' AND (? IS NULL OR source = ?) GROUP BY LOWER(TRIM(question)) "
                "ORDER BY n DESC, last DESC LIMIT ?",
                (source, source, limit),
            ).fetchall()
            disliked = db.execute(
                "SELECT MIN(q.question), SUM(f.vote = 'down') AS down, SUM(f.vote = 'up'), "
                "GROUP_CONCAT(DISTINCT CASE WHEN f.vote = 'down' THEN q.answer_id END), MAX(f.voted_at) AS last "
                "FROM feedback f JOIN questions q USING (answer_id) WHERE (? IS NULL OR q.source = ?) "
                "GROUP BY LOWER(TRIM(q.question)) HAVING down > 0 "
                "ORDER BY down DESC, last DESC LIMIT ?",
                (source, source, limit),
            ).fetchall()
        finally:
            db.close()
        return Report(
            tuple(Unanswered(q, n, last) for q, n, last in unanswered),
            tuple(Disliked(q, down, up, tuple(sorted(ids.split(",")))) for q, down, up, ids, _ in disliked),
        )
