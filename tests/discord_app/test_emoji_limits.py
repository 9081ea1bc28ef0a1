"""Through the fake Discord: an emoji-heavy question stays inside limits Discord counts in UTF-16 units."""

from __future__ import annotations

import pytest

from bot.discord_app.layout import units
from tests.fakes.discord import FakeDiscord

pytestmark = pytest.mark.asyncio

# 221 characters, so within 256 by a count of characters, but 409 UTF-16 units.
QUESTION = "why do my hips drop when I run? " + "🏃💪🔥🦵" * 47 + "!"


async def test_an_emoji_heavy_question_gets_a_title_of_at_most_256_units(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()
    assert len(QUESTION) <= 256 < units(QUESTION)

    asked = await fake.slash("ask", {"question": QUESTION})
    await fake.send_message(content=f"<@{fake.BOT_ID}> {QUESTION}")

    [thread] = fake.threads
    titles = [asked.original["embeds"][0]["title"], fake.bot_messages(thread["id"])[0]["embeds"][0]["title"]]
    for title in titles:
        assert 250 <= units(title) <= 256 and title.endswith("…")
        assert QUESTION.startswith(title[:-1])
        title.encode("utf-16-le")  # strict: no half of a surrogate pair
    assert units(thread["name"]) <= 100
    for message in [asked.original, *fake.bot_messages(thread["id"])]:
        for embed in message["embeds"]:
            size = units(embed.get("title", "")) + units(embed.get("description", ""))
            size += sum(units(f["name"]) + units(f["value"]) for f in embed.get("fields", []))
            assert size + units(embed.get("footer", {}).get("text", "")) <= 6000
