"""Shared fixtures: every test gets its own copy of the knowledge folder and index directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import HashEmbedder

ROOT = Path(__file__).resolve().parents[1]
DEV_SET = ROOT / "eval" / "dev.jsonl"

# `coach ask --json` in this process, then what it imported: answering must not load torch.
ASK_WITHOUT_TORCH = (
    "import sys\n"
    "from bot.cli import main\n"
    "sys.argv = ['coach', 'ask', '--json', 'why do my hips drop?']\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exit:\n"
    "    assert not exit.code, exit.code\n"
    "heavy = [m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules]\n"
    "assert not heavy, heavy\n"
    "assert 'onnxruntime' in sys.modules\n"
)


def ask_in_a_new_process(settings: Settings, cwd: Path, **env: str) -> dict:
    """The JSON answer of `coach ask` run in a fresh Python process on `settings`' knowledge and
    index; the process fails if answering imported torch, sentence-transformers or transformers."""
    import json
    import os
    import subprocess
    import sys

    environ = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    environ.update(
        COACH_KNOWLEDGE_DIR=str(settings.knowledge_dir),
        COACH_INDEX_DIR=str(settings.index_dir),
        COACH_PROMPTS_DIR=str(settings.prompts_dir),
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-c", ASK_WITHOUT_TORCH],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


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
