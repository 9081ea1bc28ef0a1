"""Notice changes to the knowledge folder and re-index while the bot keeps answering."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from bot.coach import CoachError
from bot.index import knowledge_state

if TYPE_CHECKING:
    from bot.discord_app.bot import CoachBot

log = logging.getLogger(__name__)


async def watch_knowledge(bot: CoachBot, every: float) -> None:
    """Every `every` seconds, compare the articles folder with the state the loaded index was built
    from, and re-index when they differ. A folder that fails to load is reported once, not every tick."""
    failed: dict[str, Any] | None = None
    while True:
        await asyncio.sleep(every)
        state: dict[str, Any] | None = None
        try:
            state = await asyncio.to_thread(knowledge_state, bot.settings.articles_dir)
            if state in (bot.coach.loaded.index.manifest.get("knowledge_state"), failed):
                continue
            log.info("The knowledge folder changed; re-indexing")
            await bot.reload_knowledge()
            failed = None
        except CoachError as exc:
            failed = state
            log.warning("The knowledge folder changed but could not be loaded: %s", exc)
        except Exception:
            log.exception("The knowledge watcher failed; it will try again")
