"""What the views and the knowledge watcher need from the bot, as a small protocol: they are typed
against it instead of importing the Bot subclass (which imports them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.coach import Coach
    from bot.discord_app.present import Presenter
    from bot.feedback import FeedbackLog


class Services(Protocol):
    """The bot as the persistent buttons see it."""

    coach: Coach
    presenter: Presenter
    feedback: FeedbackLog
