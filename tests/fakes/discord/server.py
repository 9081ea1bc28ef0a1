"""In-process fake of Discord's gateway websocket and REST API, for end-to-end tests of discord.py bots.

The fake runs an aiohttp server on 127.0.0.1 (ephemeral port) that speaks just enough of Discord's
API v10 for a real ``discord.Client`` / ``commands.Bot`` to log in, connect, receive events and
answer them.  Tests drive it with helpers (``send_message``, ``slash``, ``click`` ...) and assert on
what the bot sent (``requests``, ``callbacks``, ``messages(...)``, ``threads``).

Point discord.py at it with :meth:`FakeDiscord.patch` (the ``discord_env`` fixture does this), then
use :func:`connect` to log a bot in.  The fixtures are in ``tests/discord_app/conftest.py``.

Fidelity notes (what the fake enforces, the way Discord does):

* REST answers carry ``Content-Type: application/json`` exactly; errors are Discord-shaped
  (``{"code": ..., "message": ..., "errors": {...}}``); failures are 4xx (never 5xx, which
  discord.py retries with sleeps).
* Message limits: content <= 2000, <= 10 embeds, embed title <= 256, description <= 4096,
  <= 25 fields, field name <= 256 / value <= 1024 (both required), footer <= 2048, author name <= 256,
  total embed characters <= 6000, <= 5 action rows, <= 5 buttons per row (or one select),
  button label <= 80, custom_id <= 100 and unique per message, no empty messages.  Applied to channel
  messages, followups, interaction callback data and edits (HTTP 400, code 50035 / 50006).
* Interactions: a callback must come within ``interaction_ack_timeout`` seconds (3s) and only once
  (40060); followups before the callback are rejected (10015); the first followup after a deferred
  "thinking" response replaces the loading message (and inherits its ephemeral flag).
* Gateway intents: MESSAGE_CREATE etc. are only delivered with the matching intent, and without the
  MESSAGE_CONTENT intent the content/embeds/attachments/components of other users' messages are blanked
  (except when the bot is mentioned), exactly like Discord.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import re
import secrets
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import aiohttp
import yarl
from aiohttp import web

from tests.fakes.discord.model import (
    _EVENT_INTENTS,
    _MESSAGE_EVENTS,
    API_VERSION,
    ATTACHMENT_SIZE_LIMIT,
    CH_CATEGORY,
    CH_DM,
    CH_FORUM,
    CH_NEWS,
    CH_NEWS_THREAD,
    CH_PRIVATE_THREAD,
    CH_PUBLIC_THREAD,
    CH_TEXT,
    FLAG_EPHEMERAL,
    FLAG_IS_COMPONENTS_V2,
    FLAG_LOADING,
    FLAG_SUPPRESS_EMBEDS,
    IX_AUTOCOMPLETE,
    IX_COMMAND,
    IX_COMPONENT,
    IX_MODAL_SUBMIT,
    IX_PING,
    THREAD_TYPES,
    Intents,
    Perm,
    _log,
    _now_iso,
    _sf,
    _Snowflakes,
)
from tests.fakes.discord.validation import (
    _SELECT_TYPES,
    ApiError,
    _check_len,
    _e,
    validate_choices,
    validate_commands,
    validate_message_payload,
    validate_modal,
)

# --------------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------------


@dataclass
class RecordedRequest:
    """One REST request the bot made."""

    method: str
    path: str  # relative to the API base, e.g. "/channels/123/messages"
    query: dict[str, str]
    json: Any  # parsed JSON body (or ``payload_json`` of a multipart body); None if no body
    files: list[dict[str, Any]] = field(default_factory=list)  # {name, filename, content_type, size, data}
    headers: dict[str, str] = field(default_factory=dict)
    status: int | None = None
    response: Any = None

    def __repr__(self) -> str:
        return f"<RecordedRequest {self.method} {self.path} -> {self.status}>"


@dataclass
class _Injection:
    method: str
    pattern: re.Pattern[str]
    status: int
    code: int
    message: str
    errors: dict | None
    times: int | None
    hits: int = 0


@dataclass(eq=False)
class FakeInteraction:
    """An interaction the fake dispatched, and everything the bot did in answer to it."""

    payload: dict[str, Any]
    dispatched_at: float
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # {"type", "data", "files"}
    followups: list[dict[str, Any]] = field(default_factory=list)  # messages sent via the followup webhook
    original_id: int | None = None  # message id of the original response (or the component's message)
    _fake: Any = field(default=None, repr=False)

    @property
    def id(self) -> int:
        return int(self.payload["id"])

    @property
    def token(self) -> str:
        return self.payload["token"]

    @property
    def type(self) -> int:
        return self.payload["type"]

    @property
    def responded(self) -> bool:
        return bool(self.callbacks)

    @property
    def response_type(self) -> int | None:
        return self.callbacks[0]["type"] if self.callbacks else None

    @property
    def response(self) -> dict[str, Any] | None:
        """The callback body the bot sent ({"type", "data", "files"}) or None."""
        return self.callbacks[0] if self.callbacks else None

    @property
    def original(self) -> dict[str, Any] | None:
        """Current state of the original response message (None if none / deleted)."""
        if self.original_id is None or self._fake is None:
            return None
        msg = self._fake._messages.get(self.original_id)
        return copy.deepcopy(msg) if msg is not None else None

    @property
    def ephemeral(self) -> bool:
        original = self.original
        return bool(original and int(original.get("flags", 0)) & FLAG_EPHEMERAL)

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Autocomplete choices (callback type 8)."""
        for cb in self.callbacks:
            if cb["type"] == 8:
                return (cb.get("data") or {}).get("choices")
        return None

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (callback type 9)."""
        for cb in self.callbacks:
            if cb["type"] == 9:
                return cb.get("data")
        return None

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The original response (if it is a message) followed by distinct followups, current state."""
        out: list[dict[str, Any]] = []
        seen: set[int] = set()
        original = self.original if self.response_type in (4, 5) else None
        if original is not None:
            out.append(original)
            seen.add(int(original["id"]))
        for f in self.followups:
            mid = int(f["id"])
            if mid in seen or self._fake is None:
                continue
            seen.add(mid)
            current = self._fake._messages.get(mid)
            if current is not None:
                out.append(copy.deepcopy(current))
        return out


class _LogCollector(logging.Handler):
    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__(level=logging.WARNING)
        self._fake = weakref.ref(fake)

    def emit(self, record: logging.LogRecord) -> None:
        fake = self._fake()
        if fake is None:
            return
        if record.levelno >= logging.ERROR:
            fake.error_records.append(record)
        elif record.name.startswith("discord"):
            fake.warning_records.append(record)


def _format_record(record: logging.LogRecord) -> str:
    text = f"{record.levelname} {record.name}: {record.getMessage()}"
    if record.exc_info:
        text += "\n" + logging.Formatter().formatException(record.exc_info)
    return text


def _json_response(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json": discord.py's json_or_text compares the header verbatim.
    return web.Response(
        status=status, body=json.dumps(data).encode(), headers={"Content-Type": "application/json"}
    )


def _no_content() -> web.Response:
    return web.Response(status=204)


# Long-lived tasks that settle() never waits for: (module prefix of the coroutine, qualname fragment).
_LONG_LIVED = (
    (
        "aiohttp.",
        "RequestHandler.",
    ),  # the fake's own server connections (REST requests are tracked separately)
    ("discord.ui.view", "timeout_task_impl"),  # View timeout watchers
    ("discord.ext.tasks", "Loop._loop"),  # @tasks.loop background loops
)


def _is_long_lived(task: asyncio.Task[Any]) -> bool:
    coro = task.get_coro()
    qualname = getattr(coro, "__qualname__", "") or ""
    frame = getattr(coro, "cr_frame", None)
    module = frame.f_globals.get("__name__", "") if frame is not None else ""
    return any(module.startswith(mod) and part in qualname for mod, part in _LONG_LIVED)


# --------------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------------


class FakeDiscord:
    """Fake Discord (gateway + REST) for one guild with fixed ids.

    World (fixed snowflakes, available as class attributes and dict attributes):

    * ``guild`` (GUILD_ID) "Stride Running Club", owner ``owner`` (OWNER_ID).
    * ``channel`` (CHANNEL_ID) ``#general`` text channel.
    * ``bot_user`` (BOT_ID == APPLICATION_ID), a member with the managed "Stride Coach" role.
    * ``member`` (MEMBER_ID) "runner": plain member (only @everyone permissions).
    * ``admin`` (ADMIN_ID) "coach_admin": has the "Coaches" role (ADMIN_ROLE_ID) granting
      Manage Guild (1<<5), Manage Messages and Manage Threads.
    * ``owner`` (OWNER_ID) "club_owner": the guild owner (all permissions).
    """

    TOKEN = "fake-bot-token.stride-coach.0000"
    APPLICATION_ID = 1000000000000000001
    BOT_ID = APPLICATION_ID
    GUILD_ID = 1000000000000000100
    CHANNEL_ID = 1000000000000000200
    OWNER_ID = 1000000000000000300
    MEMBER_ID = 1000000000000000301
    ADMIN_ID = 1000000000000000302
    ADMIN_ROLE_ID = 1000000000000000400
    BOT_ROLE_ID = 1000000000000000401

    def __init__(self, *, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port: int | None = None
        self.token = self.TOKEN
        self.snowflake = _Snowflakes()

        # Knobs
        self.interaction_ack_timeout = 3.0
        self.fail_on_unknown_routes = True
        self.respect_intents = True
        self.heartbeat_interval_ms = 41250

        # Records
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.callbacks: list[dict[str, Any]] = []
        self.interactions: dict[int, FakeInteraction] = {}
        self.gateway_received: list[dict[str, Any]] = []  # payloads the bot sent over the gateway
        self.gateway_sent: list[
            dict[str, Any]
        ] = []  # payloads the fake sent (incl. dropped: see undelivered)
        self.undelivered: list[tuple[str, dict]] = []  # events not delivered (no connection / missing intent)
        self.identify_payload: dict[str, Any] | None = None
        self.intents: int | None = None
        self.presence_updates: list[dict[str, Any]] = []
        self.reactions: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []  # global application commands (as registered)
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.error_records: list[logging.LogRecord] = []
        self.warning_records: list[logging.LogRecord] = []
        self.gateway_connections = 0
        self.gateway_query: dict[str, str] = {}  # query string of the last gateway connection

        # World state
        self._users: dict[int, dict[str, Any]] = {}
        self._members: dict[int, dict[str, Any]] = {}  # user_id -> member (with "user")
        self._roles: dict[int, dict[str, Any]] = {}
        self._channels: dict[int, dict[str, Any]] = {}
        self._channel_order: list[int] = []
        self._channel_messages: dict[int, list[int]] = {}
        self._messages: dict[int, dict[str, Any]] = {}
        self._thread_ids: list[int] = []
        self._files: dict[int, bytes] = {}
        self._by_token: dict[str, FakeInteraction] = {}
        self._command_ids: dict[tuple[int | None, str, int], int] = {}

        # Machinery
        self._injections: list[_Injection] = []
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._ws: web.WebSocketResponse | None = None
        self._ws_lock = asyncio.Lock()
        self._seq = 0
        self._session_id: str | None = None
        self._inflight = 0
        self._last_activity = 0.0
        self._baseline: set[asyncio.Task[Any]] = set()
        self._ignored_tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._log_handler: _LogCollector | None = None
        self._reported_errors = 0
        self.bots: list[Any] = []
        self._connect_tasks: list[asyncio.Task[Any]] = []

        self._build_world()

    # ------------------------------------------------------------------ world

    def _build_world(self) -> None:
        self.bot_user = self._new_user(self.BOT_ID, "stride-coach", bot=True)
        self.owner = self._new_user(self.OWNER_ID, "club_owner")
        self.member = self._new_user(self.MEMBER_ID, "runner")
        self.admin = self._new_user(self.ADMIN_ID, "coach_admin")

        self._roles[self.GUILD_ID] = self._role_payload(self.GUILD_ID, "@everyone", Perm.EVERYONE_DEFAULT, 0)
        self._roles[self.BOT_ROLE_ID] = self._role_payload(
            self.BOT_ROLE_ID,
            "Stride Coach",
            Perm.EVERYONE_DEFAULT | Perm.MANAGE_MESSAGES | Perm.MANAGE_THREADS | Perm.MENTION_EVERYONE,
            1,
            managed=True,
            tags={"bot_id": str(self.BOT_ID)},
        )
        self._roles[self.ADMIN_ROLE_ID] = self._role_payload(
            self.ADMIN_ROLE_ID, "Coaches", Perm.MANAGE_GUILD | Perm.MANAGE_MESSAGES | Perm.MANAGE_THREADS, 2
        )

        self._add_member_record(self.bot_user, roles=[self.BOT_ROLE_ID])
        self._add_member_record(self.owner)
        self._add_member_record(self.member)
        self._add_member_record(self.admin, roles=[self.ADMIN_ROLE_ID])

        self._add_channel_record(self._text_channel_payload(self.CHANNEL_ID, "general", 0))

    def _new_user(self, user_id: int, username: str, *, bot: bool = False) -> dict[str, Any]:
        user = {
            "id": str(user_id),
            "username": username,
            "discriminator": "0",
            "global_name": None if bot else username.replace("_", " ").title(),
            "avatar": None,
            "bot": bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }
        self._users[user_id] = user
        return user

    @staticmethod
    def _role_payload(
        role_id: int, name: str, permissions: int, position: int, **extra: Any
    ) -> dict[str, Any]:
        role = {
            "id": str(role_id),
            "name": name,
            "permissions": str(permissions),
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "icon": None,
            "unicode_emoji": None,
            "flags": 0,
        }
        role.update(extra)
        return role

    def _add_member_record(self, user: dict[str, Any], *, roles: Sequence[int] = ()) -> dict[str, Any]:
        member = {
            "user": user,
            "roles": [str(r) for r in roles],
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": None,
            "avatar": None,
            "banner": None,
            "communication_disabled_until": None,
        }
        self._members[int(user["id"])] = member
        return member

    def _text_channel_payload(
        self,
        channel_id: int,
        name: str,
        position: int,
        *,
        ctype: int = CH_TEXT,
        parent_id: int | None = None,
        topic: str | None = None,
    ) -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": ctype,
            "guild_id": str(self.GUILD_ID),
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "parent_id": str(parent_id) if parent_id else None,
            "topic": topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "default_auto_archive_duration": 1440,
            "flags": 0,
        }

    def _add_channel_record(self, channel: dict[str, Any]) -> dict[str, Any]:
        cid = int(channel["id"])
        self._channels[cid] = channel
        self._channel_order.append(cid)
        self._channel_messages.setdefault(cid, [])
        return channel

    # ------------------------------------------------------------------ world accessors

    @property
    def guild_id(self) -> int:
        return self.GUILD_ID

    @property
    def channel_id(self) -> int:
        return self.CHANNEL_ID

    @property
    def application_id(self) -> int:
        return self.APPLICATION_ID

    @property
    def bot_id(self) -> int:
        return self.BOT_ID

    @property
    def channel(self) -> dict[str, Any]:
        return self._channels[self.CHANNEL_ID]

    @property
    def guild(self) -> dict[str, Any]:
        """The full guild payload (as sent in GUILD_CREATE, with all members)."""
        return self._guild_payload(include_all_members=True)

    @property
    def roles(self) -> list[dict[str, Any]]:
        return list(self._roles.values())

    @property
    def users(self) -> list[dict[str, Any]]:
        return list(self._users.values())

    @property
    def threads(self) -> list[dict[str, Any]]:
        """Threads created so far (current state), in creation order."""
        return [copy.deepcopy(self._channels[t]) for t in self._thread_ids if t in self._channels]

    def get_channel(self, channel_id: Any) -> dict[str, Any] | None:
        return self._channels.get(_sf(channel_id))

    def message(self, message_id: Any) -> dict[str, Any] | None:
        """Current state of a stored message (copy), or None."""
        msg = self._messages.get(_sf(message_id))
        return copy.deepcopy(msg) if msg is not None else None

    def messages(self, channel_id: Any = None, *, include_ephemeral: bool = False) -> list[dict[str, Any]]:
        """Messages in a channel (default: #general), oldest first, current state.

        Ephemeral messages are only visible to their recipient, so they are left out unless
        ``include_ephemeral=True`` (find them on the :class:`FakeInteraction` instead).
        """
        cid = self.CHANNEL_ID if channel_id is None else _sf(channel_id)
        out = []
        for mid in self._channel_messages.get(cid, []):
            msg = self._messages.get(mid)
            if msg is None:
                continue
            if not include_ephemeral and int(msg.get("flags", 0)) & FLAG_EPHEMERAL:
                continue
            out.append(copy.deepcopy(msg))
        return out

    def bot_messages(
        self, channel_id: Any = None, *, include_ephemeral: bool = False
    ) -> list[dict[str, Any]]:
        """Messages authored by the bot (all channels if ``channel_id`` is None), oldest first."""
        if channel_id is None:
            mids = sorted(self._messages)
            msgs = [copy.deepcopy(self._messages[m]) for m in mids]
            if not include_ephemeral:
                msgs = [m for m in msgs if not int(m.get("flags", 0)) & FLAG_EPHEMERAL]
        else:
            msgs = self.messages(channel_id, include_ephemeral=include_ephemeral)
        return [m for m in msgs if int(m["author"]["id"]) == self.BOT_ID]

    def requests_to(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        """Recorded requests filtered by method and a regex searched in the path."""
        out = []
        for r in self.requests:
            if method is not None and r.method != method.upper():
                continue
            if path is not None and not re.search(path, r.path):
                continue
            out.append(r)
        return out

    def member_permissions(self, user: Any) -> int:
        uid = _sf(user)
        if uid == self.OWNER_ID:
            return Perm.ALL
        member = self._members.get(uid)
        perms = int(self._roles[self.GUILD_ID]["permissions"])
        if member is not None:
            for rid in member["roles"]:
                role = self._roles.get(int(rid))
                if role is not None:
                    perms |= int(role["permissions"])
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        return perms

    def _user(self, user: Any) -> dict[str, Any]:
        if user is None:
            return self.member
        uid = _sf(user)
        try:
            return self._users[uid]
        except KeyError:
            raise LookupError(f"fake_discord: unknown user {uid}; add it with fake.add_member(...)") from None

    def _partial_member(self, user_id: int) -> dict[str, Any] | None:
        member = self._members.get(user_id)
        if member is None:
            return None
        return {k: v for k, v in member.items() if k != "user"}

    # ------------------------------------------------------------------ world mutation (helpers)

    async def add_member(
        self, username: str, *, roles: Sequence[Any] = (), bot: bool = False, user_id: int | None = None
    ) -> dict[str, Any]:
        """Add a guild member (dispatches GUILD_MEMBER_ADD if connected). Returns the user dict."""
        user = self._new_user(user_id or self.snowflake(), username, bot=bot)
        member = self._add_member_record(user, roles=[_sf(r) for r in roles])
        if self._ws is not None:
            await self._deliver("GUILD_MEMBER_ADD", {**copy.deepcopy(member), "guild_id": str(self.GUILD_ID)})
        return user

    async def add_role(
        self, name: str, permissions: int = 0, *, role_id: int | None = None
    ) -> dict[str, Any]:
        rid = role_id or self.snowflake()
        role = self._role_payload(rid, name, permissions, len(self._roles))
        self._roles[rid] = role
        if self._ws is not None:
            await self._deliver(
                "GUILD_ROLE_CREATE", {"guild_id": str(self.GUILD_ID), "role": copy.deepcopy(role)}
            )
        return role

    async def add_channel(
        self, name: str, *, ctype: int = CH_TEXT, topic: str | None = None, channel_id: int | None = None
    ) -> dict[str, Any]:
        """Add a guild channel (dispatches CHANNEL_CREATE if connected)."""
        cid = channel_id or self.snowflake()
        channel = self._add_channel_record(
            self._text_channel_payload(cid, name, len(self._channel_order), ctype=ctype, topic=topic)
        )
        if self._ws is not None:
            await self._deliver("CHANNEL_CREATE", copy.deepcopy(channel))
        return channel

    def dm_channel(self, user: Any) -> dict[str, Any]:
        """The DM channel between ``user`` and the bot (created on first use, no event).  Post into it with
        ``send_message(fake.dm_channel(u)["id"], ..., author=u)``."""
        u = self._user(user)
        for ch in self._channels.values():
            if ch["type"] == CH_DM and ch["recipients"][0]["id"] == u["id"]:
                return ch
        ch = {
            "id": str(self.snowflake()),
            "type": CH_DM,
            "last_message_id": None,
            "flags": 0,
            "recipients": [copy.deepcopy(u)],
        }
        return self._add_channel_record(ch)

    def seed_message(
        self,
        channel_id: Any = None,
        content: str = "",
        *,
        author: Any = None,
        embeds: list | None = None,
        components: list | None = None,
        flags: int = 0,
    ) -> dict[str, Any]:
        """Store a message as if it had been sent earlier (no gateway event), e.g. a bot message with a
        persistent view posted before a restart.  ``author`` defaults to the bot."""
        cid = self.CHANNEL_ID if channel_id is None else _sf(channel_id)
        msg = self._create_message(
            cid,
            author=self.bot_user if author is None else self._user(author),
            content=content,
            embeds=embeds or [],
            components=components or [],
            flags=flags,
        )
        return copy.deepcopy(msg)

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base_url}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("GET", "/gateway", self._gateway_handler)
        app.router.add_route("GET", "/cdn/attachments/{aid}/{filename}", self._cdn_handler)
        app.router.add_route("*", "/api/v{version}/{tail:.*}", self._api_handler)
        app.router.add_route("*", "/{tail:.*}", self._unknown_handler)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, 0)
        await self._site.start()
        server = self._site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._log_handler = _LogCollector(self)
        logging.getLogger().addHandler(self._log_handler)
        self._touch()
        return self

    def patch(self, monkeypatch: Any) -> None:
        """Point discord.py at this fake (REST base URL and default gateway URL)."""
        import discord.gateway
        import discord.http

        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url))

    async def close_bots(self) -> None:
        for bot in self.bots:
            try:
                if not bot.is_closed():
                    await asyncio.wait_for(bot.close(), timeout=5)
            except Exception:  # pragma: no cover - reported below
                _log.exception("fake_discord: closing bot failed")
        for task in self._connect_tasks:
            if not task.done():
                try:
                    await asyncio.wait_for(asyncio.shield(task), timeout=5)
                except TimeoutError:
                    task.cancel()
                except BaseException:
                    pass

    async def stop(self) -> None:
        if self._ws is not None and not self._ws.closed:
            await self._ws.close()
        self._ws = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
            self._log_handler = None

    def problems(self) -> list[str]:
        """Things that should fail a test: unreported ERROR logs, unknown routes, crashed connect tasks."""
        out: list[str] = []
        new_errors = self.error_records[self._reported_errors :]
        if new_errors:
            out.append(
                "ERROR log records during the test:\n" + "\n".join(_format_record(r) for r in new_errors)
            )
        if self.fail_on_unknown_routes and self.unknown_routes:
            out.append(
                "bot called routes the fake does not implement: "
                + ", ".join(f"{r.method} {r.path}" for r in self.unknown_routes)
            )
        for task in self._connect_tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                out.append(f"bot.connect() crashed: {task.exception()!r}")
        return out

    def clear_errors(self) -> list[logging.LogRecord]:
        """Forget captured ERROR records (call after asserting on expected errors). Returns them."""
        records = list(self.error_records)
        self.error_records.clear()
        self._reported_errors = 0
        return records

    def _raise_if_errors(self) -> None:
        new_errors = self.error_records[self._reported_errors :]
        if new_errors:
            self._reported_errors = len(self.error_records)
            raise AssertionError(
                "ERROR log records (discord.py swallows handler exceptions; if expected, inspect "
                "fake.error_records and call fake.clear_errors()):\n"
                + "\n".join(_format_record(r) for r in new_errors)
            )

    # ------------------------------------------------------------------ failure injection

    def inject_failure(
        self,
        method: str,
        path: str,
        *,
        status: int = 400,
        code: int = 0,
        message: str | None = None,
        errors: dict | None = None,
        times: int | None = 1,
    ) -> _Injection:
        """Make matching requests fail.  ``path`` is a regex matched (re.fullmatch) against the API path,
        e.g. ``r"/channels/\\d+/messages"``.  Use 4xx (5xx are retried by discord.py with sleeps).
        ``times=None`` fails forever."""
        if status >= 500:
            raise ValueError("use 4xx for failure injection: discord.py retries 5xx with sleeps")
        inj = _Injection(
            method.upper(),
            re.compile(path),
            status,
            code,
            message
            or {
                400: "Bad Request",
                403: "Missing Permissions",
                404: "Not Found",
                429: "You are being rate limited.",
            }.get(status, "Error"),
            errors,
            times,
        )
        self._injections.append(inj)
        return inj

    def _match_injection(self, method: str, path: str) -> _Injection | None:
        for inj in self._injections:
            if inj.method in (method, "*") and inj.pattern.fullmatch(path):
                if inj.times is not None and inj.hits >= inj.times:
                    continue
                inj.hits += 1
                return inj
        return None

    # ------------------------------------------------------------------ settling

    def _touch(self) -> None:
        try:
            self._last_activity = asyncio.get_running_loop().time()
        except RuntimeError:
            self._last_activity = time.monotonic()

    def mark_baseline(self) -> None:
        """Treat every task that exists now as long-lived (settle() will not wait for them)."""
        self._baseline = set(asyncio.all_tasks())

    def ignore_task(self, task: asyncio.Task[Any]) -> None:
        self._ignored_tasks.add(task)

    def _pending_tasks(self) -> list[asyncio.Task[Any]]:
        current = asyncio.current_task()
        out = []
        for task in asyncio.all_tasks():
            if task is current or task.done() or task in self._baseline or task in self._ignored_tasks:
                continue
            if _is_long_lived(task):
                continue
            out.append(task)
        return out

    def _bots_behind(self) -> list[Any]:
        """Connected bots that have not yet read every DISPATCH the fake sent on this session."""
        behind = []
        for bot in self.bots:
            ws = getattr(bot, "ws", None)
            if ws is None or bot.is_closed() or getattr(ws, "session_id", None) != self._session_id:
                continue
            if (ws.sequence or 0) < self._seq:
                behind.append(bot)
        return behind

    async def settle(self, *, quiet: float = 0.05, timeout: float = 10.0, raise_errors: bool = True) -> None:
        """Wait until the bot is idle: no REST request in flight or arrived for ``quiet`` seconds, and
        every task started since the baseline (discord.py event handlers, command invocations, view
        callbacks, ...) has finished.  Raises AssertionError on timeout, and (``raise_errors``) if any
        ERROR was logged."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        stable = 0
        while True:
            if raise_errors:
                self._raise_if_errors()
            idle_for = loop.time() - self._last_activity
            pending = self._pending_tasks()
            behind = self._bots_behind()
            if not pending and not behind and self._inflight == 0 and idle_for >= quiet:
                stable += 1
                if stable >= 2:
                    break
            else:
                stable = 0
            if loop.time() > deadline:
                names = ", ".join(
                    f"{t.get_name()}:{getattr(t.get_coro(), '__qualname__', '?')}" for t in pending
                )
                raise AssertionError(
                    f"fake_discord.settle() timed out after {timeout}s; in-flight requests={self._inflight}; "
                    f"bots behind on gateway events={len(behind)}; "
                    f"pending tasks: [{names}] (long-lived tasks: fake.ignore_task(t) or fake.mark_baseline())"
                )
            busy = pending or behind or self._inflight
            await asyncio.sleep(0.005 if busy else max(0.002, min(quiet - idle_for, 0.02)))
        if raise_errors:
            self._raise_if_errors()

    # ------------------------------------------------------------------ gateway

    async def _gateway_handler(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        self.gateway_connections += 1
        self.gateway_query = dict(request.query)
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=4000)
        self._ws = ws
        self._touch()
        await self._send_raw(
            ws, {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}
        )
        try:
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    self._touch()
                    payload = json.loads(msg.data)
                    self.gateway_received.append(payload)
                    try:
                        await self._on_gateway_payload(ws, payload)
                    except Exception:
                        _log.exception("fake_discord: gateway handler failed for %r", payload)
                elif msg.type is aiohttp.WSMsgType.ERROR:
                    break
        finally:
            if self._ws is ws:
                self._ws = None
        return ws

    async def _send_raw(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        async with self._ws_lock:
            if payload.get("op") == 0:
                self._seq += 1
                payload["s"] = self._seq
            self.gateway_sent.append(payload)
            await ws.send_str(json.dumps(payload))
        self._touch()

    async def _on_gateway_payload(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:  # heartbeat
            await self._send_raw(ws, {"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:  # identify
            if data.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
                return
            self.identify_payload = data
            self.intents = int(data.get("intents", 0))
            self._seq = 0
            self._session_id = secrets.token_hex(16)
            ready = {
                "v": API_VERSION,
                "user": {**self.bot_user, "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": str(self.GUILD_ID), "unavailable": True}],
                "session_id": self._session_id,
                "session_type": "normal",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": str(self.APPLICATION_ID), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "geo_ordered_rtc_regions": [],
                "guild_join_requests": [],
                "auth_session_id_hash": "",
                "_trace": ["fake-discord"],
            }
            if data.get("shard"):
                ready["shard"] = data["shard"]
            await self._send_raw(ws, {"op": 0, "t": "READY", "d": ready})
            if self.intents & Intents.GUILDS or not self.respect_intents:
                await self._send_raw(ws, {"op": 0, "t": "GUILD_CREATE", "d": self._guild_payload()})
        elif op == 3:  # presence update
            self.presence_updates.append(data)
        elif op == 6:  # resume
            if data.get("token") != self.token:
                await ws.close(code=4004, message=b"Authentication failed.")
            elif data.get("session_id") == self._session_id:
                await self._send_raw(ws, {"op": 0, "t": "RESUMED", "d": {"_trace": ["fake-discord"]}})
            else:
                await self._send_raw(ws, {"op": 9, "d": False, "s": None, "t": None})
        elif op == 8:  # request guild members
            members = list(self._members.values())
            user_ids = data.get("user_ids")
            if user_ids is not None:
                if not isinstance(user_ids, list):
                    user_ids = [user_ids]
                wanted = {int(u) for u in user_ids}
                members = [m for m in members if int(m["user"]["id"]) in wanted]
            elif data.get("query"):
                q = data["query"].lower()
                members = [m for m in members if m["user"]["username"].lower().startswith(q)]
            limit = data.get("limit") or 0
            if limit:
                members = members[:limit]
            chunk = {
                "guild_id": str(self.GUILD_ID),
                "members": copy.deepcopy(members),
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            await self._send_raw(ws, {"op": 0, "t": "GUILD_MEMBERS_CHUNK", "d": chunk})
        # other ops (voice state update, ...) are just recorded

    def _guild_payload(self, *, include_all_members: bool | None = None) -> dict[str, Any]:
        if include_all_members is None:
            include_all_members = (
                bool((self.intents or 0) & Intents.GUILD_MEMBERS) or not self.respect_intents
            )
        # Without the GUILD_MEMBERS intent, Discord only sends the bot's own member.
        members = list(self._members.values()) if include_all_members else [self._members[self.BOT_ID]]
        channels = [
            self._channels[c]
            for c in self._channel_order
            if c in self._channels and self._channels[c]["type"] not in THREAD_TYPES
        ]
        threads = [
            self._channels[t]
            for t in self._thread_ids
            if t in self._channels and not self._channels[t]["thread_metadata"]["archived"]
        ]
        return copy.deepcopy(
            {
                "id": str(self.GUILD_ID),
                "name": "Stride Running Club",
                "icon": None,
                "splash": None,
                "discovery_splash": None,
                "banner": None,
                "description": None,
                "owner_id": str(self.OWNER_ID),
                "region": "deprecated",
                "afk_channel_id": None,
                "afk_timeout": 300,
                "verification_level": 0,
                "default_message_notifications": 0,
                "explicit_content_filter": 0,
                "mfa_level": 0,
                "nsfw_level": 0,
                "premium_tier": 0,
                "premium_subscription_count": 0,
                "premium_progress_bar_enabled": False,
                "preferred_locale": "en-US",
                "system_channel_id": str(self.CHANNEL_ID),
                "system_channel_flags": 0,
                "rules_channel_id": None,
                "public_updates_channel_id": None,
                "safety_alerts_channel_id": None,
                "vanity_url_code": None,
                "application_id": None,
                "features": [],
                "roles": list(self._roles.values()),
                "emojis": [],
                "stickers": [],
                "joined_at": _now_iso(),
                "large": False,
                "unavailable": False,
                "member_count": len(self._members),
                "members": members,
                "channels": channels,
                "threads": threads,
                "presences": [],
                "voice_states": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "max_members": 500000,
                "max_video_channel_users": 25,
                "lazy": True,
            }
        )

    def _intent_allows(self, event: str, data: Mapping[str, Any]) -> bool:
        if not self.respect_intents:
            return True
        intents = self.intents or 0
        if event in _MESSAGE_EVENTS:
            needed = Intents.GUILD_MESSAGES if data.get("guild_id") else Intents.DIRECT_MESSAGES
        else:
            needed = _EVENT_INTENTS.get(event)
        return needed is None or bool(intents & needed)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a raw DISPATCH event to the connected bot (must be connected)."""
        if self._ws is None or self._ws.closed:
            raise RuntimeError("fake_discord: no gateway connection (did you `await connect(bot, fake)`?)")
        await self._send_raw(self._ws, {"op": 0, "t": event, "d": data})

    async def _deliver(self, event: str, data: dict[str, Any]) -> bool:
        """Dispatch if connected and the bot's intents allow it; otherwise record as undelivered."""
        if self._ws is None or self._ws.closed or not self._intent_allows(event, data):
            self.undelivered.append((event, data))
            return False
        await self._send_raw(self._ws, {"op": 0, "t": event, "d": data})
        return True

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT: discord.py reconnects to resume_gateway_url and RESUMEs."""
        if self._ws is None:
            raise RuntimeError("not connected")
        await self._send_raw(self._ws, {"op": 7, "d": None, "s": None, "t": None})

    # ------------------------------------------------------------------ messages

    def _mentions_from(self, content: str) -> tuple[list[int], list[int], bool]:
        users = [int(m) for m in re.findall(r"<@!?(\d+)>", content or "")]
        roles = [int(m) for m in re.findall(r"<@&(\d+)>", content or "")]
        everyone = "@everyone" in (content or "") or "@here" in (content or "")
        return users, roles, everyone

    def _mention_payload(self, user_id: int, guild: bool) -> dict[str, Any] | None:
        user = self._users.get(user_id)
        if user is None:
            return None
        out = copy.deepcopy(user)
        if guild:
            pm = self._partial_member(user_id)
            if pm is not None:
                out["member"] = pm
        return out

    def _create_message(
        self,
        channel_id: int,
        *,
        author: dict[str, Any],
        content: str = "",
        embeds: list | None = None,
        components: list | None = None,
        flags: int = 0,
        attachments: list | None = None,
        mentions: Sequence[Any] | None = None,
        mention_roles: Sequence[Any] | None = None,
        mtype: int = 0,
        message_reference: dict | None = None,
        webhook_id: int | None = None,
        interaction: FakeInteraction | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        channel = self._channels.get(channel_id)
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        in_guild = "guild_id" in channel
        content = "" if content is None else str(content)
        auto_users, auto_roles, everyone = self._mentions_from(content)
        mention_ids = [_sf(m) for m in mentions] if mentions is not None else auto_users
        role_ids = [_sf(r) for r in mention_roles] if mention_roles is not None else auto_roles
        author_id = int(author["id"])
        msg: dict[str, Any] = {
            "id": str(message_id or self.snowflake()),
            "channel_id": str(channel_id),
            "author": copy.deepcopy(author),
            "content": content,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": everyone,
            "mentions": [
                m for m in (self._mention_payload(u, in_guild) for u in dict.fromkeys(mention_ids)) if m
            ],
            "mention_roles": [str(r) for r in role_ids],
            "attachments": attachments or [],
            "embeds": copy.deepcopy(embeds or []),
            "reactions": [],
            "pinned": False,
            "type": mtype,
            "flags": int(flags),
            "components": copy.deepcopy(components or []),
        }
        if in_guild:
            msg["guild_id"] = channel["guild_id"]
            if webhook_id is None:
                pm = self._partial_member(author_id)
                if pm is not None:
                    msg["member"] = pm
        if webhook_id is not None:
            msg["webhook_id"] = str(webhook_id)
            msg["application_id"] = str(self.APPLICATION_ID)
        if interaction is not None:
            ix = interaction.payload
            invoker = ix["member"]["user"] if "member" in ix else ix["user"]
            meta: dict[str, Any] = {
                "id": ix["id"],
                "type": ix["type"],
                "user": copy.deepcopy(invoker),
                "authorizing_integration_owners": ix.get("authorizing_integration_owners", {}),
            }
            if ix["type"] == IX_COMMAND:
                meta["name"] = ix["data"]["name"]
                meta["command_type"] = ix["data"].get("type", 1)
                msg["interaction"] = {
                    "id": ix["id"],
                    "type": ix["type"],
                    "name": ix["data"]["name"],
                    "user": copy.deepcopy(invoker),
                }
            elif "message" in ix:
                meta["interacted_message_id"] = ix["message"]["id"]
            msg["interaction_metadata"] = meta
        if message_reference:
            ref_id = message_reference.get("message_id")
            ref = self._messages.get(int(ref_id)) if ref_id else None
            if ref is None and message_reference.get("fail_if_not_exists", True) and ref_id:
                raise ApiError.invalid_form(
                    {"message_reference": _e("MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")}
                )
            msg["message_reference"] = {
                "type": message_reference.get("type", 0),
                "message_id": str(ref_id) if ref_id else None,
                "channel_id": str(message_reference.get("channel_id") or channel_id),
                "guild_id": channel.get("guild_id"),
            }
            if ref is not None and message_reference.get("type", 0) == 0:
                msg["type"] = 19
                msg["referenced_message"] = copy.deepcopy(ref)
        mid = int(msg["id"])
        self._messages[mid] = msg
        self._channel_messages.setdefault(channel_id, []).append(mid)
        if not flags & FLAG_EPHEMERAL:
            channel["last_message_id"] = msg["id"]
            if channel["type"] in THREAD_TYPES:
                channel["message_count"] = channel.get("message_count", 0) + 1
                channel["total_message_sent"] = channel.get("total_message_sent", 0) + 1
        return msg

    def _gateway_view_of_message(self, msg: dict[str, Any]) -> dict[str, Any]:
        """What the bot receives over the gateway for ``msg`` (MESSAGE_CONTENT intent applied)."""
        data = copy.deepcopy(msg)
        if not self.respect_intents:
            return data
        intents = self.intents or 0
        is_dm = "guild_id" not in msg
        mentioned = any(int(m["id"]) == self.BOT_ID for m in msg.get("mentions", []))
        own = int(msg["author"]["id"]) == self.BOT_ID
        if not intents & Intents.MESSAGE_CONTENT and not (is_dm or mentioned or own):
            data["content"] = ""
            data["embeds"] = []
            data["attachments"] = []
            data["components"] = []
            data.pop("poll", None)
        return data

    async def _announce_message(self, event: str, msg: dict[str, Any]) -> None:
        if int(msg.get("flags", 0)) & FLAG_EPHEMERAL:
            return  # ephemeral messages never reach the gateway
        await self._deliver(event, self._gateway_view_of_message(msg))

    async def send_message(
        self,
        channel_id: Any = None,
        content: str = "",
        *,
        author: Any = None,
        mentions: Sequence[Any] | None = None,
        mention_roles: Sequence[Any] | None = None,
        embeds: list | None = None,
        files: Sequence[tuple[str, bytes]] = (),
        reply_to: Any = None,
        settle: bool = True,
    ) -> dict[str, Any]:
        """A user posts a message (MESSAGE_CREATE).  ``author`` defaults to ``fake.member``;
        ``mentions``/``mention_roles`` default to what ``<@id>``/``<@&id>`` in ``content`` mention.
        ``files``: (filename, bytes) pairs, served by the fake's CDN.  Returns the stored message."""
        cid = self.CHANNEL_ID if channel_id is None else _sf(channel_id)
        attachments = [self._store_attachment(name, data) for name, data in files]
        ref = None
        if reply_to is not None:
            ref = {"message_id": str(_sf(reply_to)), "channel_id": str(cid)}
        msg = self._create_message(
            cid,
            author=self._user(author),
            content=content,
            embeds=embeds,
            attachments=attachments,
            mentions=mentions,
            mention_roles=mention_roles,
            message_reference=ref,
        )
        await self._announce_message("MESSAGE_CREATE", msg)
        if settle:
            await self.settle()
        return copy.deepcopy(msg)

    def _store_attachment(
        self, filename: str, data: bytes, content_type: str | None = None
    ) -> dict[str, Any]:
        aid = self.snowflake()
        self._files[aid] = data
        url = f"{self.base_url}/cdn/attachments/{aid}/{filename}"
        att = {
            "id": str(aid),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
        }
        if content_type:
            att["content_type"] = content_type
        return att

    # ------------------------------------------------------------------ interactions

    def _interaction_base(
        self,
        itype: int,
        *,
        user: Any,
        permissions: int | None,
        channel_id: Any,
        data: dict[str, Any] | None,
        message: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if self._ws is None:
            raise RuntimeError("fake_discord: no gateway connection (did you `await connect(bot, fake)`?)")
        u = self._user(user)
        uid = int(u["id"])
        cid = self.CHANNEL_ID if channel_id is None else _sf(channel_id)
        channel = self._channels.get(cid)
        if channel is None:
            raise LookupError(f"fake_discord: unknown channel {cid}")
        member = self._members.get(uid)
        if member is None:
            raise LookupError(f"fake_discord: user {uid} is not a guild member")
        perms = self.member_permissions(uid) if permissions is None else int(permissions)
        member_payload = copy.deepcopy(member)
        member_payload["permissions"] = str(perms)
        payload: dict[str, Any] = {
            "id": str(self.snowflake()),
            "application_id": str(self.APPLICATION_ID),
            "type": itype,
            "token": "fake-ix-" + secrets.token_urlsafe(48),
            "version": 1,
            "guild_id": str(self.GUILD_ID),
            "guild": {"id": str(self.GUILD_ID), "locale": "en-US", "features": []},
            "guild_locale": "en-US",
            "locale": "en-US",
            "channel_id": str(cid),
            "channel": copy.deepcopy(channel),
            "member": member_payload,
            "app_permissions": str(self.member_permissions(self.BOT_ID)),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(self.GUILD_ID)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if data is not None:
            payload["data"] = data
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        return payload

    async def _dispatch_interaction(
        self, payload: dict[str, Any], *, settle: bool, expect_response: bool
    ) -> FakeInteraction:
        ix = FakeInteraction(payload=payload, dispatched_at=asyncio.get_running_loop().time(), _fake=self)
        self.interactions[ix.id] = ix
        self._by_token[ix.token] = ix
        await self.dispatch("INTERACTION_CREATE", copy.deepcopy(payload))
        if settle:
            await self.settle()
            if expect_response and not ix.responded:
                raise AssertionError(
                    f"the bot did not acknowledge interaction {ix.id} (type {ix.type}, "
                    f"{payload.get('data', {}).get('name') or payload.get('data', {}).get('custom_id')}); "
                    "Discord would show 'This interaction failed'. Pass expect_response=False if intended."
                )
        return ix

    def _find_command(self, name: str, ctype: int = 1) -> tuple[dict[str, Any] | None, bool]:
        for cmd in self.guild_commands.get(self.GUILD_ID, []):
            if cmd["name"] == name and cmd.get("type", 1) == ctype:
                return cmd, True
        for cmd in self.commands:
            if cmd["name"] == name and cmd.get("type", 1) == ctype:
                return cmd, False
        return None, False

    def _resolve_value(self, otype: int, value: Any, resolved: dict[str, dict[str, Any]]) -> Any:
        if otype in (6, 9) and (isinstance(value, Mapping) or otype == 6 or int(value) in self._users):
            uid = _sf(value)
            if uid in self._users:
                resolved.setdefault("users", {})[str(uid)] = copy.deepcopy(self._users[uid])
                pm = self._partial_member(uid)
                if pm is not None:
                    pm["permissions"] = str(self.member_permissions(uid))
                    resolved.setdefault("members", {})[str(uid)] = pm
                return str(uid)
            if otype == 6:
                raise LookupError(f"fake_discord: unknown user {uid}")
        if otype in (8, 9):
            rid = _sf(value)
            if rid in self._roles:
                resolved.setdefault("roles", {})[str(rid)] = copy.deepcopy(self._roles[rid])
                return str(rid)
            raise LookupError(f"fake_discord: unknown role/user {rid}")
        if otype == 7:
            cid = _sf(value)
            ch = self._channels.get(cid)
            if ch is None:
                raise LookupError(f"fake_discord: unknown channel {cid}")
            rc = {k: ch[k] for k in ("id", "name", "type", "parent_id", "guild_id") if k in ch}
            if "thread_metadata" in ch:
                rc["thread_metadata"] = copy.deepcopy(ch["thread_metadata"])
            rc["permissions"] = str(Perm.ALL)
            resolved.setdefault("channels", {})[str(cid)] = rc
            return str(cid)
        if otype == 11:
            att = dict(value) if isinstance(value, Mapping) else {"filename": str(value)}
            if "id" not in att:
                data = att.pop("data", b"")
                att = {**self._store_attachment(att.get("filename", "file.txt"), data), **att}
            resolved.setdefault("attachments", {})[str(att["id"])] = att
            return str(att["id"])
        if otype == 4:
            return int(value)
        if otype == 10:
            return float(value) if not isinstance(value, int) else value
        if otype == 5:
            return bool(value)
        return value if otype != 3 else str(value)

    @staticmethod
    def _infer_type(value: Any) -> int:
        if isinstance(value, bool):
            return 5
        if isinstance(value, int):
            return 4
        if isinstance(value, float):
            return 10
        if isinstance(value, Mapping) and "username" in value:
            return 6
        return 3

    def _build_options(
        self, schema: list[dict[str, Any]] | None, values: Any, resolved: dict, focused: str | None
    ) -> list[dict[str, Any]]:
        if values is None:
            values = {}
        if isinstance(values, list):  # raw option payloads
            return copy.deepcopy(values)
        out = []
        by_name = {o["name"]: o for o in (schema or [])}
        if schema is not None:
            unknown = set(values) - set(by_name)
            if unknown:
                raise ValueError(f"fake_discord: options {sorted(unknown)} are not defined on the command")
            if focused is None:
                missing = [o["name"] for o in schema if o.get("required") and o["name"] not in values]
                if missing:
                    raise ValueError(f"fake_discord: required options missing: {missing}")
        for name, value in values.items():
            opt_schema = by_name.get(name)
            otype = opt_schema["type"] if opt_schema else self._infer_type(value)
            if name == focused:
                out.append(
                    {
                        "name": name,
                        "type": otype,
                        "value": str(value) if otype not in (4, 10) else value,
                        "focused": True,
                    }
                )
                continue
            v = self._resolve_value(otype, value, resolved)
            if opt_schema and opt_schema.get("choices"):
                allowed = [c["value"] for c in opt_schema["choices"]]
                if v not in allowed:
                    raise ValueError(f"fake_discord: {v!r} is not one of the choices {allowed} for {name!r}")
            out.append({"name": name, "type": otype, "value": v})
        return out

    def _command_data(
        self, name: str, options: Any, *, focused: str | None, include_guild_id: bool
    ) -> dict[str, Any]:
        parts = name.split()
        cmd, guild_scoped = self._find_command(parts[0])
        resolved: dict[str, dict[str, Any]] = {}
        schema: list[dict[str, Any]] | None = cmd.get("options", []) if cmd is not None else None
        # walk subcommand groups / subcommands
        chain: list[tuple[str, int, list | None]] = []
        for sub in parts[1:]:
            sub_schema = None
            if schema is not None:
                sub_schema = next((o for o in schema if o["name"] == sub and o.get("type") in (1, 2)), None)
                if sub_schema is None:
                    raise ValueError(f"fake_discord: no subcommand {sub!r} in {name!r}")
            stype = sub_schema["type"] if sub_schema else (1 if sub == parts[-1] else 2)
            chain.append((sub, stype, None))
            schema = sub_schema.get("options", []) if sub_schema else None
        leaf_options = self._build_options(schema, options, resolved, focused)
        nested = leaf_options
        for sub, stype, _ in reversed(chain):
            nested = [{"name": sub, "type": stype, "options": nested}]
        if cmd is None:
            cmd_id = self._command_ids.setdefault((None, parts[0], 1), self.snowflake())
        else:
            cmd_id = int(cmd["id"])
        data: dict[str, Any] = {"id": str(cmd_id), "name": parts[0], "type": 1, "options": nested}
        if include_guild_id or guild_scoped:
            data["guild_id"] = str(self.GUILD_ID)
        if resolved:
            data["resolved"] = resolved
        return data

    async def slash(
        self,
        name: str,
        options: Mapping[str, Any] | list | None = None,
        *,
        user: Any = None,
        permissions: int | None = None,
        channel_id: Any = None,
        include_guild_id: bool = True,
        settle: bool = True,
        expect_response: bool = True,
    ) -> FakeInteraction:
        """A user runs ``/name`` (APPLICATION_COMMAND interaction, type 2).

        ``name`` may be ``"group sub"`` for subcommands.  ``options`` is ``{name: value}`` (types come
        from the synced command if registered, else are inferred; users/channels/roles may be given as
        dicts or ids and are put in ``resolved``) or a raw list of option payloads.  ``permissions``
        overrides the member's computed permissions.  Waits for the bot to settle and (by default)
        asserts that it acknowledged the interaction."""
        data = self._command_data(name, options, focused=None, include_guild_id=include_guild_id)
        payload = self._interaction_base(
            IX_COMMAND, user=user, permissions=permissions, channel_id=channel_id, data=data
        )
        return await self._dispatch_interaction(payload, settle=settle, expect_response=expect_response)

    async def autocomplete(
        self,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        focused: str,
        user: Any = None,
        permissions: int | None = None,
        channel_id: Any = None,
        include_guild_id: bool = True,
        settle: bool = True,
        expect_response: bool = True,
    ) -> FakeInteraction:
        """A user types into option ``focused`` of ``/name`` (AUTOCOMPLETE interaction, type 4).
        The choices the bot answered are in ``ix.choices``."""
        options = dict(options or {})
        options.setdefault(focused, "")
        data = self._command_data(name, options, focused=focused, include_guild_id=include_guild_id)
        payload = self._interaction_base(
            IX_AUTOCOMPLETE, user=user, permissions=permissions, channel_id=channel_id, data=data
        )
        return await self._dispatch_interaction(payload, settle=settle, expect_response=expect_response)

    @staticmethod
    def _walk_components(components: Iterable[Any]) -> Iterable[dict[str, Any]]:
        for comp in components or []:
            if not isinstance(comp, Mapping):
                continue
            yield comp  # type: ignore[misc]
            for key in ("components", "items"):
                children = comp.get(key)
                if isinstance(children, list):
                    yield from FakeDiscord._walk_components(children)
            for key in ("accessory", "component"):
                child = comp.get(key)
                if isinstance(child, Mapping):
                    yield from FakeDiscord._walk_components([child])

    async def click(
        self,
        message: Any,
        custom_id: str,
        *,
        user: Any = None,
        permissions: int | None = None,
        values: Sequence[Any] | None = None,
        settle: bool = True,
        expect_response: bool = True,
    ) -> FakeInteraction:
        """A user clicks the button (or picks ``values`` in the select) with ``custom_id`` on ``message``
        (a message dict or id; its current stored state is used).  MESSAGE_COMPONENT interaction, type 3."""
        mid = _sf(message)
        stored = self._messages.get(mid)
        if stored is None:
            raise LookupError(f"fake_discord: unknown message {mid}")
        comp = next(
            (
                c
                for c in self._walk_components(stored.get("components", []))
                if c.get("custom_id") == custom_id
            ),
            None,
        )
        if comp is None:
            ids = [
                c.get("custom_id")
                for c in self._walk_components(stored.get("components", []))
                if c.get("custom_id")
            ]
            raise LookupError(f"fake_discord: message {mid} has no component {custom_id!r} (has {ids})")
        if comp.get("disabled"):
            raise AssertionError(f"fake_discord: component {custom_id!r} is disabled; a user cannot use it")
        ctype = comp["type"]
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": ctype}
        if ctype in _SELECT_TYPES:
            if values is None:
                raise ValueError("fake_discord: pass values=[...] for a select menu")
            resolved: dict[str, dict[str, Any]] = {}
            out_values = []
            for v in values:
                if ctype == 3:
                    allowed = [o["value"] for o in comp.get("options", [])]
                    if v not in allowed:
                        raise ValueError(f"fake_discord: {v!r} is not an option of {custom_id!r} ({allowed})")
                    out_values.append(v)
                else:
                    otype = {5: 6, 6: 8, 7: 9, 8: 7}[ctype]
                    out_values.append(self._resolve_value(otype, v, resolved))
            data["values"] = out_values
            if resolved:
                data["resolved"] = resolved
        elif values is not None:
            raise ValueError("fake_discord: values= only applies to select menus")
        payload = self._interaction_base(
            IX_COMPONENT,
            user=user,
            permissions=permissions,
            channel_id=int(stored["channel_id"]),
            data=data,
            message=stored,
        )
        return await self._dispatch_interaction(payload, settle=settle, expect_response=expect_response)

    async def select(
        self, message: Any, custom_id: str, values: Sequence[Any], **kwargs: Any
    ) -> FakeInteraction:
        return await self.click(message, custom_id, values=values, **kwargs)

    async def submit_modal(
        self,
        modal: FakeInteraction | Mapping[str, Any],
        values: Mapping[str, str],
        *,
        user: Any = None,
        permissions: int | None = None,
        settle: bool = True,
        expect_response: bool = True,
    ) -> FakeInteraction:
        """A user submits the modal the bot opened (``modal`` is the FakeInteraction that got the
        type 9 callback, or the modal dict).  ``values``: {text input custom_id: text}."""
        origin: FakeInteraction | None = modal if isinstance(modal, FakeInteraction) else None
        modal_data = origin.modal if origin is not None else dict(modal)
        if modal_data is None:
            raise LookupError("fake_discord: that interaction did not open a modal")
        if user is None and origin is not None:
            user = int(origin.payload["member"]["user"]["id"])
        inputs = {
            c["custom_id"]: c
            for c in self._walk_components(modal_data.get("components", []))
            if c.get("type") == 4
        }
        unknown = set(values) - set(inputs)
        if unknown:
            raise ValueError(
                f"fake_discord: modal has no text inputs {sorted(unknown)} (has {sorted(inputs)})"
            )
        for cid, comp in inputs.items():
            text = values.get(cid, comp.get("value") or "")
            if comp.get("required", True) and not text:
                raise ValueError(f"fake_discord: text input {cid!r} is required")
            if comp.get("max_length") is not None and len(text) > comp["max_length"]:
                raise ValueError(f"fake_discord: text input {cid!r} longer than max_length")
            if text and comp.get("min_length") is not None and len(text) < comp["min_length"]:
                raise ValueError(f"fake_discord: text input {cid!r} shorter than min_length")

        def convert(components: list) -> list:
            out = []
            for c in components:
                t = c.get("type")
                if t == 1:
                    out.append({"type": 1, "id": c.get("id"), "components": convert(c.get("components", []))})
                elif t == 18:
                    out.append({"type": 18, "id": c.get("id"), "component": convert([c["component"]])[0]})
                elif t == 4:
                    out.append(
                        {
                            "type": 4,
                            "id": c.get("id"),
                            "custom_id": c["custom_id"],
                            "value": values.get(c["custom_id"], c.get("value") or ""),
                        }
                    )
                elif t in _SELECT_TYPES:
                    out.append(
                        {
                            "type": t,
                            "id": c.get("id"),
                            "custom_id": c["custom_id"],
                            "values": list(values.get(c["custom_id"], [])),
                        }
                    )
                else:
                    out.append({"type": t, "id": c.get("id")})
            return out

        data = {"custom_id": modal_data["custom_id"], "components": convert(modal_data.get("components", []))}
        message = None
        channel_id = None
        if origin is not None:
            channel_id = int(origin.payload["channel_id"])
            message = origin.payload.get("message")
            if message is not None:
                message = self._messages.get(int(message["id"]), message)
        payload = self._interaction_base(
            IX_MODAL_SUBMIT,
            user=user,
            permissions=permissions,
            channel_id=channel_id,
            data=data,
            message=message,
        )
        return await self._dispatch_interaction(payload, settle=settle, expect_response=expect_response)

    # ------------------------------------------------------------------ HTTP plumbing

    async def _read_body(self, request: web.Request) -> tuple[Any, list[dict[str, Any]]]:
        ctype = request.content_type
        files: list[dict[str, Any]] = []
        if ctype == "multipart/form-data":
            form = await request.post()
            body: Any = None
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    files.append(
                        {
                            "name": name,
                            "filename": value.filename,
                            "content_type": value.content_type,
                            "size": len(data),
                            "data": data,
                        }
                    )
                elif name == "payload_json":
                    text = value.decode() if isinstance(value, (bytes, bytearray)) else value
                    body = json.loads(text)
            return body, files
        raw = await request.read()
        if not raw:
            return None, files
        try:
            return json.loads(raw), files
        except ValueError:
            return raw.decode(errors="replace"), files

    async def _unknown_handler(self, request: web.Request) -> web.Response:
        body, files = await self._read_body(request)
        rec = RecordedRequest(
            request.method, request.path, dict(request.query), body, files, dict(request.headers)
        )
        rec.status = 404
        self.requests.append(rec)
        self.unknown_routes.append(rec)
        return _json_response({"message": "404: Not Found", "code": 0}, 404)

    async def _cdn_handler(self, request: web.Request) -> web.Response:
        data = self._files.get(int(request.match_info["aid"]))
        if data is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=data, headers={"Content-Type": "application/octet-stream"})

    async def _api_handler(self, request: web.Request) -> web.Response:
        self._inflight += 1
        self._touch()
        rec: RecordedRequest | None = None
        try:
            path = "/" + request.match_info["tail"]
            body, files = await self._read_body(request)
            rec = RecordedRequest(
                request.method, path, dict(request.query), body, files, dict(request.headers)
            )
            self.requests.append(rec)
            try:
                if request.match_info["version"] != str(API_VERSION):
                    raise ApiError(404, 0, "404: Not Found")
                inj = self._match_injection(request.method, path)
                if inj is not None:
                    raise ApiError(inj.status, inj.code, inj.message, inj.errors)
                handler, params = self._route(request.method, path)
                if handler is None:
                    self.unknown_routes.append(rec)
                    raise ApiError(404, 0, "404: Not Found")
                needs_auth = not path.startswith(("/webhooks/", "/interactions/"))
                if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
                    raise ApiError(401, 0, "401: Unauthorized")
                result = await handler(rec, **params)
            except ApiError as exc:
                rec.status, rec.response = exc.status, exc.body()
                if exc.status == 429:
                    return web.Response(
                        status=429,
                        body=json.dumps({**exc.body(), "retry_after": 0.01, "global": False}).encode(),
                        headers={"Content-Type": "application/json", "Via": "1.1 google"},
                    )
                return _json_response(exc.body(), exc.status)
            if result is None:
                rec.status = 204
                return _no_content()
            rec.status, rec.response = 200, result
            return _json_response(result)
        except Exception as exc:  # a bug in the fake: fail loudly, but without a 5xx retry loop
            _log.exception("fake_discord: handler crashed for %s %s", request.method, request.path)
            if rec is not None:
                rec.status = 400
            return _json_response({"code": 0, "message": f"fake_discord internal error: {exc!r}"}, 400)
        finally:
            self._inflight -= 1
            self._touch()

    _ROUTES: ClassVar[list[tuple[str, str, str]]] = [
        ("GET", r"/users/@me", "_r_me"),
        ("GET", r"/users/(?P<user_id>\d+)", "_r_user"),
        ("POST", r"/users/@me/channels", "_r_create_dm"),
        ("GET", r"/gateway", "_r_gateway"),
        ("GET", r"/gateway/bot", "_r_gateway_bot"),
        ("GET", r"/oauth2/applications/@me", "_r_application"),
        ("GET", r"/applications/@me", "_r_application"),
        ("GET", r"/applications/(?P<app_id>\d+)/commands", "_r_get_commands"),
        ("PUT", r"/applications/(?P<app_id>\d+)/commands", "_r_put_commands"),
        ("POST", r"/applications/(?P<app_id>\d+)/commands", "_r_post_command"),
        ("GET", r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands", "_r_get_commands"),
        ("PUT", r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands", "_r_put_commands"),
        ("POST", r"/applications/(?P<app_id>\d+)/guilds/(?P<guild_id>\d+)/commands", "_r_post_command"),
        ("GET", r"/guilds/(?P<guild_id>\d+)", "_r_guild"),
        ("GET", r"/guilds/(?P<guild_id>\d+)/channels", "_r_guild_channels"),
        ("GET", r"/guilds/(?P<guild_id>\d+)/roles", "_r_guild_roles"),
        ("GET", r"/guilds/(?P<guild_id>\d+)/members/(?P<user_id>\d+)", "_r_guild_member"),
        ("GET", r"/channels/(?P<channel_id>\d+)", "_r_channel"),
        ("GET", r"/channels/(?P<channel_id>\d+)/messages", "_r_history"),
        ("POST", r"/channels/(?P<channel_id>\d+)/messages", "_r_post_message"),
        ("GET", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "_r_get_message"),
        ("PATCH", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "_r_edit_message"),
        ("DELETE", r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)", "_r_delete_message"),
        (
            "POST",
            r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/threads",
            "_r_thread_from_message",
        ),
        ("POST", r"/channels/(?P<channel_id>\d+)/threads", "_r_thread"),
        ("POST", r"/channels/(?P<channel_id>\d+)/typing", "_r_typing"),
        (
            "PUT",
            r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/reactions/(?P<emoji>[^/]+)/@me",
            "_r_add_reaction",
        ),
        (
            "DELETE",
            r"/channels/(?P<channel_id>\d+)/messages/(?P<message_id>\d+)/reactions/(?P<emoji>[^/]+)/@me",
            "_r_remove_reaction",
        ),
        ("POST", r"/interactions/(?P<interaction_id>\d+)/(?P<token>[^/]+)/callback", "_r_callback"),
        ("POST", r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)", "_r_followup"),
        (
            "GET",
            r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
            "_r_webhook_get",
        ),
        (
            "PATCH",
            r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
            "_r_webhook_edit",
        ),
        (
            "DELETE",
            r"/webhooks/(?P<app_id>\d+)/(?P<token>[^/]+)/messages/(?P<message_id>@original|\d+)",
            "_r_webhook_delete",
        ),
    ]
    _COMPILED: ClassVar[list[tuple[str, re.Pattern[str], str]]] = [
        (m, re.compile(p), h) for m, p, h in _ROUTES
    ]

    def _route(self, method: str, path: str) -> tuple[Any, dict[str, str]]:
        for m, pattern, handler in self._COMPILED:
            if m != method:
                continue
            match = pattern.fullmatch(path)
            if match:
                return getattr(self, handler), match.groupdict()
        return None, {}

    # ------------------------------------------------------------------ REST routes: misc

    async def _r_me(self, rec: RecordedRequest) -> dict:
        return {
            **self.bot_user,
            "verified": True,
            "mfa_enabled": False,
            "locale": "en-US",
            "flags": 0,
            "email": None,
        }

    async def _r_user(self, rec: RecordedRequest, user_id: str) -> dict:
        user = self._users.get(int(user_id))
        if user is None:
            raise ApiError(404, 10013, "Unknown User")
        return user

    async def _r_create_dm(self, rec: RecordedRequest) -> dict:
        uid = int((rec.json or {}).get("recipient_id", 0))
        if uid not in self._users:
            raise ApiError.invalid_form({"recipient_id": _e("NUMBER_TYPE_COERCE", "Value is not snowflake.")})
        return copy.deepcopy(self.dm_channel(uid))

    async def _r_gateway(self, rec: RecordedRequest) -> dict:
        return {"url": f"ws://{self.host}:{self.port}/gateway"}

    async def _r_gateway_bot(self, rec: RecordedRequest) -> dict:
        return {
            "url": f"ws://{self.host}:{self.port}/gateway",
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    async def _r_application(self, rec: RecordedRequest) -> dict:
        return {
            "id": str(self.APPLICATION_ID),
            "name": "Stride Coach",
            "icon": None,
            "description": "Running-club coaching bot (fake)",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": copy.deepcopy(self.owner),
            "team": None,
            "bot": copy.deepcopy(self.bot_user),
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": 1,
            "integration_types_config": {"0": {}},
        }

    # ------------------------------------------------------------------ REST routes: app commands

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.APPLICATION_ID:
            raise ApiError(404, 10002, "Unknown Application")

    def _command_list(self, guild_id: str | None) -> list[dict[str, Any]]:
        if guild_id is None:
            return self.commands
        gid = int(guild_id)
        if gid != self.GUILD_ID:
            raise ApiError(404, 10004, "Unknown Guild")
        return self.guild_commands.setdefault(gid, [])

    def _register_command(self, cmd: dict[str, Any], guild_id: str | None) -> dict[str, Any]:
        ctype = cmd.get("type", 1)
        key = (int(guild_id) if guild_id else None, cmd["name"], ctype)
        cid = self._command_ids.setdefault(key, self.snowflake())
        out = {
            "id": str(cid),
            "application_id": str(self.APPLICATION_ID),
            "version": str(self.snowflake()),
            "type": ctype,
            "name": cmd["name"],
            "description": cmd.get("description", ""),
            "options": copy.deepcopy(cmd.get("options", [])),
            "default_member_permissions": cmd.get("default_member_permissions"),
            "dm_permission": cmd.get("dm_permission", True),
            "nsfw": cmd.get("nsfw", False),
        }
        for key_ in ("name_localizations", "description_localizations", "contexts", "integration_types"):
            if key_ in cmd:
                out[key_] = copy.deepcopy(cmd[key_])
        if guild_id is not None:
            out["guild_id"] = str(guild_id)
        return out

    async def _r_get_commands(self, rec: RecordedRequest, app_id: str, guild_id: str | None = None) -> list:
        self._check_app(app_id)
        return copy.deepcopy(self._command_list(guild_id))

    async def _r_put_commands(self, rec: RecordedRequest, app_id: str, guild_id: str | None = None) -> list:
        self._check_app(app_id)
        validate_commands(rec.json)
        registered = [self._register_command(c, guild_id) for c in rec.json]
        target = self._command_list(guild_id)
        target[:] = registered
        return copy.deepcopy(registered)

    async def _r_post_command(self, rec: RecordedRequest, app_id: str, guild_id: str | None = None) -> dict:
        self._check_app(app_id)
        validate_commands([rec.json])
        cmd = self._register_command(rec.json, guild_id)
        target = self._command_list(guild_id)
        target[:] = [c for c in target if not (c["name"] == cmd["name"] and c["type"] == cmd["type"])] + [cmd]
        return copy.deepcopy(cmd)

    # ------------------------------------------------------------------ REST routes: guild

    def _check_guild(self, guild_id: str) -> None:
        if int(guild_id) != self.GUILD_ID:
            raise ApiError(404, 10004, "Unknown Guild")

    async def _r_guild(self, rec: RecordedRequest, guild_id: str) -> dict:
        self._check_guild(guild_id)
        g = self._guild_payload(include_all_members=True)
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
            "member_count",
            "stage_instances",
            "guild_scheduled_events",
            "soundboard_sounds",
        ):
            g.pop(key, None)
        g["approximate_member_count"] = len(self._members)
        return g

    async def _r_guild_channels(self, rec: RecordedRequest, guild_id: str) -> list:
        self._check_guild(guild_id)
        return copy.deepcopy(self._guild_payload(include_all_members=False)["channels"])

    async def _r_guild_roles(self, rec: RecordedRequest, guild_id: str) -> list:
        self._check_guild(guild_id)
        return copy.deepcopy(list(self._roles.values()))

    async def _r_guild_member(self, rec: RecordedRequest, guild_id: str, user_id: str) -> dict:
        self._check_guild(guild_id)
        member = self._members.get(int(user_id))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return copy.deepcopy(member)

    # ------------------------------------------------------------------ REST routes: channels/messages

    def _channel_or_404(self, channel_id: str) -> dict[str, Any]:
        ch = self._channels.get(int(channel_id))
        if ch is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return ch

    def _message_or_404(self, channel_id: str, message_id: str) -> dict[str, Any]:
        msg = self._messages.get(int(message_id))
        if msg is None or int(msg["channel_id"]) != int(channel_id):
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _r_channel(self, rec: RecordedRequest, channel_id: str) -> dict:
        return copy.deepcopy(self._channel_or_404(channel_id))

    async def _r_history(self, rec: RecordedRequest, channel_id: str) -> list:
        self._channel_or_404(channel_id)
        q = rec.query
        limit = int(q.get("limit", 50))
        if not 1 <= limit <= 100:
            raise ApiError.invalid_form(
                {"limit": _e("NUMBER_TYPE_MAX", "int value should be less than or equal to 100.")}
            )
        visible = [
            self._messages[m]
            for m in self._channel_messages.get(int(channel_id), [])
            if m in self._messages and not int(self._messages[m].get("flags", 0)) & FLAG_EPHEMERAL
        ]
        visible.sort(key=lambda m: int(m["id"]))
        if "before" in q:
            sel = [m for m in visible if int(m["id"]) < int(q["before"])][-limit:]
        elif "after" in q:
            sel = [m for m in visible if int(m["id"]) > int(q["after"])][:limit]
        elif "around" in q:
            around = int(q["around"])
            older = [m for m in visible if int(m["id"]) <= around]
            newer = [m for m in visible if int(m["id"]) > around]
            sel = older[-(limit // 2 + limit % 2) :] + newer[: limit // 2]
        else:
            sel = visible[-limit:]
        return copy.deepcopy(list(reversed(sel)))  # newest first, like Discord

    async def _r_get_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> dict:
        msg = self._message_or_404(channel_id, message_id)
        if int(msg.get("flags", 0)) & FLAG_EPHEMERAL:
            raise ApiError(404, 10008, "Unknown Message")
        return copy.deepcopy(msg)

    def _attachments_from(
        self, rec: RecordedRequest, payload: Mapping[str, Any], existing: list[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        total = sum(f["size"] for f in rec.files)
        if total > ATTACHMENT_SIZE_LIMIT:
            raise ApiError(413, 40005, "Request entity too large")
        meta = {str(a.get("id")): a for a in payload.get("attachments") or []}
        out: list[dict[str, Any]] = []
        if existing:
            if payload.get("attachments") is not None:
                keep = {str(a.get("id")) for a in payload["attachments"]}
                out.extend(a for a in existing if a["id"] in keep)
            else:
                out.extend(existing)
        for i, f in enumerate(rec.files):
            att = self._store_attachment(f["filename"] or f"file{i}", f["data"], f.get("content_type"))
            m = meta.get(str(i)) or {}
            if m.get("description"):
                att["description"] = m["description"]
            out.append(att)
        return out

    async def _r_post_message(self, rec: RecordedRequest, channel_id: str) -> dict:
        channel = self._channel_or_404(channel_id)
        payload = rec.json or {}
        validate_message_payload(payload, files=len(rec.files))
        if channel["type"] in (CH_CATEGORY, CH_FORUM):
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        if channel.get("thread_metadata", {}).get("archived"):
            raise ApiError(400, 50083, "Thread is archived")
        flags = int(payload.get("flags") or 0)
        if flags & FLAG_EPHEMERAL:
            raise ApiError.invalid_form(
                {"flags": _e("MESSAGE_FLAGS_INVALID", "Ephemeral flag is only for interactions")}
            )
        msg = self._create_message(
            int(channel_id),
            author=self.bot_user,
            content=payload.get("content") or "",
            embeds=payload.get("embeds"),
            components=payload.get("components"),
            flags=flags,
            attachments=self._attachments_from(rec, payload),
            message_reference=payload.get("message_reference"),
        )
        await self._announce_message("MESSAGE_CREATE", msg)
        return copy.deepcopy(msg)

    def _apply_edit(self, msg: dict[str, Any], rec: RecordedRequest, payload: Mapping[str, Any]) -> None:
        validate_message_payload(payload, files=len(rec.files), creating=False)
        new = copy.deepcopy(msg)
        if "content" in payload:
            new["content"] = payload["content"] or ""
            users, roles, everyone = self._mentions_from(new["content"])
            new["mention_everyone"] = everyone
            new["mentions"] = [m for m in (self._mention_payload(u, "guild_id" in new) for u in users) if m]
            new["mention_roles"] = [str(r) for r in roles]
        if "embeds" in payload:
            new["embeds"] = copy.deepcopy(payload["embeds"] or [])
        if "components" in payload:
            new["components"] = copy.deepcopy(payload["components"] or [])
        if "flags" in payload and payload["flags"] is not None:
            keep = int(new.get("flags", 0)) & ~FLAG_SUPPRESS_EMBEDS & ~FLAG_LOADING
            new["flags"] = keep | (int(payload["flags"]) & (FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2))
        if "attachments" in payload or rec.files:
            new["attachments"] = self._attachments_from(rec, payload, existing=msg.get("attachments"))
        new["flags"] = int(new.get("flags", 0)) & ~FLAG_LOADING
        if not (new["content"].strip() or new["embeds"] or new["components"] or new["attachments"]):
            raise ApiError(400, 50006, "Cannot send an empty message")
        new["edited_timestamp"] = _now_iso()
        msg.clear()
        msg.update(new)

    async def _r_edit_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> dict:
        msg = self._message_or_404(channel_id, message_id)
        if int(msg["author"]["id"]) != self.BOT_ID:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._apply_edit(msg, rec, rec.json or {})
        await self._announce_message("MESSAGE_UPDATE", msg)
        return copy.deepcopy(msg)

    async def _delete_message(self, msg: dict[str, Any]) -> None:
        mid = int(msg["id"])
        self._messages.pop(mid, None)
        cid = int(msg["channel_id"])
        if mid in self._channel_messages.get(cid, []):
            self._channel_messages[cid].remove(mid)
        if not int(msg.get("flags", 0)) & FLAG_EPHEMERAL:
            data = {"id": msg["id"], "channel_id": msg["channel_id"]}
            if "guild_id" in msg:
                data["guild_id"] = msg["guild_id"]
            await self._deliver("MESSAGE_DELETE", data)

    async def _r_delete_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> None:
        msg = self._message_or_404(channel_id, message_id)
        await self._delete_message(msg)

    async def _r_typing(self, rec: RecordedRequest, channel_id: str) -> None:
        self._channel_or_404(channel_id)

    async def _r_add_reaction(
        self, rec: RecordedRequest, channel_id: str, message_id: str, emoji: str
    ) -> None:
        self._message_or_404(channel_id, message_id)
        self.reactions.append(
            {
                "message_id": int(message_id),
                "emoji": emoji,
                "raw": emoji,
                "added": True,
            }
        )

    async def _r_remove_reaction(
        self, rec: RecordedRequest, channel_id: str, message_id: str, emoji: str
    ) -> None:
        self._message_or_404(channel_id, message_id)
        self.reactions.append({"message_id": int(message_id), "emoji": emoji, "raw": emoji, "added": False})

    # ------------------------------------------------------------------ REST routes: threads

    def _new_thread(
        self, thread_id: int, parent: dict[str, Any], name: Any, ttype: int, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        _check_len(errors, "name", name, 100, required=True)
        duration = body.get("auto_archive_duration") or parent.get("default_auto_archive_duration", 1440)
        if duration not in (60, 1440, 4320, 10080):
            errors["auto_archive_duration"] = _e(
                "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."
            )
        rate = body.get("rate_limit_per_user") or 0
        if not 0 <= int(rate) <= 21600:
            errors["rate_limit_per_user"] = _e(
                "NUMBER_TYPE_MAX", "int value should be less than or equal to 21600."
            )
        if errors:
            raise ApiError.invalid_form(errors)
        now = _now_iso()
        thread = {
            "id": str(thread_id),
            "guild_id": str(self.GUILD_ID),
            "parent_id": parent["id"],
            "owner_id": str(self.BOT_ID),
            "name": str(name),
            "type": ttype,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(rate),
            "flags": 0,
            "applied_tags": list(body.get("applied_tags") or []),
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": now,
                "locked": False,
                "invitable": bool(body.get("invitable", True)),
                "create_timestamp": now,
            },
            "member": {"id": str(thread_id), "user_id": str(self.BOT_ID), "join_timestamp": now, "flags": 1},
        }
        self._add_channel_record(thread)
        self._thread_ids.append(thread_id)
        return thread

    async def _r_thread_from_message(self, rec: RecordedRequest, channel_id: str, message_id: str) -> dict:
        parent = self._channel_or_404(channel_id)
        msg = self._message_or_404(channel_id, message_id)
        if parent["type"] not in (CH_TEXT, CH_NEWS):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        if msg.get("thread") or int(message_id) in self._channels:
            raise ApiError(400, 160004, "A thread has already been created for this message")
        body = rec.json or {}
        ttype = CH_NEWS_THREAD if parent["type"] == CH_NEWS else CH_PUBLIC_THREAD
        thread = self._new_thread(int(message_id), parent, body.get("name"), ttype, body)
        msg["thread"] = {k: v for k, v in thread.items() if k != "member"}
        msg["flags"] = int(msg.get("flags", 0)) | (1 << 5)  # HAS_THREAD
        await self._deliver("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        return copy.deepcopy(thread)

    async def _r_thread(self, rec: RecordedRequest, channel_id: str) -> dict:
        parent = self._channel_or_404(channel_id)
        body = rec.json or {}
        if parent["type"] == CH_FORUM:
            message = body.get("message") or {}
            validate_message_payload(message, files=len(rec.files))
            thread = self._new_thread(self.snowflake(), parent, body.get("name"), CH_PUBLIC_THREAD, body)
            starter = self._create_message(
                int(thread["id"]),
                author=self.bot_user,
                content=message.get("content") or "",
                embeds=message.get("embeds"),
                components=message.get("components"),
                attachments=self._attachments_from(rec, message),
                message_id=int(thread["id"]),
            )
            await self._deliver("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
            await self._announce_message("MESSAGE_CREATE", starter)
            return {**copy.deepcopy(thread), "message": copy.deepcopy(starter)}
        if parent["type"] not in (CH_TEXT, CH_NEWS):
            raise ApiError(400, 50024, "Cannot execute action on this channel type")
        ttype = int(body.get("type") or CH_PRIVATE_THREAD)
        if ttype not in THREAD_TYPES:
            raise ApiError.invalid_form(
                {"type": _e("BASE_TYPE_CHOICES", "Value must be one of {10, 11, 12}.")}
            )
        thread = self._new_thread(self.snowflake(), parent, body.get("name"), ttype, body)
        await self._deliver("THREAD_CREATE", {**copy.deepcopy(thread), "newly_created": True})
        return copy.deepcopy(thread)

    # ------------------------------------------------------------------ REST routes: interactions

    def _ix_by_token(self, app_id: str, token: str) -> FakeInteraction:
        ix = self._by_token.get(token)
        if ix is None or int(app_id) != self.APPLICATION_ID:
            raise ApiError(404, 10015, "Unknown Webhook")
        return ix

    async def _r_callback(self, rec: RecordedRequest, interaction_id: str, token: str) -> dict:
        ix = self.interactions.get(int(interaction_id))
        if ix is None or ix.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        if asyncio.get_running_loop().time() - ix.dispatched_at > self.interaction_ack_timeout:
            raise ApiError(404, 10062, "Unknown interaction")
        if ix.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        body = rec.json or {}
        ctype = body.get("type")
        data = body.get("data") or {}
        itype = ix.type
        allowed = {
            IX_PING: {1},
            IX_COMMAND: {4, 5, 9, 12},
            IX_COMPONENT: {4, 5, 6, 7, 9, 12},
            IX_AUTOCOMPLETE: {8},
            IX_MODAL_SUBMIT: {4, 5, 6, 7},
        }[itype]
        if ctype not in allowed or (
            itype == IX_MODAL_SUBMIT and ctype in (6, 7) and "message" not in ix.payload
        ):
            raise ApiError.invalid_form(
                {
                    "type": _e(
                        "INTERACTION_CALLBACK_TYPE_INVALID",
                        f"Callback type {ctype} is invalid for interaction type {itype}",
                    )
                }
            )
        channel_id = int(ix.payload["channel_id"])
        info: dict[str, Any] = {"id": str(ix.id), "type": itype}
        resource: dict[str, Any] = {"type": ctype}
        message: dict[str, Any] | None = None
        try:
            if ctype == 4:
                validate_message_payload(data, files=len(rec.files))
            elif ctype == 7:
                validate_message_payload(data, files=len(rec.files), creating=False)
            elif ctype == 8:
                validate_choices(data)
            elif ctype == 9:
                validate_modal(data)
        except ApiError as exc:
            if exc.code == 50035 and ctype in (4, 7) and exc.errors:
                exc.errors = {"data": exc.errors}
            raise
        record = {
            "interaction_id": ix.id,
            "type": ctype,
            "data": copy.deepcopy(data),
            "files": [{k: v for k, v in f.items() if k != "data"} for f in rec.files],
            "interaction": ix,
        }
        mtype = 20 if itype == IX_COMMAND else 0
        if ctype == 4:
            message = self._create_message(
                channel_id,
                author=self.bot_user,
                content=data.get("content") or "",
                embeds=data.get("embeds"),
                components=data.get("components"),
                flags=int(data.get("flags") or 0)
                & (FLAG_EPHEMERAL | FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2),
                attachments=self._attachments_from(rec, data),
                mtype=mtype,
                webhook_id=self.APPLICATION_ID,
                interaction=ix,
            )
            ix.original_id = int(message["id"])
        elif ctype == 5:
            flags = FLAG_LOADING | (int(data.get("flags") or 0) & FLAG_EPHEMERAL)
            message = self._create_message(
                channel_id,
                author=self.bot_user,
                content="",
                flags=flags,
                mtype=mtype,
                webhook_id=self.APPLICATION_ID,
                interaction=ix,
            )
            ix.original_id = int(message["id"])
            info["response_message_loading"] = True
        elif ctype in (6, 7):
            target = self._messages.get(int(ix.payload["message"]["id"]))
            if target is None:
                raise ApiError(404, 10008, "Unknown Message")
            ix.original_id = int(target["id"])
            if ctype == 7:
                self._apply_edit(target, rec, data)
                message = target
        ix.callbacks.append(record)
        self.callbacks.append(record)
        if message is not None:
            info["response_message_id"] = message["id"]
            info["response_message_ephemeral"] = bool(int(message.get("flags", 0)) & FLAG_EPHEMERAL)
            resource["message"] = copy.deepcopy(message)
            await self._announce_message("MESSAGE_UPDATE" if ctype == 7 else "MESSAGE_CREATE", message)
        return {"interaction": info, "resource": resource}

    async def _r_followup(self, rec: RecordedRequest, app_id: str, token: str) -> dict | None:
        ix = self._ix_by_token(app_id, token)
        if not ix.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        payload = rec.json or {}
        validate_message_payload(payload, files=len(rec.files))
        original = self._messages.get(ix.original_id) if ix.original_id is not None else None
        if ix.response_type == 5 and original is not None and int(original.get("flags", 0)) & FLAG_LOADING:
            # The first followup after a "thinking" defer replaces the loading message (keeps its ephemerality).
            flags = (int(original["flags"]) & FLAG_EPHEMERAL) | (
                int(payload.get("flags") or 0) & FLAG_SUPPRESS_EMBEDS
            )
            self._apply_edit(original, rec, {**payload, "flags": None})
            original["flags"] = flags | (int(payload.get("flags") or 0) & FLAG_IS_COMPONENTS_V2)
            original["edited_timestamp"] = None
            message = original
            await self._announce_message("MESSAGE_UPDATE", message)
        else:
            message = self._create_message(
                int(ix.payload["channel_id"]),
                author=self.bot_user,
                content=payload.get("content") or "",
                embeds=payload.get("embeds"),
                components=payload.get("components"),
                flags=int(payload.get("flags") or 0)
                & (FLAG_EPHEMERAL | FLAG_SUPPRESS_EMBEDS | FLAG_IS_COMPONENTS_V2),
                attachments=self._attachments_from(rec, payload),
                mtype=20 if ix.type == IX_COMMAND else 0,
                webhook_id=self.APPLICATION_ID,
                interaction=ix,
            )
            await self._announce_message("MESSAGE_CREATE", message)
        ix.followups.append(copy.deepcopy(message))
        if str(rec.query.get("wait", "")).lower() in ("1", "true"):
            return copy.deepcopy(message)
        return None

    def _webhook_message(self, ix: FakeInteraction, message_id: str) -> dict[str, Any]:
        if message_id == "@original":
            if ix.original_id is None:
                raise ApiError(404, 10008, "Unknown Message")
            msg = self._messages.get(ix.original_id)
        else:
            mid = int(message_id)
            ids = {int(f["id"]) for f in ix.followups}
            if ix.original_id is not None:
                ids.add(ix.original_id)
            msg = self._messages.get(mid) if mid in ids else None
        if msg is None:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def _r_webhook_get(self, rec: RecordedRequest, app_id: str, token: str, message_id: str) -> dict:
        ix = self._ix_by_token(app_id, token)
        return copy.deepcopy(self._webhook_message(ix, message_id))

    async def _r_webhook_edit(self, rec: RecordedRequest, app_id: str, token: str, message_id: str) -> dict:
        ix = self._ix_by_token(app_id, token)
        msg = self._webhook_message(ix, message_id)
        self._apply_edit(msg, rec, rec.json or {})
        await self._announce_message("MESSAGE_UPDATE", msg)
        return copy.deepcopy(msg)

    async def _r_webhook_delete(self, rec: RecordedRequest, app_id: str, token: str, message_id: str) -> None:
        ix = self._ix_by_token(app_id, token)
        msg = self._webhook_message(ix, message_id)
        await self._delete_message(msg)


# --------------------------------------------------------------------------------------------------
# Connecting a bot
# --------------------------------------------------------------------------------------------------


async def connect(
    bot: Any,
    fake: FakeDiscord,
    *,
    timeout: float = 10.0,
    guild_ready_timeout: float = 0.05,
    reconnect: bool = False,
) -> Any:
    """Log ``bot`` in against ``fake``, run ``bot.connect()`` in a task and wait until it is ready.

    * lowers the bot's ``guild_ready_timeout`` to ``guild_ready_timeout`` if it is larger (discord.py
      otherwise waits 2s after the last GUILD_CREATE before READY);
    * ``reconnect=False`` so that gateway problems surface instead of being retried;
    * waits for on_ready handlers to finish, then marks the task baseline for :meth:`FakeDiscord.settle`.

    The bot is closed by the ``discord_env`` fixture's teardown (``fake.close_bots()``).
    """
    state = bot._connection
    if state.guild_ready_timeout > guild_ready_timeout:
        state.guild_ready_timeout = guild_ready_timeout
    fake.bots.append(bot)
    await asyncio.wait_for(bot.login(fake.token), timeout=timeout)
    task = asyncio.create_task(bot.connect(reconnect=reconnect), name="fake_discord: bot.connect")
    fake._connect_tasks.append(task)
    ready = asyncio.create_task(bot.wait_until_ready(), name="fake_discord: wait_until_ready")
    done, _ = await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task in done:
            exc = task.exception()
            raise AssertionError(f"bot.connect() ended before READY: {exc!r}") from exc
        raise AssertionError(
            f"bot was not ready after {timeout}s (identify={fake.identify_payload is not None})"
        )
    # Long-lived so far: everything except discord.py's event-handler tasks (on_ready & co), which we wait for.
    fake._baseline = {t for t in asyncio.all_tasks() if not t.get_name().startswith("discord.py: ")}
    await fake.settle()
    fake.mark_baseline()
    return bot
