"""The persistent buttons (👍 / 👎, Easier / Harder, More sources): registered once, they route
every click on any message the bot ever sent, also after a restart."""

from __future__ import annotations

from discord.ext import commands

from bot.discord_app.views import FeedbackButton, MoreButton, SwapButton


async def setup(bot: commands.Bot) -> None:
    bot.add_dynamic_items(FeedbackButton, SwapButton, MoreButton)
