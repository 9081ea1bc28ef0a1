"""Slash command registration, /exercise with autocomplete, /sources and /help."""

from __future__ import annotations

import pytest

from bot.coach import Coach
from bot.discord_app.exts.exercises import exercise_choices
from bot.embedding import HashEmbedder
from tests.fakes.discord import FLAG_EPHEMERAL, FakeDiscord, Perm


@pytest.mark.asyncio
async def test_commands_are_synced_with_member_facing_descriptions(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()

    commands = {c["name"]: c for c in fake.commands}
    assert set(commands) == {"ask", "exercise", "help", "sources", "reindex"}
    assert commands["ask"]["description"].startswith("Ask the coach")
    options = {o["name"]: o for o in commands["ask"]["options"]}
    assert options["question"]["required"] and options["question"]["type"] == 3
    assert options["question"]["description"].startswith("Your question")
    assert options["private"]["type"] == 5 and not options["private"].get("required")
    assert commands["exercise"]["options"][0]["autocomplete"] is True
    assert int(commands["reindex"]["default_member_permissions"]) == Perm.MANAGE_GUILD
    assert fake.guild_commands == {}


@pytest.mark.asyncio
async def test_commands_sync_to_the_configured_guild(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot(discord_guild=fake.GUILD_ID)

    assert {c["name"] for c in fake.guild_commands[fake.GUILD_ID]} == {
        "ask",
        "exercise",
        "help",
        "sources",
        "reindex",
    }


@pytest.mark.asyncio
async def test_exercise_card_and_unknown_exercise(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()

    found = await fake.slash("exercise", {"name": "glute brige"})  # a typo is forgiven
    missing = await fake.slash("exercise", {"name": "underwater basket weaving"})
    sneaky = await fake.slash("exercise", {"name": "**bold** [club](https://example.org)"})

    [embed] = found.original["embeds"]
    assert embed["title"] == "Glute Bridge" and embed["description"].startswith("**Cue:** Drive through")
    assert "**Dosage:** 2–3 sets of 12–15 reps" in embed["description"]
    assert missing.response_type == 4 and missing.callbacks[0]["data"]["flags"] == FLAG_EPHEMERAL
    assert missing.original["content"] == (
        "I don't know an exercise called “underwater basket weaving”. "
        "Start typing in `/exercise` to pick one from the list."
    )
    assert "“\\*\\*bold\\*\\* \\[club](https://example.org)”" in sneaky.original["content"]


@pytest.mark.asyncio
async def test_exercise_autocomplete_offers_names_and_aliases(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()

    everything = await fake.autocomplete("exercise", focused="name")
    bridges = await fake.autocomplete("exercise", {"name": "bridges"}, focused="name")
    typo = await fake.autocomplete("exercise", {"name": "hip thrst"}, focused="name")

    assert everything.response_type == 8
    names = [c["name"] for c in everything.choices]
    assert names == sorted(names, key=str.lower) and len(names) == 18
    assert bridges.choices[0] == {"name": "Glute Bridge (bridges)", "value": "glute-bridge"}
    assert typo.choices[0] == {"name": "Hip Thrust", "value": "hip-thrust"}
    assert len({c["value"] for c in typo.choices}) == len(typo.choices)


@pytest.mark.asyncio
async def test_sources_and_help_are_private_replies(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()

    sources = await fake.slash("sources")
    help_ = await fake.slash("help")

    assert sources.ephemeral and help_.ephemeral
    listing = sources.original["content"]
    assert listing.startswith("I answer from these 5 club articles:")
    assert "1. **4 Essential Lower-Body Exercises for Runners**" in listing
    assert help_.original["content"].startswith("I answer from the club's 5 articles")
    assert "`/ask question:`" in help_.original["content"]


def test_exercise_choices_are_fuzzy_unique_and_bounded(settings) -> None:
    catalog = Coach(settings, embedder=HashEmbedder(model_id="hash")).catalog
    assert exercise_choices(catalog, "dead")[0][1] in {"deadlift", "runner-deadlift", "single-leg-deadlift"}
    assert exercise_choices(catalog, "zzzzqqq") == []
    assert len(exercise_choices(catalog, "", limit=5)) == 5
    squats = exercise_choices(catalog, "squat")
    assert squats[0] == ("Squat", "squat")
    assert len({slug for _, slug in squats}) == len(squats)
    assert all(len(name) <= 100 and len(slug) <= 100 for name, slug in squats)
