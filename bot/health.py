"""A heartbeat file the running bot refreshes, read by `coach health` (the container HEALTHCHECK)."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any


def write_heartbeat(path: Path, **state: Any) -> None:
    """Record that the bot is alive, with its state (connected, articles, ...); written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file of its own per write: concurrent writers never interleave, the last one wins.
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_text(json.dumps({"time": time.time(), **state}), encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_heartbeat(path: Path, max_age: float) -> str | None:
    """None when healthy, else the reason the bot is not."""
    try:
        beat = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return f"no heartbeat at {path}: the bot has not started"
    except (OSError, ValueError) as exc:
        return f"unreadable heartbeat at {path}: {exc}"
    age = time.time() - float(beat.get("time", 0))
    if age > max_age:
        return f"last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)"
    if beat.get("state") == "starting":
        return "starting: the bot is loading the model and the index"
    if not beat.get("connected", False):
        return "the bot is not connected to Discord"
    return None
