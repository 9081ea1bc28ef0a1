"""Notice changes to the knowledge folder and re-index while the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.coach import CoachError
from bot.index import knowledge_state

log = logging.getLogger(__name__)


async def watch_knowledge(
    articles: Path,
    indexed: Callable[[], Any],
    reload: Callable[[], Awaitable[Any]],
    every: float,
) -> None:
    """Every `every` seconds, compare the `articles` folder with the state the loaded index was built
    from (`indexed()`), and `reload()` when they differ. A folder that fails to load is reported once,
    not every tick. Plain callables: the watcher knows nothing of the bot."""
    failed: dict[str, Any] | None = None
    while True:
        await asyncio.sleep(every)
        state: dict[str, Any] | None = None
        try:
            state = await asyncio.to_thread(knowledge_state, articles)
            if state in (indexed(), failed):
                continue
            log.info("The knowledge folder changed; re-indexing")
            await reload()
            failed = None
        except CoachError as exc:
            failed = state
            log.warning("The knowledge folder changed but could not be loaded: %s", exc)
        except Exception:
            log.exception("The knowledge watcher failed; it will try again")
