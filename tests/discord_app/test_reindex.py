"""/reindex for Manage Server members, and the watcher that re-indexes while the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.fakes.discord import FLAG_EPHEMERAL, FakeDiscord

pytestmark = pytest.mark.asyncio

NEW_ARTICLE = """---
title: "Calf Raises for Hill Runners"
author: "Club Coaches"
---

Strong calves carry you up steep hills. The seated calf raise and the standing calf raise both build the
soleus, which takes most of the load when you climb at an easy effort on a long trail run.
"""
BROKEN_ARTICLE = """---
author: "Nobody"
---

An article without a title is skipped, and the others are still served.
"""


async def test_reindex_is_refused_without_manage_server(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    bot = await start_bot()
    reloads = []
    bot.coach.reload = lambda *a, **k: reloads.append(1)  # type: ignore[method-assign]

    ix = await fake.slash("reindex", user=fake.member)

    assert ix.response_type == 4
    data = ix.callbacks[0]["data"]
    assert data["flags"] == FLAG_EPHEMERAL and data["allowed_mentions"] == {"parse": []}
    assert data["content"].startswith("Sorry, only members with the Manage Server permission")
    assert reloads == []


async def test_reindex_reports_what_changed(discord_env: FakeDiscord, start_bot, settings, caplog) -> None:
    fake = discord_env
    bot = await start_bot()
    articles = Path(settings.articles_dir)

    unchanged = await fake.slash("reindex", user=fake.admin)
    (articles / "calf-raises.md").write_text(NEW_ARTICLE, encoding="utf-8")
    (articles / "broken.md").write_text(BROKEN_ARTICLE, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="bot.discord_app"):
        changed = await fake.slash("reindex", user=fake.admin)

    assert unchanged.response_type == 5 and unchanged.callbacks[0]["data"]["flags"] == FLAG_EPHEMERAL
    assert unchanged.ephemeral
    assert unchanged.original["content"].startswith("✅ The index is already up to date: 5 articles, ")
    report = changed.original["content"]
    assert report.startswith("✅ Re-indexed 6 articles (")
    assert "1 added, 0 changed, 0 removed, 5 unchanged." in report
    assert "• Added: calf-raises" in report
    assert "⚠️ Skipped broken.md: is missing a title in its front matter" in report
    assert "calf-raises" in bot.coach.loaded.index.articles
    assert "Skipped a broken article: broken.md" in caplog.text


async def test_the_watcher_swaps_in_new_articles_while_answering(
    discord_env: FakeDiscord, start_bot, settings, caplog
) -> None:
    fake = discord_env
    bot = await start_bot(watch_seconds=0.02)
    before = bot.coach.loaded
    articles = Path(settings.articles_dir)

    with caplog.at_level(logging.WARNING, logger="bot.discord_app"):
        (articles / "broken.md").write_text(BROKEN_ARTICLE, encoding="utf-8")
        (articles / "calf-raises.md").write_text(NEW_ARTICLE, encoding="utf-8")
        during = await fake.slash("ask", {"question": "how do I do the runner deadlift?"})
        for _ in range(250):
            if "calf-raises" in bot.coach.loaded.index.articles:
                break
            await asyncio.sleep(0.02)

    assert during.original["embeds"][0]["title"] == "how do I do the runner deadlift?"
    assert bot.coach.loaded is not before
    assert (
        "calf-raises" in bot.coach.loaded.index.articles and "broken" not in bot.coach.loaded.index.articles
    )
    assert len(bot.coach.loaded.index.articles) == 6
    assert "Skipped a broken article: broken.md" in caplog.text
    after = await fake.slash("sources")
    assert "**Calf Raises for Hill Runners** — Club Coaches" in after.original["content"]
