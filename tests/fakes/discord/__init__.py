"""A local stand-in for Discord's gateway and REST API, for end-to-end tests of discord.py bots.

`server` is the fake itself (gateway and REST), `validation` what Discord refuses, `model` its
permissions, intents, flags and snowflakes. The club-specific world the tests use lives in
`tests/discord_app/conftest.py`.
"""

from tests.fakes.discord.model import FLAG_EPHEMERAL, FLAG_LOADING, Intents, Perm
from tests.fakes.discord.server import FakeDiscord, FakeInteraction, RecordedRequest, connect
from tests.fakes.discord.validation import ApiError

__all__ = [
    "FLAG_EPHEMERAL",
    "FLAG_LOADING",
    "ApiError",
    "FakeDiscord",
    "FakeInteraction",
    "Intents",
    "Perm",
    "RecordedRequest",
    "connect",
]
