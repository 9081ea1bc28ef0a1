"""/ask: a question answered with quoted passages, sources and exercise cards."""

from __future__ import annotations

import asyncio
import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.coach import CoachError, Conversation
from bot.discord_app.bot import CoachBot
from bot.discord_app.views import to_kwargs

log = logging.getLogger(__name__)


class Ask(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="Your question, e.g. “why do my hips drop when I run?”",
        private="Only you see the answer (good for questions about an injury)",
    )
    async def ask(self, interaction: discord.Interaction, question: str, private: bool = False) -> None:
        """Ask the coach: answers quote the club's articles and suggest exercises."""
        bot = self.bot
        admission = bot.admit(interaction.user.id, question)
        if admission.refusal:
            await interaction.response.send_message(admission.refusal, ephemeral=True)
            return
        conversation = await self.thread_conversation(interaction.channel)
        history = conversation.history if conversation is not None else ()
        # Start answering at once; the "thinking…" acknowledgement goes out meanwhile.
        pending = asyncio.ensure_future(bot.answerer.ask(admission.question, history, interaction.user.id))
        try:
            await interaction.response.defer(thinking=True, ephemeral=private)
        except BaseException:
            pending.cancel()
            raise
        try:
            answered = await pending
        except Exception as exc:
            if isinstance(exc, CoachError):
                log.warning("Could not answer a question: %s", exc)
            else:
                log.exception("Answering a question failed")
            await interaction.followup.send(bot.presenter.text("error.discord.j2"), ephemeral=private)
            return
        if conversation is not None and not private:
            conversation.add(admission.question)
        for spec in bot.presenter.answer(answered):
            await interaction.followup.send(**to_kwargs(spec), ephemeral=private)

    async def thread_conversation(self, channel: object) -> Conversation | None:
        """In one of the bot's own threads, /ask continues that thread's conversation."""
        me = self.bot.user
        threads = self.bot.get_cog("Threads")
        if (
            me is None
            or threads is None
            or not isinstance(channel, discord.Thread)
            or channel.owner_id != me.id
        ):
            return None
        return await threads.conversation(channel)  # type: ignore[attr-defined]


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Ask(bot))
