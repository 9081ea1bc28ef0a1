"""Fixtures for end-to-end tests of the Discord bot against an in-process fake Discord.

* ``discord_env`` -- starts :class:`tests.fakes.discord.FakeDiscord` on 127.0.0.1 (ephemeral port), points
  discord.py at it (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` via monkeypatch) and yields
  the fake.  Teardown closes every bot connected with :func:`tests.fakes.discord.connect`, stops the server,
  and fails the test if anything logged at ERROR (discord.py logs and swallows handler exceptions),
  if the bot called a route the fake does not implement, or if ``bot.connect()`` crashed.
* ``discord_connect`` -- ``await discord_connect(bot)`` is ``connect(bot, discord_env)``.

Tests here are async: mark them with ``@pytest.mark.asyncio`` (or ``pytestmark = pytest.mark.asyncio``)
unless the project sets ``asyncio_mode = "auto"``.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from tests.fakes.discord import FakeDiscord, connect


@pytest_asyncio.fixture
async def discord_env(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    fake.patch(monkeypatch)
    try:
        yield fake
    finally:
        await fake.close_bots()
        await fake.stop()
    problems = fake.problems()
    if problems:
        pytest.fail("fake Discord detected problems:\n" + "\n\n".join(problems), pytrace=False)


@pytest.fixture
def discord_connect(discord_env: FakeDiscord) -> Callable[..., Awaitable[Any]]:
    async def _connect(bot: Any, **kwargs: Any) -> Any:
        return await connect(bot, discord_env, **kwargs)

    return _connect


# -- Stride Coach's bot against the fake ----------------------------------------------------------


@pytest.fixture(scope="session")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hash-embedder index of the project's knowledge, built once per session."""
    import shutil

    from bot.coach import Coach
    from bot.config import Settings
    from bot.embedding import HashEmbedder

    root = Path(__file__).resolve().parents[2]
    base = tmp_path_factory.mktemp("built")
    shutil.copytree(root / "knowledge", base / "knowledge")  # copy2 keeps the mtimes the index records
    config = Settings(
        _env_file=None,
        knowledge_dir=base / "knowledge",
        index_dir=base / "index",
        prompts_dir=root / "prompts",
        model="hash",
    )
    _ = Coach(config, embedder=HashEmbedder(model_id="hash")).loaded
    return base / "index"


@pytest.fixture
def start_bot(discord_env: FakeDiscord, settings: Any, built_index: Path) -> Callable[..., Awaitable[Any]]:
    """``await start_bot(**setting_overrides)``: a connected ``CoachBot`` with the hash embedder.

    Defaults suit most tests: no cooldown to trip over and no knowledge watcher. The test's index
    starts as a copy of the session's prebuilt one (rebuilt as usual if the test changed knowledge/).
    """
    import shutil

    from bot.coach import Coach
    from bot.discord_app.bot import CoachBot
    from bot.embedding import HashEmbedder

    # The bot's work is always a task (batches, typing, handlers) that settle() waits for, so a short
    # quiet period is enough and keeps these tests fast.
    settle = discord_env.settle
    discord_env.settle = functools.partial(settle, quiet=0.01)  # type: ignore[method-assign]

    async def _start(**overrides: Any) -> Any:
        if not settings.index_dir.exists():
            shutil.copytree(built_index, settings.index_dir)
        config = settings.model_copy(update={"cooldown_rate": 1000, "watch_seconds": 0, **overrides})
        coach = Coach(config, embedder=HashEmbedder(model_id="hash"))
        # The fake sends GUILD_CREATE right after READY: no need to wait 50 ms for more guilds.
        return await connect(CoachBot(config, coach), discord_env, guild_ready_timeout=0.01)

    return _start
