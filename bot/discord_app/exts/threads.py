"""Mentions: "@Coach why do my hips drop?" is answered in a thread; the thread keeps the conversation."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

import discord
from discord.ext import commands

from bot.coach import CoachError, Conversation
from bot.discord_app.bot import CoachBot
from bot.discord_app.layout import MessageSpec
from bot.discord_app.present import asked
from bot.discord_app.views import spec_of, to_kwargs

log = logging.getLogger(__name__)

KEEP_CONVERSATIONS = 500
HISTORY_MESSAGES = 50  # bot messages read to rebuild a conversation after a restart
ANSWERABLE = (discord.MessageType.default, discord.MessageType.reply)


def strip_mention(content: str, bot_id: int) -> str:
    """The question without the mention(s) of the bot."""
    return " ".join(re.sub(rf"<@!?{bot_id}>", " ", content).split())


class Threads(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot
        self.conversations: OrderedDict[int, Conversation] = OrderedDict()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if me is None or message.author.bot or message.guild is None or message.type not in ANSWERABLE:
            return
        channel = message.channel
        mentioned = any(user.id == me.id for user in message.mentions)
        own_thread = isinstance(channel, discord.Thread) and channel.owner_id == me.id
        if not (mentioned or (own_thread and self.bot.settings.message_content)):
            return
        question = strip_mention(message.content, me.id)
        if not question:  # a bare mention asks how to ask; an empty message (a photo, say) asks nothing
            if mentioned:
                await self.reply(message, self.bot.presenter.help())
            return
        admission = self.bot.admit(message.author.id, question)
        if admission.refusal:
            await message.reply(admission.refusal)  # the bot-wide AllowedMentions.none() pings nobody
            return
        if isinstance(channel, discord.Thread):
            target: discord.abc.Messageable = channel
            conversation = await self.conversation(channel)
        elif isinstance(channel, discord.TextChannel):
            target, conversation = await self.open_thread(message, admission.question)
        else:
            target, conversation = channel, self.new_conversation()
        async with target.typing():
            try:
                answered = await self.bot.answerer.ask(
                    admission.question, conversation.history, message.author.id
                )
            except Exception as exc:
                if isinstance(exc, CoachError):
                    log.warning("Could not answer a question: %s", exc)
                else:
                    log.exception("Answering a question failed")
                await target.send(self.bot.presenter.text("error.discord.j2"))
                return
        conversation.add(admission.question)
        for spec in self.bot.presenter.answer(answered):
            await target.send(**to_kwargs(spec))

    async def reply(self, message: discord.Message, specs: list[MessageSpec]) -> None:
        for spec in specs:
            await message.reply(**to_kwargs(spec))

    def new_conversation(self) -> Conversation:
        return Conversation(max_turns=self.bot.settings.history_turns)

    def remember(self, thread_id: int, conversation: Conversation) -> None:
        self.conversations[thread_id] = conversation
        self.conversations.move_to_end(thread_id)
        while len(self.conversations) > KEEP_CONVERSATIONS:
            self.conversations.popitem(last=False)

    async def open_thread(
        self, message: discord.Message, question: str
    ) -> tuple[discord.abc.Messageable, Conversation]:
        """A thread from the member's message, or the channel itself when one cannot be created."""
        conversation = self.new_conversation()
        try:
            thread = await message.create_thread(name=self.bot.presenter.thread_name(question))
        except discord.HTTPException as exc:
            log.warning("Could not create a thread in #%s: %s", message.channel, exc)
            return message.channel, conversation
        self.remember(thread.id, conversation)
        return thread, conversation

    async def conversation(self, thread: discord.Thread) -> Conversation:
        """The thread's conversation; after a restart, rebuilt from the questions the bot answered there."""
        conversation = self.conversations.get(thread.id)
        if conversation is not None:
            self.conversations.move_to_end(thread.id)
            return conversation
        conversation = self.new_conversation()
        if self.bot.settings.history_turns and self.bot.user is not None:
            questions: list[str] = []
            async for old in thread.history(limit=HISTORY_MESSAGES):
                if old.author.id == self.bot.user.id and (question := asked(spec_of(old))):
                    questions.append(question)
                    if len(questions) >= self.bot.settings.history_turns:
                        break
            for question in reversed(questions):
                conversation.add(question)
        self.remember(thread.id, conversation)
        return conversation


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Threads(bot))
