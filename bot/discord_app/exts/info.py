"""/help and /sources: how to ask, and what the coach answers from."""

from __future__ import annotations

from discord import Interaction, app_commands
from discord.ext import commands

from bot.discord_app.bot import CoachBot
from bot.discord_app.views import send_specs


class Info(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    @app_commands.command(name="help")
    async def help(self, interaction: Interaction) -> None:
        """How to ask the coach, and what it can and cannot answer."""
        await send_specs(interaction, self.bot.presenter.help(), ephemeral=True)

    @app_commands.command(name="sources")
    async def sources(self, interaction: Interaction) -> None:
        """List the club articles the coach answers from."""
        await send_specs(interaction, self.bot.presenter.sources(), ephemeral=True)


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Info(bot))
