"""Fixtures for end-to-end tests of the Discord bot against an in-process fake Discord.

* ``discord_env`` -- starts :class:`fake_discord.FakeDiscord` on 127.0.0.1 (ephemeral port), points
  discord.py at it (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` via monkeypatch) and yields
  the fake.  Teardown closes every bot connected with :func:`fake_discord.connect`, stops the server,
  and fails the test if anything logged at ERROR (discord.py logs and swallows handler exceptions),
  if the bot called a route the fake does not implement, or if ``bot.connect()`` crashed.
* ``discord_connect`` -- ``await discord_connect(bot)`` is ``connect(bot, discord_env)``.

Tests here are async: mark them with ``@pytest.mark.asyncio`` (or ``pytestmark = pytest.mark.asyncio``)
unless the project sets ``asyncio_mode = "auto"``.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

# Make ``import fake_discord`` work whatever pytest's import mode / package layout is.
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from fake_discord import FakeDiscord, connect  # noqa: E402


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
