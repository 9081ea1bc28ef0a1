"""/reindex: re-read the knowledge folder now (members with Manage Server only)."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.coach import CoachError
from bot.discord_app.bot import CoachBot
from bot.discord_app.layout import text_messages
from bot.discord_app.views import send_specs


class Reindex(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    @app_commands.command(name="reindex")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def reindex(self, interaction: discord.Interaction) -> None:
        """Re-read the club's articles now and report what changed (Manage Server only)."""
        presenter = self.bot.presenter
        if not interaction.permissions.manage_guild:
            await interaction.response.send_message(
                presenter.text("reindex_refused.discord.j2"), ephemeral=True
            )
            return
        await interaction.response.defer(thinking=True, ephemeral=True)
        try:
            fresh = await self.bot.reload_knowledge()
        except CoachError as exc:
            text = presenter.text(
                "reindex.discord.j2", error=str(exc), report=None, problems=[], articles=0, chunks=0
            )
        else:
            text = presenter.text(
                "reindex.discord.j2",
                error=None,
                report=fresh.report,
                problems=[str(p) for p in fresh.problems],
                articles=len(fresh.index.articles),
                chunks=len(fresh.index.chunks),
            )
        await send_specs(interaction, text_messages(text), ephemeral=True)


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Reindex(bot))
