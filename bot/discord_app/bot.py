"""The Bot subclass: services shared by the cogs, extension loading, command sync, the watcher; and `run`."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass

import aiohttp
import discord
from discord.ext import commands

from bot.coach import Coach, CoachError
from bot.config import Settings
from bot.discord_app.answering import Answerer
from bot.discord_app.limits import Cooldown, checked_token
from bot.discord_app.present import Presenter
from bot.discord_app.watcher import watch_knowledge
from bot.feedback import FeedbackLog
from bot.health import write_heartbeat
from bot.index import Refresh

log = logging.getLogger(__name__)

EXTENSIONS = ("buttons", "ask", "exercises", "info", "threads", "reindex")
WARM_UP = "how do I start strength training?"  # answered once at start, so no member waits for a first load


def intents_for(settings: Settings) -> discord.Intents:
    """The default intents; the privileged message content one only when the settings ask for it."""
    intents = discord.Intents.default()
    intents.message_content = settings.message_content
    return intents


@dataclass(frozen=True)
class Admission:
    """A question cleared to be asked (`question`), or the polite reason it was not (`refusal`)."""

    question: str = ""
    refusal: str = ""


class CoachBot(commands.Bot):
    """Stride Coach on Discord: slash commands, mentions in threads, persistent buttons."""

    def __init__(
        self,
        settings: Settings,
        coach: Coach,
        feedback: FeedbackLog | None = None,
        batch_window: float = 0.005,
    ) -> None:
        # The bot never joins a voice channel: discord.py's "voice will NOT be supported" warnings
        # about PyNaCl and davey only worry the admin reading the log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        super().__init__(
            command_prefix=commands.when_mentioned,  # unused: there are no prefix commands
            intents=intents_for(settings),
            allowed_mentions=discord.AllowedMentions.none(),  # nothing the bot posts can ping anyone
            help_command=None,
        )
        self.settings = settings
        self.coach = coach
        self.feedback = feedback or FeedbackLog.from_settings(settings)
        self.answerer = Answerer(coach, self.feedback, window=batch_window)
        self.presenter = Presenter(coach)
        self.cooldown = Cooldown(settings.cooldown_rate, settings.cooldown_seconds)
        self._reload_lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._beat_lock = asyncio.Lock()
        self._writing: asyncio.Future[None] | None = None

    async def setup_hook(self) -> None:
        # Health says "starting" until the coach is loaded; only then does the bot connect.
        try:
            await asyncio.to_thread(
                write_heartbeat, self.settings.health_path, connected=False, state="starting"
            )
        except OSError as exc:
            log.warning("Cannot write the heartbeat %s: %s", self.settings.health_path, exc)
        await asyncio.to_thread(self.load_coach)
        await asyncio.to_thread(self.feedback.prune)  # the log's retention, also for a quiet bot
        for name in EXTENSIONS:
            await self.load_extension(f"{__package__}.exts.{name}")
        await self.sync_commands()
        self._heartbeat = asyncio.create_task(self.heartbeat(), name="coach: heartbeat")
        if self.settings.watch_seconds > 0:
            self._watcher = asyncio.create_task(
                watch_knowledge(
                    self.settings.articles_dir,
                    lambda: self.coach.loaded.index.manifest.get("knowledge_state"),
                    self.reload_knowledge,
                    self.settings.watch_seconds,
                ),
                name="coach: knowledge watcher",
            )

    def load_coach(self) -> None:
        """Load (or build) the index and the model, then answer one question, so that the first member's
        question after a start is answered as fast as any other."""
        _ = self.coach.loaded
        try:
            self.coach.ask(WARM_UP)
        except CoachError as exc:  # the knowledge may not answer it; loading is what counts
            log.debug("Warm-up question not answered: %s", exc)

    async def sync_commands(self) -> None:
        if self.settings.discord_guild:
            guild = discord.Object(id=self.settings.discord_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("Synced %d slash commands", len(synced))

    async def heartbeat(self) -> None:
        """Refresh the heartbeat file `coach health` reads: the container's HEALTHCHECK."""
        every = max(1.0, self.settings.health_max_age / 3)
        while not self.is_closed():
            await self.beat()
            await asyncio.sleep(every)

    async def beat(self) -> None:
        async with self._beat_lock:  # one beat at a time, so the file ends with the latest state
            connected = self.is_ready() and not self.is_closed()
            articles = len(self.coach.loaded.index.articles)
            self._writing = asyncio.ensure_future(
                asyncio.to_thread(
                    write_heartbeat,
                    self.settings.health_path,
                    connected=connected,
                    articles=articles,
                    state="ready" if connected else "offline",
                )
            )
            try:
                # Shielded: a cancelled heartbeat task still lets its write finish (close() waits for it).
                await asyncio.shield(self._writing)
            except OSError as exc:
                log.warning("Cannot write the heartbeat %s: %s", self.settings.health_path, exc)

    async def on_ready(self) -> None:
        await self.beat()

    async def close(self) -> None:
        for task in (self._watcher, self._heartbeat):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await super().close()
        if self._heartbeat is not None:  # set up fully: record that the bot is now offline
            if self._writing is not None:  # after any write still running in its thread
                await asyncio.gather(self._writing, return_exceptions=True)
            await self.beat()

    async def on_message(self, message: discord.Message, /) -> None:
        """No prefix commands: messages are handled by the threads cog's listener only."""

    # -- shared services -----------------------------------------------------------------------
    def admit(self, member: int, question: str) -> Admission:
        """Check a question's length, then the member's cooldown (a rejected question costs nothing)."""
        try:
            text = self.coach.check_question(question)
        except CoachError:
            length = len(" ".join(question.split()))
            name = "too_long.discord.j2" if length else "empty_question.discord.j2"
            limit = self.settings.max_question_chars
            return Admission(refusal=self.presenter.text(name, length=length, limit=limit))
        wait = self.cooldown.hit(member)
        if wait > 0:
            refusal = self.presenter.text(
                "cooldown.discord.j2",
                seconds=max(1, math.ceil(wait)),
                rate=self.settings.cooldown_rate,
                per=f"{self.settings.cooldown_seconds:g}",
            )
            return Admission(refusal=refusal)
        return Admission(question=text)

    async def reload_knowledge(self) -> Refresh:
        """Re-index the knowledge folder off the event loop; the new index is swapped in atomically."""
        async with self._reload_lock:
            fresh = await asyncio.to_thread(self.coach.reload)
        for problem in fresh.problems:
            log.warning("Skipped a broken article: %s", problem)
        if fresh.report is not None:
            r = fresh.report
            log.info(
                "Knowledge re-indexed: %d added, %d changed, %d removed, %d unchanged",
                len(r.added),
                len(r.changed),
                len(r.removed),
                r.unchanged,
            )
        return fresh


async def start(settings: Settings, token: str, coach: Coach | None = None) -> None:
    """Log in and serve until the connection closes; a rejected token is a `CoachError`."""
    coach = coach or Coach(settings, notify=log.info)
    async with CoachBot(settings, coach) as bot:
        try:
            await bot.start(token)
        except discord.LoginFailure:
            raise CoachError(
                "Discord rejected DISCORD_TOKEN: copy the bot token again from the Developer Portal."
            ) from None
        except (aiohttp.ClientConnectionError, TimeoutError) as exc:
            raise CoachError(f"Could not reach Discord: {exc.__class__.__name__}: {exc}") from None
        except discord.PrivilegedIntentsRequired:
            raise CoachError(
                "COACH_MESSAGE_CONTENT is on but the Message Content intent is not enabled for this bot "
                "in the Developer Portal."
            ) from None


def run(settings: Settings) -> None:
    """The entry point: configure logging, check the token, run the bot until interrupted."""
    secret = checked_token(settings.discord_token.get_secret_value() if settings.discord_token else None)
    discord.utils.setup_logging(level=logging.INFO)
    try:
        asyncio.run(start(settings, secret))
    except KeyboardInterrupt:
        log.info("Stopped.")
