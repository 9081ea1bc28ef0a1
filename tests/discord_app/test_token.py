"""A malformed DISCORD_TOKEN is one clear line and a non-zero exit, never an aiohttp traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from bot.cli import app
from bot.coach import CoachError
from bot.config import Settings
from bot.discord_app.bot import run
from bot.discord_app.limits import checked_token
from tests.fakes.discord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
GOOD = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz_-0123456789"
MALFORMED = "The Discord token in DISCORD_TOKEN is malformed: "
AGAIN = ". Copy the bot token again from the Developer Portal."


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("MTIz.abc\ndef", "it contains a line break (character 9 of 12)"),
        ("MTIz.abc\r\ndef", "it contains a line break (character 9 of 13)"),
        ("MTIz abc", "it contains a space (character 5 of 8)"),
        ("MTIz.abc\x7f", "it contains a DEL character (character 9 of 9)"),
        ("MTIz.\x00abc", "it contains an invisible character, U+0000 (character 6 of 9)"),
        ("MTIz.\u200babc", "it contains an invisible character, U+200B (character 6 of 9)"),
        ("MTIz.\u00a0abc", "it contains an invisible character, U+00A0 (character 6 of 9)"),
        ("MTIz.abc…", "it contains '…' (U+2026), which no token holds (character 9 of 9)"),
        ("Bot MTIz.abc", 'it starts with "Bot ": leave that word out'),
        ('"MTIz.abc"', "it is in quotes: remove them"),
    ],
)
def test_a_malformed_token_is_named_without_repeating_it(token: str, problem: str) -> None:
    with pytest.raises(CoachError) as failed:
        checked_token(token)
    assert str(failed.value) == MALFORMED + problem + AGAIN
    assert "abc" not in str(failed.value) and "\n" not in str(failed.value)


def test_a_good_token_passes_without_the_white_space_around_it() -> None:
    assert checked_token(GOOD) == GOOD
    assert checked_token(f"  {GOOD}\n") == GOOD  # a trailing newline from `echo token > .env` is harmless
    for empty in (None, "", " \n "):
        with pytest.raises(CoachError, match=r"^DISCORD_TOKEN is not set: "):
            checked_token(empty)


@pytest.mark.asyncio
async def test_the_bot_never_sends_a_malformed_token(discord_env: FakeDiscord, settings: Settings) -> None:
    """Without the check, this token reaches aiohttp, which raises `ValueError: Forbidden control
    character detected in headers` out of `bot.start`."""
    with pytest.raises(
        CoachError, match=r"^The Discord token in DISCORD_TOKEN is malformed: it contains a line"
    ):
        run(settings.model_copy(update={"discord_token": SecretStr("MTIz.abc\ndef"), "watch_seconds": 0}))
    assert discord_env.requests == []


@pytest.mark.parametrize("token", ["MTIz.abc\ndef", "MTIz.abc\x7fdef", "MTIz abc"])
def test_coach_run_with_a_malformed_token_is_one_line(
    token: str, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    monkeypatch.setenv("COACH_LOG_PATH", str(settings.log_path))
    monkeypatch.setenv("DISCORD_TOKEN", token)
    result = CliRunner().invoke(app, ["run"])
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: " + MALFORMED) and line.endswith(AGAIN)


def test_python_m_bot_discord_app_with_a_malformed_token_is_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_") and k != "DISCORD_TOKEN"}
    env |= {
        "DISCORD_TOKEN": "MTIz.abc\x7fdef",
        "PYTHONPATH": str(ROOT),
        "COACH_LOG_PATH": str(tmp_path / "l"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot.discord_app"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == (
        "Error: " + MALFORMED + "it contains a DEL character (character 9 of 12)" + AGAIN
    )
