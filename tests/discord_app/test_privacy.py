"""Through the fake Discord: a burst of questions full of mentions leaves no member id in the log file."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.feedback import FeedbackLog
from bot.models import Answer
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.asyncio


async def test_a_burst_of_mentions_leaves_no_raw_id_in_the_log(
    discord_env: FakeDiscord, start_bot, settings: Settings
) -> None:
    fake = discord_env
    bot = await start_bot()
    bot.answerer.batcher.window = 0.05  # one batch for most of the burst, as on a busy evening
    members = [await fake.add_member(f"runner{i}") for i in range(6)]
    role = await fake.add_role("Marathon squad")
    ids = [int(m["id"]) for m in members] + [fake.MEMBER_ID, fake.ADMIN_ID, int(role["id"]), fake.CHANNEL_ID]

    pending = []
    for i, member in enumerate(members):
        friend = members[(i + 1) % len(members)]["id"]
        pending.append(
            fake.send_message(
                content=f"<@{fake.BOT_ID}> <@!{friend}> and <@{fake.ADMIN_ID}> asked: how do I start "
                f"with the runner deadlift? cc <@&{role['id']}> in <#{fake.CHANNEL_ID}>",
                author=member,
                settle=False,
            )
        )
    pending.append(
        fake.slash("ask", {"question": f"<@{fake.MEMBER_ID}> says lunges beat squats?"}, settle=False)
    )
    await asyncio.gather(*pending)
    await fake.settle()

    db = sqlite3.connect(settings.log_path)
    questions = [q for (q,) in db.execute("SELECT question FROM questions")]
    db.close()
    assert len(questions) == len(members) + 1
    assert questions.count(
        "@member and @member asked: how do I start with the runner deadlift? cc @role in #channel"
    ) == len(members)
    assert "@member says lunges beat squats?" in questions
    files = [settings.log_path, *settings.log_path.parent.glob(settings.log_path.name + "-*")]
    data = b"".join(p.read_bytes() for p in files)  # the database and any journal beside it
    assert [i for i in ids if str(i).encode() in data] == []


async def test_the_bot_uses_the_log_settings_and_prunes_when_it_starts(
    discord_env: FakeDiscord, start_bot, settings: Settings
) -> None:
    old = FeedbackLog(settings.log_path, salt="x" * 32)
    [stale] = old.record([(1, Answer("an old question", answered=False))])
    db = sqlite3.connect(settings.log_path)
    with db:
        db.execute(
            "UPDATE questions SET asked_at = '2020-01-01T00:00:00+00:00' WHERE answer_id = ?", (stale,)
        )

    await start_bot(log_retention_days=30, log_salt=SecretStr("s" * 32))
    assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (0,)  # before anyone asked

    await discord_env.slash("ask", {"question": "how do I do the runner deadlift?"})
    [(user_hash,)] = db.execute("SELECT user_hash FROM questions").fetchall()
    digest = hashlib.sha256(f"{'s' * 32}:{discord_env.MEMBER_ID}".encode()).hexdigest()
    assert user_hash == digest and not settings.log_path.with_name("coach.sqlite3.key").exists()
