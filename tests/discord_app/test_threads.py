"""Mentions: a thread per question, follow-ups with the thread's history, also after a restart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.discord import FakeDiscord, Intents

pytestmark = pytest.mark.asyncio

QUESTION = "how do I do the runner deadlift?"
FOLLOW_UP = "how heavy should I go?"
NONE = {"parse": []}


def spy(bot: Any) -> list[list[tuple[str, tuple[str, ...]]]]:
    """Record every batch of (question, history) the bot hands to `coach.ask_each`."""
    batches: list[list[tuple[str, tuple[str, ...]]]] = []
    ask_each = bot.coach.ask_each

    def recording(items):
        batches.append([(q, tuple(h)) for q, h in items])
        return ask_each(items)

    bot.coach.ask_each = recording
    return batches


def posts_to(fake: FakeDiscord, channel_id: Any) -> list[dict]:
    return [r.json for r in fake.requests_to("POST", rf"^/channels/{int(channel_id)}/messages$")]


async def test_a_mention_is_answered_in_a_thread_from_that_message(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()

    asked = await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")

    [thread] = fake.threads
    assert thread["id"] == asked["id"] and thread["name"] == f"Coach: {QUESTION}"
    [create] = fake.requests_to("POST", rf"/channels/{fake.CHANNEL_ID}/messages/{asked['id']}/threads")
    assert create.json["name"] == f"Coach: {QUESTION}"
    [answer] = fake.bot_messages(thread["id"])
    assert answer["embeds"][0]["title"] == QUESTION
    assert answer["components"][0]["components"][0]["custom_id"].startswith("coach:fb:up:")
    [body] = posts_to(fake, thread["id"])
    assert body["allowed_mentions"] == NONE and "message_reference" not in body
    assert fake.bot_messages(fake.CHANNEL_ID) == []  # nothing posted in the channel itself


async def test_a_mention_in_the_thread_continues_the_conversation(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    bot = await start_bot()
    batches = spy(bot)
    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")
    thread = fake.threads[0]

    await fake.send_message(thread["id"], f"<@{fake.BOT_ID}> {FOLLOW_UP}")
    await fake.send_message(thread["id"], "thanks, I'll try it")  # no mention, no message content: ignored

    assert batches == [[(QUESTION, ())], [(FOLLOW_UP, (QUESTION,))]]
    answers = fake.bot_messages(thread["id"])
    assert [m["embeds"][0]["title"] for m in answers] == [QUESTION, FOLLOW_UP]
    assert len(fake.threads) == 1


async def test_slash_ask_in_the_bots_thread_uses_its_history(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    bot = await start_bot()
    batches = spy(bot)
    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")
    thread = fake.threads[0]

    await fake.slash("ask", {"question": FOLLOW_UP}, channel_id=thread["id"])
    await fake.slash("ask", {"question": "and is there an easier version?"}, channel_id=thread["id"])
    await fake.slash("ask", {"question": QUESTION})  # in the channel: a fresh conversation

    assert batches == [
        [(QUESTION, ())],
        [(FOLLOW_UP, (QUESTION,))],
        [("and is there an easier version?", (QUESTION, FOLLOW_UP))],
        [(QUESTION, ())],
    ]


async def test_after_a_restart_the_thread_history_is_rebuilt(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    first = await start_bot()
    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")
    thread = fake.threads[0]
    await first.close()

    bot = await start_bot()
    batches = spy(bot)
    await fake.send_message(thread["id"], f"<@{fake.BOT_ID}> {FOLLOW_UP}")

    assert fake.requests_to("GET", rf"/channels/{thread['id']}/messages")
    assert batches == [[(FOLLOW_UP, (QUESTION,))]]


async def test_with_message_content_any_message_in_its_thread_is_answered(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    bot = await start_bot(message_content=True)
    batches = spy(bot)
    assert fake.intents is not None and fake.intents & Intents.MESSAGE_CONTENT

    await fake.send_message(content="is anyone running tomorrow?")  # channel chatter: not for the coach
    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")
    thread = fake.threads[0]
    await fake.send_message(thread["id"], FOLLOW_UP)

    assert batches == [[(QUESTION, ())], [(FOLLOW_UP, (QUESTION,))]]
    assert len(fake.bot_messages(thread["id"])) == 2


async def test_without_message_content_the_intent_is_not_requested(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()
    assert fake.intents is not None and not fake.intents & Intents.MESSAGE_CONTENT


async def test_other_bots_and_its_own_messages_are_ignored(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    bot = await start_bot(message_content=True)
    batches = spy(bot)
    other = await fake.add_member("pacer-bot", bot=True)

    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}", author=other)

    assert batches == [] and fake.threads == [] and fake.bot_messages() == []


async def test_a_mention_with_everyone_and_a_role_pings_nobody(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()
    question = f"@everyone @here <@&{fake.ADMIN_ROLE_ID}> <@{fake.ADMIN_ID}> {QUESTION}"

    await fake.send_message(content=f"<@{fake.BOT_ID}> {question}")

    thread = fake.threads[0]
    [body] = posts_to(fake, thread["id"])
    assert body["allowed_mentions"] == NONE
    assert body["embeds"][0]["title"] == question
    [answer] = fake.bot_messages(thread["id"])
    assert answer["mention_everyone"] is False and answer["mention_roles"] == [] and answer["mentions"] == []


async def test_mention_refusals_reply_in_place(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot(cooldown_rate=1, cooldown_seconds=60)

    await fake.send_message(content=f"<@{fake.BOT_ID}>")  # no question: how to ask
    long = await fake.send_message(content=f"<@{fake.BOT_ID}> " + "why " * 300)
    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")
    again = await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")

    help_, too_long, slow_down = fake.bot_messages(fake.CHANNEL_ID)
    assert help_["content"].startswith("I answer from the club's 5 articles")
    assert too_long["content"].startswith("That question is 1199 characters long")
    assert too_long["message_reference"]["message_id"] == long["id"]
    assert slow_down["content"].startswith("Easy pace! ⏱️ You can ask 1 question every 60 seconds")
    assert slow_down["message_reference"]["message_id"] == again["id"]
    assert all(body["allowed_mentions"] == NONE for body in posts_to(fake, fake.CHANNEL_ID))
    assert len(fake.threads) == 1


async def test_without_thread_permission_it_answers_in_the_channel(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()
    fake.inject_failure("POST", r"/channels/\d+/messages/\d+/threads", status=403, code=50013)

    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")

    [answer] = fake.bot_messages(fake.CHANNEL_ID)
    assert answer["embeds"][0]["title"] == QUESTION and fake.threads == []
