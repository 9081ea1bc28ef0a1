"""The question log keeps no member id: mentions scrubbed, the salt outside the file, old rows deleted."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.feedback import FeedbackLog, KeyFileError, scrub
from bot.models import Answer

MEMBER = 1577373093179949071
OTHER = 1088223344556677889


def refused(question: str) -> Answer:
    return Answer(question, answered=False)


def digest(salt: str, member: int) -> str:
    return hashlib.sha256(f"{salt}:{member}".encode()).hexdigest()


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")


@pytest.mark.parametrize(
    ("question", "logged"),
    [
        (f"<@!{MEMBER}> how do I start?", "@member how do I start?"),
        (f"<@{MEMBER}> and <@{OTHER}>: lunges?", "@member and @member: lunges?"),
        ("<@&1000000000000000400> squats?", "@role squats?"),
        ("as asked in <#1000000000000000200>", "as asked in #channel"),
        ("@everyone @here why do my hips drop?", "@everyone @here why do my hips drop?"),
        ("use </ask:1000000000000000001> or </coach ask:123>", "use /ask or /coach ask"),
        ("<:strong:1000000000000000999> and <a:run:1000000000000000998>", ":strong: and :run:"),
        (f"my id is {MEMBER}, and <@ {OTHER}>", "my id is [id], and <@ [id]>"),
        ("3 sets of 12 at 60 kg, 2024-05-01", "3 sets of 12 at 60 kg, 2024-05-01"),
    ],
)
def test_mentions_become_placeholders(question: str, logged: str) -> None:
    assert scrub(question) == logged


def test_no_raw_id_reaches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "coach.sqlite3"
    log = FeedbackLog(path)
    [answer_id] = log.record([(MEMBER, refused(f"<@!{MEMBER}> how do I start, <@{OTHER}>?"))])
    log.vote(answer_id, OTHER, "up")

    [(question,)] = sqlite3.connect(path).execute("SELECT question FROM questions").fetchall()
    assert question == "@member how do I start, @member?"
    data = path.read_bytes()
    assert str(MEMBER).encode() not in data and str(OTHER).encode() not in data


def test_the_salt_lives_in_a_private_key_file_beside_the_log(tmp_path: Path) -> None:
    path = tmp_path / "data" / "coach.sqlite3"
    FeedbackLog(path).record([(MEMBER, refused("how do I start?"))])

    key = tmp_path / "data" / "coach.sqlite3.key"
    salt = key.read_text().strip()
    assert len(salt) == 32 and stat.S_IMODE(key.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM meta WHERE key = 'salt'").fetchone() == (0,)
    assert salt.encode() not in path.read_bytes()
    # Another log on the same file (a restart, `coach report`) hashes with the same salt.
    FeedbackLog(path).record([(MEMBER, refused("and then?"))])
    assert {r[0] for r in db.execute("SELECT user_hash FROM questions")} == {digest(salt, MEMBER)}


def test_a_key_file_readable_by_others_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "coach.sqlite3"
    key = tmp_path / "coach.sqlite3.key"
    key.write_text("a-salt-from-a-backup-0123456789\n")
    key.chmod(0o644)
    FeedbackLog(path).record([(MEMBER, refused("how do I start?"))])
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    [(user_hash,)] = sqlite3.connect(path).execute("SELECT user_hash FROM questions").fetchall()
    assert user_hash == digest("a-salt-from-a-backup-0123456789", MEMBER)


def test_coach_log_salt_replaces_the_key_file(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, log_path=tmp_path / "coach.sqlite3", log_salt=SecretStr("s" * 32))
    FeedbackLog.from_settings(settings).record([(MEMBER, refused("how do I start?"))])

    assert not (tmp_path / "coach.sqlite3.key").exists()
    [(user_hash,)] = sqlite3.connect(settings.log_path).execute("SELECT user_hash FROM questions").fetchall()
    assert user_hash == digest("s" * 32, MEMBER)


def test_a_broken_key_file_is_a_sqlite_error_naming_it(tmp_path: Path) -> None:
    """Callers already survive a log they cannot write (`sqlite3.Error`): they survive this too."""
    (tmp_path / "coach.sqlite3.key").write_text("\n")
    with pytest.raises(KeyFileError, match=r"coach\.sqlite3\.key is empty") as failed:
        FeedbackLog(tmp_path / "coach.sqlite3").record([(MEMBER, refused("how do I start?"))])
    assert isinstance(failed.value, sqlite3.Error)


def legacy_log(path: Path, salt: str) -> str:
    """A log as the previous version wrote it: salt in `meta`, raw mentions in the questions."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE questions (answer_id TEXT PRIMARY KEY, asked_at TEXT NOT NULL, user_hash TEXT NOT NULL,
            question TEXT NOT NULL, outcome TEXT NOT NULL);
        CREATE TABLE feedback (answer_id TEXT NOT NULL, user_hash TEXT NOT NULL, vote TEXT NOT NULL,
            voted_at TEXT NOT NULL, PRIMARY KEY (answer_id, user_hash));
        """
    )
    with db:
        db.execute("INSERT INTO meta VALUES ('salt', ?)", (salt,))
        db.execute(
            "INSERT INTO questions VALUES ('0123456789ab', ?, ?, ?, 'refused')",
            (days_ago(1), digest(salt, MEMBER), f"<@!{MEMBER}> how do I start?"),
        )
        db.execute(
            "INSERT INTO feedback VALUES ('0123456789ab', ?, 'up', ?)", (digest(salt, MEMBER), days_ago(1))
        )
    db.close()
    return "0123456789ab"


def test_an_older_log_moves_its_salt_out_and_keeps_its_hashes(tmp_path: Path) -> None:
    path = tmp_path / "coach.sqlite3"
    old_salt = "0f" * 16
    answer_id = legacy_log(path, old_salt)
    assert str(MEMBER).encode() in path.read_bytes() and old_salt.encode() in path.read_bytes()

    log = FeedbackLog(path)
    assert log.vote(answer_id, MEMBER, "down")  # the same member changes their vote: one row, not two

    db = sqlite3.connect(path)
    assert (tmp_path / "coach.sqlite3.key").read_text().strip() == old_salt
    assert db.execute("SELECT key FROM meta").fetchall() == [("version",)]
    assert db.execute("SELECT vote FROM feedback").fetchall() == [("down",)]
    assert db.execute("SELECT question FROM questions").fetchall() == [("@member how do I start?",)]
    log.record([(MEMBER, refused("and then?"))])
    assert {r[0] for r in db.execute("SELECT user_hash FROM questions")} == {digest(old_salt, MEMBER)}
    data = path.read_bytes()  # secure_delete: the old salt and the raw id are overwritten, not just freed
    assert old_salt.encode() not in data and str(MEMBER).encode() not in data


def test_questions_past_the_retention_go_with_their_votes(tmp_path: Path) -> None:
    path = tmp_path / "coach.sqlite3"
    log = FeedbackLog(path, retention_days=90)
    old, recent = log.record([(MEMBER, refused("an old question")), (MEMBER, refused("a recent one"))])
    log.vote(old, OTHER, "down")
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE questions SET asked_at = ? WHERE answer_id = ?", (days_ago(91), old))
        db.execute("UPDATE questions SET asked_at = ? WHERE answer_id = ?", (days_ago(89), recent))

    FeedbackLog(path, retention_days=0).record([(MEMBER, refused("kept forever"))])
    assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (3,)
    log.record([(MEMBER, refused("a new one"))])

    questions = {q for (q,) in db.execute("SELECT question FROM questions")}
    assert questions == {"a recent one", "kept forever", "a new one"}
    assert db.execute("SELECT COUNT(*) FROM feedback").fetchone() == (0,)
    assert b"an old question" not in path.read_bytes()
    assert not log.vote(old, OTHER, "up")  # its buttons now point at nothing


def test_the_report_applies_the_retention(tmp_path: Path) -> None:
    path = tmp_path / "coach.sqlite3"
    log = FeedbackLog(path, retention_days=30)
    [old] = log.record([(MEMBER, refused("What time zone is Tokyo in?"))])
    log.record([(MEMBER, refused("how do I bake bread?"))])
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE questions SET asked_at = ? WHERE answer_id = ?", (days_ago(31), old))

    assert [u.question for u in log.report().unanswered] == ["how do I bake bread?"]
    assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (1,)


def test_settings_default_to_ninety_days_and_a_key_file(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, log_path=tmp_path / "coach.sqlite3")
    log = FeedbackLog.from_settings(settings)
    assert settings.log_retention_days == 90 and log.retention_days == 90
    assert log.key_path == tmp_path / "coach.sqlite3.key"
    assert not os.path.exists(log.key_path)  # nothing is written until a question is
