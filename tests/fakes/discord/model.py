"""The fake's model of Discord: permissions, intents, message flags, channel types, snowflakes."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Mapping
from typing import Any

_log = logging.getLogger("fake_discord")

_log = logging.getLogger("fake_discord")

DISCORD_EPOCH_MS = 1420070400000
API_VERSION = 10


class Perm:
    """Permission bits (subset) used by the fake."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1

    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | CHANGE_NICKNAME
        | USE_APPLICATION_COMMANDS
        | CREATE_PUBLIC_THREADS
        | CREATE_PRIVATE_THREADS
        | SEND_MESSAGES_IN_THREADS
    )


class Intents:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_MESSAGES = 1 << 9
    GUILD_MESSAGE_REACTIONS = 1 << 10
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15


# Which intent a dispatched event needs (None: always delivered).  Message events depend on guild/DM.
_EVENT_INTENTS: dict[str, int | None] = {
    "GUILD_CREATE": Intents.GUILDS,
    "GUILD_UPDATE": Intents.GUILDS,
    "CHANNEL_CREATE": Intents.GUILDS,
    "CHANNEL_UPDATE": Intents.GUILDS,
    "CHANNEL_DELETE": Intents.GUILDS,
    "THREAD_CREATE": Intents.GUILDS,
    "THREAD_UPDATE": Intents.GUILDS,
    "THREAD_DELETE": Intents.GUILDS,
    "GUILD_MEMBER_ADD": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": Intents.GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": Intents.GUILD_MEMBERS,
    "MESSAGE_REACTION_ADD": Intents.GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": Intents.GUILD_MESSAGE_REACTIONS,
}
_MESSAGE_EVENTS = {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}

# Message flags
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_IS_COMPONENTS_V2 = 1 << 15

# Interaction types
IX_PING, IX_COMMAND, IX_COMPONENT, IX_AUTOCOMPLETE, IX_MODAL_SUBMIT = 1, 2, 3, 4, 5

# Channel types
CH_TEXT, CH_DM, CH_CATEGORY, CH_NEWS = 0, 1, 4, 5
CH_NEWS_THREAD, CH_PUBLIC_THREAD, CH_PRIVATE_THREAD, CH_FORUM = 10, 11, 12, 15
THREAD_TYPES = {CH_NEWS_THREAD, CH_PUBLIC_THREAD, CH_PRIVATE_THREAD}

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


def _sf(value: Any) -> int:
    """Normalise a snowflake given as int, str, or a dict with an ``id``."""
    if isinstance(value, Mapping):
        value = value["id"]
    elif hasattr(value, "id") and not isinstance(value, (int, str)):
        value = value.id
    return int(value)


class _Snowflakes:
    """Monotonic, time-based snowflakes (so ``created_at`` is sensible and ids sort by creation)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        value = max(self._last + 1, ms << 22)
        self._last = value
        return value
