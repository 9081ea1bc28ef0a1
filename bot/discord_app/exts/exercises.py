"""/exercise: an exercise card by name, with autocomplete over names and aliases."""

from __future__ import annotations

import discord
from discord import Interaction, app_commands
from discord.ext import commands

from bot.discord_app.bot import CoachBot
from bot.discord_app.layout import truncate
from bot.discord_app.views import send_specs
from bot.knowledge import Catalog

CHOICES = 25
CHOICE_CHARS = 100


def exercise_choices(catalog: Catalog, current: str, limit: int = CHOICES) -> list[tuple[str, str]]:
    """(shown name, slug) pairs for what a member has typed so far: fuzzy over names and aliases,
    best first, one per exercise; everything alphabetically while nothing is typed."""
    from rapidfuzz import fuzz, process, utils

    exercises = catalog.exercises
    if not current.strip():
        ordered = sorted(exercises.values(), key=lambda ex: ex.name.lower())
        return [(truncate(ex.name, CHOICE_CHARS), ex.slug) for ex in ordered[:limit]]
    names = catalog.names()
    found = process.extract(
        current, list(names), scorer=fuzz.WRatio, processor=utils.default_process, limit=None, score_cutoff=60
    )
    out: list[tuple[str, str]] = []
    for alias, _score, _ in found:
        slug = names[alias]
        if any(s == slug for _, s in out):
            continue
        ex = exercises[slug]
        plain = alias in (ex.name.lower(), slug.replace("-", " "))
        out.append((truncate(ex.name if plain else f"{ex.name} ({alias})", CHOICE_CHARS), slug))
        if len(out) == limit:
            break
    return out


class Exercises(commands.Cog):
    def __init__(self, bot: CoachBot) -> None:
        self.bot = bot

    @app_commands.command(name="exercise")
    @app_commands.describe(name="The exercise, e.g. “hip thrust”; pick from the list or type a name")
    async def exercise(self, interaction: Interaction, name: str) -> None:
        """Show an exercise card: cue, steps, dosage, and buttons for an easier or harder version."""
        presenter = self.bot.presenter
        found = self.bot.coach.exercise(name)
        if found is None:
            asked = discord.utils.escape_markdown(" ".join(name.split())[:100])
            text = presenter.text("exercise_not_found.discord.j2", asked=asked)
            await interaction.response.send_message(text, ephemeral=True)
            return
        await send_specs(interaction, presenter.exercise(found))

    @exercise.autocomplete("name")
    async def exercise_names(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        choices = exercise_choices(self.bot.coach.catalog, current)
        return [app_commands.Choice(name=name, value=slug) for name, slug in choices]


async def setup(bot: CoachBot) -> None:
    await bot.add_cog(Exercises(bot))
