"""The bot is ready when it says so: the coach is loaded (and one question answered) before it connects,
and its health says "starting" until then. The real model's timing is in tests/test_embedding_onnx.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.coach import Coach
from bot.discord_app.bot import WARM_UP, CoachBot
from bot.health import check_heartbeat, write_heartbeat
from bot.models import Answer
from tests.fakes.discord import FakeDiscord


@pytest.mark.asyncio
async def test_health_says_starting_until_the_coach_is_loaded(
    discord_env: FakeDiscord, start_bot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beat = tmp_path / "health.json"
    write_heartbeat(beat, connected=True, articles=5)  # what the last run left: healthy, but stale news
    seen: list[tuple[str | None, bool]] = []
    asked: list[str] = []
    load, ask = CoachBot.load_coach, Coach.ask

    def loading(bot: CoachBot) -> None:
        seen.append((check_heartbeat(beat, 60), bot.is_ready()))
        load(bot)

    def asking(coach: Coach, question: str, history: Sequence[str] = ()) -> Answer:
        asked.append(question)
        return ask(coach, question, history)

    monkeypatch.setattr(CoachBot, "load_coach", loading)
    monkeypatch.setattr(Coach, "ask", asking)
    bot = await start_bot(health_path=beat)
    assert seen == [("starting: the bot is loading the model and the index", False)]
    assert asked == [WARM_UP] and bot.coach._loaded is not None  # answered before connecting
    await discord_env.settle()
    assert check_heartbeat(beat, 60) is None
    assert json.loads(beat.read_text(encoding="utf-8"))["state"] == "ready"


def test_a_starting_heartbeat_is_not_healthy(tmp_path: Path) -> None:
    beat = tmp_path / "health.json"
    write_heartbeat(beat, connected=False, state="starting")
    assert check_heartbeat(beat, 60) == "starting: the bot is loading the model and the index"
