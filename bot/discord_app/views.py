"""Message specs to and from discord.py objects, and the persistent buttons (👍 / 👎, Easier / Harder,
More sources).

The buttons are `DynamicItem`s: their custom ids carry the answer id or exercise slug, so one
registration in `setup_hook` routes every click, on any message, also after a restart.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import ButtonStyle

from bot.discord_app.layout import Button, EmbedSpec, Field, MessageSpec, Row
from bot.discord_app.present import FEEDBACK_ID, MORE_ID, SWAP_ID, Way

if TYPE_CHECKING:
    from bot.discord_app.services import Services
    from bot.feedback import Vote

log = logging.getLogger(__name__)


def to_embed(spec: EmbedSpec) -> discord.Embed:
    embed = discord.Embed(title=spec.title or None, description=spec.description or None, colour=spec.colour)
    for f in spec.fields:
        embed.add_field(name=f.name, value=f.value, inline=f.inline)
    if spec.footer:
        embed.set_footer(text=spec.footer)
    return embed


def to_item(button: Button, row: int) -> discord.ui.Item[Any]:
    if button.url:
        return discord.ui.Button(
            style=ButtonStyle.link, label=button.label or None, url=button.url, emoji=button.emoji, row=row
        )
    item: discord.ui.Button[Any] = discord.ui.Button(
        style=getattr(ButtonStyle, button.style, ButtonStyle.secondary),
        label=button.label or None,
        emoji=button.emoji,
        custom_id=button.custom_id,
        row=row,
    )
    for dynamic in (FeedbackButton, SwapButton, MoreButton):
        if dynamic.__discord_ui_compiled_template__.fullmatch(button.custom_id or ""):
            return dynamic(item)
    return item


def to_view(rows: tuple[Row, ...]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for number, row in enumerate(rows):
        for button in row:
            view.add_item(to_item(button, number))
    return view


def to_kwargs(spec: MessageSpec, edit: bool = False) -> dict[str, Any]:
    """Keyword arguments for `send` / `followup.send` (or, with `edit`, `edit_message`)."""
    kwargs: dict[str, Any] = {}
    if spec.content or edit:
        kwargs["content"] = spec.content or None
    if spec.embeds or edit:
        kwargs["embeds"] = [to_embed(e) for e in spec.embeds]
    if spec.rows:
        kwargs["view"] = to_view(spec.rows)
    elif edit:
        kwargs["view"] = None
    return kwargs


def spec_of(message: discord.Message) -> MessageSpec:
    """What the bot needs to know of a message it sent earlier: its embeds and buttons."""
    embeds = tuple(
        EmbedSpec(
            title=e.title or "",
            description=e.description or "",
            fields=tuple(Field(f.name or "", f.value or "", bool(f.inline)) for f in e.fields),
            footer=e.footer.text or "",
            colour=e.colour.value if e.colour is not None else None,
        )
        for e in message.embeds
    )
    rows: list[Row] = []
    for component in message.components:
        if not isinstance(component, discord.ActionRow):
            continue
        row = tuple(
            Button(
                label=c.label or "",
                custom_id=c.custom_id,
                url=c.url,
                emoji=str(c.emoji) if c.emoji else None,
                style=c.style.name,
            )
            for c in component.children
            if isinstance(c, discord.components.Button)
        )
        if row:
            rows.append(row)
    return MessageSpec(message.content, embeds, tuple(rows))


async def send_specs(
    interaction: discord.Interaction, specs: list[MessageSpec], ephemeral: bool = False
) -> None:
    """Reply to an interaction with one or more messages (the first as the response when possible)."""
    for spec in specs:
        if interaction.response.is_done():
            await interaction.followup.send(**to_kwargs(spec), ephemeral=ephemeral)
        else:
            await interaction.response.send_message(**to_kwargs(spec), ephemeral=ephemeral)


def _match(pattern: re.Pattern[str], custom_id: str) -> re.Match[str]:
    match = pattern.fullmatch(custom_id)
    assert match is not None  # discord.py only routes matching ids here
    return match


class FeedbackButton(discord.ui.DynamicItem[discord.ui.Button], template=FEEDBACK_ID):
    """👍 / 👎 under an answer: thanks the member, then logs the vote."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FeedbackButton:
        return cls(cast(discord.ui.Button, item))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("Services", interaction.client)
        match = _match(FEEDBACK_ID, self.custom_id)
        vote: Vote = "up" if match["vote"] == "up" else "down"
        await interaction.response.send_message(
            bot.presenter.text("feedback.discord.j2", vote=vote), ephemeral=True
        )
        try:
            known = await asyncio.to_thread(bot.feedback.vote, match["answer"], interaction.user.id, vote)
        except sqlite3.Error as exc:
            log.warning("Could not log feedback on answer %s: %s", match["answer"], exc)
            return
        if not known:
            log.info("Feedback on an answer missing from the log: %s", match["answer"])


class SwapButton(discord.ui.DynamicItem[discord.ui.Button], template=SWAP_ID):
    """Easier / Harder under an exercise card: swaps in the regression or progression in place."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SwapButton:
        return cls(cast(discord.ui.Button, item))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("Services", interaction.client)
        match = _match(SWAP_ID, self.custom_id)
        way = cast(Way, match["way"])
        message = interaction.message
        swapped = bot.presenter.swap(spec_of(message), match["slug"], way) if message else None
        if swapped is not None:
            await interaction.response.edit_message(**to_kwargs(swapped, edit=True))
            return
        # The card is gone from the catalog or no longer fits the message: show the version on its own.
        old = bot.coach.catalog.exercises.get(match["slug"])
        slug = (old.easier if way == "easier" else old.harder) if old else None
        target = bot.coach.catalog.exercises.get(slug or "")
        if target is None:
            text = bot.presenter.text("exercise_not_found.discord.j2", asked=match["slug"].replace("-", " "))
            await interaction.response.send_message(text, ephemeral=True)
            return
        await send_specs(interaction, bot.presenter.exercise(target), ephemeral=True)


class MoreButton(discord.ui.DynamicItem[discord.ui.Button], template=MORE_ID):
    """ "More sources" under an answer: every passage of the answer in full, to the member who asked."""

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> MoreButton:
        return cls(cast(discord.ui.Button, item))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("Services", interaction.client)
        await send_specs(interaction, bot.presenter.more(self.custom_id), ephemeral=True)
