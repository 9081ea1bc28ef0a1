"""The Bot subclass and its entry points: intents, mentions, extensions, tokens."""

from __future__ import annotations

import logging

import discord
import pytest
from pydantic import SecretStr

from bot.coach import Coach, CoachError
from bot.config import Settings
from bot.discord_app.bot import EXTENSIONS, CoachBot, intents_for, run, start
from bot.embedding import HashEmbedder
from tests.fakes.discord import FakeDiscord


def test_intents_are_the_defaults_plus_message_content_only_when_asked(settings: Settings) -> None:
    plain = intents_for(settings)
    assert plain == discord.Intents.default() and not plain.message_content
    assert intents_for(settings.model_copy(update={"message_content": True})).message_content


def test_mentions_are_disabled_once_on_the_bot(settings: Settings) -> None:
    bot = CoachBot(settings, Coach(settings, embedder=HashEmbedder(model_id="hash")))
    assert bot.allowed_mentions is not None and bot.allowed_mentions.to_dict() == {"parse": []}


@pytest.mark.asyncio
async def test_one_cog_per_extension(discord_env: FakeDiscord, start_bot) -> None:
    bot = await start_bot()
    assert set(bot.extensions) == {f"bot.discord_app.exts.{name}" for name in EXTENSIONS}
    assert set(bot.cogs) == {"Ask", "Exercises", "Info", "Threads", "Reindex"}


@pytest.mark.asyncio
async def test_a_rejected_token_is_one_clear_error_and_never_logged(
    discord_env: FakeDiscord, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    token = "MTIz.not-a-real-token.secret-part"
    coach = Coach(settings, embedder=HashEmbedder(model_id="hash"))
    with caplog.at_level(logging.DEBUG), pytest.raises(CoachError) as failed:
        await start(settings.model_copy(update={"watch_seconds": 0}), token, coach)
    assert (
        str(failed.value)
        == "Discord rejected DISCORD_TOKEN: copy the bot token again from the Developer Portal."
    )
    assert failed.value.__cause__ is None
    assert "secret-part" not in caplog.text
    assert [r.status for r in discord_env.requests_to("GET", "/users/@me")] == [401]


def test_run_without_a_token_is_one_clear_error(settings: Settings) -> None:
    with pytest.raises(
        CoachError, match=r"^DISCORD_TOKEN is not set: put it in the environment or in a \.env file\.$"
    ):
        run(settings)
    with pytest.raises(CoachError, match="DISCORD_TOKEN is not set"):
        run(settings.model_copy(update={"discord_token": SecretStr("  ")}))


@pytest.mark.asyncio
async def test_heartbeat_tracks_the_connection(discord_env: FakeDiscord, start_bot, tmp_path) -> None:
    from bot.health import check_heartbeat

    beat = tmp_path / "health.json"
    bot = await start_bot(health_path=beat)
    await discord_env.settle()
    assert check_heartbeat(beat, max_age=60) is None
    await bot.close()
    assert check_heartbeat(beat, max_age=60) == "the bot is not connected to Discord"


@pytest.mark.asyncio
async def test_the_log_has_no_voice_warnings(discord_env, start_bot, caplog) -> None:
    """The bot has no voice, so discord.py's PyNaCl / davey warnings would only worry an admin."""
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True  # as in a fresh process
    with caplog.at_level(logging.WARNING):
        await start_bot()
    assert "voice will NOT be supported" not in caplog.text


def test_views_and_the_watcher_do_not_import_the_bot() -> None:
    """No import circle: the views are typed against a small protocol, the watcher gets callables."""
    import subprocess
    import sys

    code = (
        "import sys, bot.discord_app.views, bot.discord_app.watcher, bot.discord_app.exts.buttons; "
        "assert 'bot.discord_app.bot' not in sys.modules, 'imported the bot'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
