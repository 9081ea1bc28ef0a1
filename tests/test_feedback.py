"""The SQLite question and feedback log, and the `coach report` and `coach run` commands."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.feedback import FeedbackLog, outcome
from bot.models import Answer, Safety

runner = CliRunner()
MEMBER = 1000000000000000301


def answers() -> dict[str, Answer]:
    return {
        "answered": Answer("how do I do the runner deadlift?", answered=True),
        "refused": Answer("What time zone is Tokyo in?", answered=False),
        "escalated": Answer(
            "my knee is swollen", answered=True, safety=Safety(("swelling",), "see-professional")
        ),
    }


def test_outcomes() -> None:
    assert {name: outcome(a) for name, a in answers().items()} == {
        "answered": "answered",
        "refused": "refused",
        "escalated": "escalated",
    }


def test_log_stores_hashed_members_and_votes(tmp_path: Path) -> None:
    path = tmp_path / "data" / "nested" / "coach.sqlite3"
    log = FeedbackLog(path)
    ids = log.record([(MEMBER, a) for a in answers().values()])

    assert path.exists() and len(set(ids)) == 3
    db = sqlite3.connect(path)
    rows = db.execute("SELECT answer_id, user_hash, question, outcome, asked_at FROM questions").fetchall()
    salt = path.with_name("coach.sqlite3.key").read_text().strip()  # beside the log, not in it
    assert db.execute("SELECT value FROM meta WHERE key = 'salt'").fetchone() is None
    assert [r[3] for r in rows] == ["answered", "refused", "escalated"]
    assert {r[1] for r in rows} == {hashlib.sha256(f"{salt}:{MEMBER}".encode()).hexdigest()}
    assert str(MEMBER) not in json.dumps(rows)
    assert all(r[4].endswith("+00:00") for r in rows)

    assert log.vote(ids[0], MEMBER, "up") and log.vote(ids[0], MEMBER, "down")  # changed mind
    assert not log.vote("feedbeef0000", MEMBER, "up")  # unknown answer
    votes = db.execute("SELECT answer_id, vote FROM feedback").fetchall()
    assert votes == [(ids[0], "down")]
    # A second log on the same file keeps the install's salt.
    assert FeedbackLog(path).record([(MEMBER, answers()["refused"])])
    assert len({r[0] for r in db.execute("SELECT user_hash FROM questions")}) == 1


def test_report_lists_refusals_and_down_votes_most_frequent_first(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "log.sqlite3")
    tokyo = Answer("What time zone is Tokyo in?", answered=False)
    bread = Answer("how do I bake bread?", answered=False)
    log.record([(1, tokyo), (2, bread), (3, Answer("what time zone is tokyo in? ", answered=False))])
    [a, b] = log.record([(1, answers()["answered"]), (2, Answer("why lunges?", answered=True))])
    log.vote(a, 1, "down")
    log.vote(a, 2, "down")
    log.vote(a, 3, "up")
    log.vote(b, 1, "down")

    report = log.report()
    assert [(u.question, u.count) for u in report.unanswered] == [
        ("What time zone is Tokyo in?", 2),
        ("how do I bake bread?", 1),
    ]
    assert [(d.question, d.down, d.up, d.answers) for d in report.disliked] == [
        ("how do I do the runner deadlift?", 2, 1, (a,)),
        ("why lunges?", 1, 0, (b,)),
    ]
    assert FeedbackLog(tmp_path / "missing.sqlite3").report().unanswered == ()
    assert not (tmp_path / "missing.sqlite3").exists()


@pytest.fixture
def cli_env(env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """conftest's `env`, run from an empty folder (no developer .env)."""
    monkeypatch.chdir(tmp_path)
    return env


def test_coach_report_table_and_json(cli_env: Settings) -> None:
    log = FeedbackLog(cli_env.log_path)
    log.record([(1, answers()["refused"]), (2, answers()["refused"])])
    [liked] = log.record([(1, answers()["answered"])])
    log.vote(liked, 2, "down")

    table = runner.invoke(app, ["report"])
    as_json = runner.invoke(app, ["report", "--json"])

    assert table.exit_code == 0, table.output
    assert "Unanswered questions" in table.stdout and "What time zone is Tokyo in?" in table.stdout
    assert "Answers rated 👎" in table.stdout and liked in table.stdout
    data = json.loads(as_json.stdout)
    assert data["unanswered"][0] == {
        "question": "What time zone is Tokyo in?",
        "count": 2,
        "last_asked": data["unanswered"][0]["last_asked"],
    }
    assert data["disliked"] == [
        {"question": "how do I do the runner deadlift?", "down": 1, "up": 0, "answers": [liked]}
    ]


def test_coach_report_with_an_empty_log(cli_env: Settings) -> None:
    result = runner.invoke(app, ["report"])
    assert result.exit_code == 0
    assert "No unanswered questions logged." in result.stdout and "No answers rated 👎." in result.stdout


def test_coach_run_without_a_token_is_one_clear_line(cli_env: Settings) -> None:
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 1
    assert (
        result.stderr.strip()
        == "Error: DISCORD_TOKEN is not set: put it in the environment or in a .env file."
    )
    assert result.stdout == ""


def test_coach_report_deletes_questions_past_the_retention(cli_env: Settings) -> None:
    log = FeedbackLog(cli_env.log_path)
    [old] = log.record([(1, Answer("how do I bake bread?", answered=False))])
    log.record([(2, answers()["refused"])])
    db = sqlite3.connect(cli_env.log_path)
    with db:
        db.execute("UPDATE questions SET asked_at = '2020-01-01T00:00:00+00:00' WHERE answer_id = ?", (old,))

    data = json.loads(runner.invoke(app, ["report", "--json"]).stdout)

    assert [u["question"] for u in data["unanswered"]] == ["What time zone is Tokyo in?"]
    assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (1,)  # deleted, not just hidden


def test_a_log_from_before_the_source_column_keeps_working(tmp_path) -> None:
    import sqlite3

    from bot.feedback import FeedbackLog
    from bot.models import Answer

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE questions (answer_id TEXT PRIMARY KEY, asked_at TEXT NOT NULL, user_hash TEXT NOT NULL,"
        " question TEXT NOT NULL, outcome TEXT NOT NULL);"
        "INSERT INTO questions VALUES ('a1', '2999-01-01T00:00:00+00:00', 'h', 'old refused', 'refused');"
    )
    db.commit()
    db.close()
    log = FeedbackLog(path, salt="s" * 32)
    log.record([(None, Answer(question="new refused", answered=False))], source="cli")
    assert [u.question for u in log.report(source="discord").unanswered] == ["old refused"]
    assert [u.question for u in log.report(source="cli").unanswered] == ["new refused"]
    assert len(log.report().unanswered) == 2
