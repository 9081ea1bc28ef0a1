"""Shared fixtures: every test gets its own copy of the knowledge folder and index directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import HashEmbedder

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "eval" / "dev.jsonl"


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A private copy of the project's knowledge folder."""
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


@pytest.fixture
def settings(tmp_path: Path, knowledge: Path) -> Settings:
    """Settings pointing at the private knowledge copy, a temp index and the deterministic embedder."""
    return Settings(
        _env_file=None,
        knowledge_dir=knowledge,
        index_dir=tmp_path / "index",
        prompts_dir=ROOT / "prompts",
        model="hash",
        log_path=tmp_path / "coach.sqlite3",
    )


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The same settings exported as COACH_ variables, for commands that build their own."""
    monkeypatch.setenv("COACH_KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("COACH_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("COACH_PROMPTS_DIR", str(settings.prompts_dir))
    monkeypatch.setenv("COACH_MODEL", "hash")
    monkeypatch.setenv("COACH_LOG_PATH", str(settings.log_path))
    return settings


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(model_id="hash")


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's COACH_ variables or .env, or writes outside its temp dir."""
    import os

    for name in list(os.environ):
        if name.startswith("COACH_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
