"""Answers, exercise cards and lists as Discord message specs; every text comes from `prompts/`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from bot.coach import Coach
from bot.discord_app.answering import Answered
from bot.discord_app.layout import (
    Block,
    Button,
    EmbedSpec,
    Field,
    MessageSpec,
    pack,
    problems,
    text_messages,
    truncate,
)
from bot.models import Exercise, Passage

Way = Literal["easier", "harder"]

GREEN = 0x2E7D32
GREY = 0x607D8B
AMBER = 0xF9A825
RED = 0xC62828
CARD = 0x1565C0

FEEDBACK_ID = re.compile(r"coach:fb:(?P<vote>up|down):(?P<answer>[0-9a-f]{1,64})")
SWAP_ID = re.compile(r"coach:ex:(?P<way>easier|harder):(?P<slug>[a-z0-9-]{1,80})")
THREAD_NAME = 100
LINKS = 5


def feedback_id(vote: str, answer_id: str) -> str:
    return f"coach:fb:{vote}:{answer_id}"


def swap_id(way: str, slug: str) -> str:
    return f"coach:ex:{way}:{slug}"


def asked(message: MessageSpec) -> str | None:
    """The question a bot message answers: the title of an answer's first embed (answers carry 👍 / 👎)."""
    rated = any(b.custom_id and FEEDBACK_ID.fullmatch(b.custom_id) for row in message.rows for b in row)
    if rated and message.embeds and message.embeds[0].title:
        return message.embeds[0].title
    return None


class Presenter:
    """Renders through the coach's templates, so a re-index that changes them is picked up."""

    def __init__(self, coach: Coach) -> None:
        self.coach = coach

    def text(self, template: str, /, **data: Any) -> str:
        return self.coach.loaded.templates.render(template, **data)

    def label(self, key: str, /, **data: Any) -> str:
        return self.text("label.discord.j2", key=key, **data)

    # -- answers -------------------------------------------------------------------------------
    def answer(self, answered: Answered) -> list[MessageSpec]:
        """An answer as one message (more when it is long): the short answer with its numbered sources,
        👍 / 👎, links to the articles, and one card per suggested exercise."""
        a = answered.answer
        votes: tuple[Button, ...] = (
            Button(emoji="👍", custom_id=feedback_id("up", answered.answer_id)),
            Button(emoji="👎", custom_id=feedback_id("down", answered.answer_id)),
        )
        if not a.answered:
            refused = EmbedSpec(
                title=a.question, description=self.text("not_covered.discord.j2"), colour=GREY
            )
            return pack([Block((refused,), (votes,))])
        colour = GREEN if a.safety is None else RED if a.safety.emergency else AMBER
        main = EmbedSpec(
            title=a.question,
            description=self.text(
                "answer.discord.j2",
                safety=a.safety,
                sentences=a.sentences,
                see_also=a.see_also,
                passages=a.passages,
            ),
            fields=tuple(
                Field(self.label("source", p=p), self.text("passage.discord.j2", p=p)) for p in a.passages
            ),
            footer=self.text("disclaimer.discord.j2"),
            colour=colour,
        )
        links = self.links(a.passages)
        rows = (votes, links) if links else (votes,)
        cards = [self.card(s.exercise, s.reason) for s in a.exercises]
        return pack([Block((main,), rows), *cards])

    def links(self, passages: Sequence[Passage]) -> tuple[Button, ...]:
        """A link button for each cited article whose URL is known."""
        seen: dict[str, Button] = {}
        for p in passages:
            url = p.article.url
            if url and url not in seen and len(seen) < LINKS:
                seen[url] = Button(label=self.label("open", article=p.article), url=url, style="link")
        return tuple(seen.values())

    def thread_name(self, question: str) -> str:
        return truncate(" ".join(self.label("thread", question=question).split()), THREAD_NAME)

    # -- exercise cards ------------------------------------------------------------------------
    def card(self, exercise: Exercise, reason: str = "") -> Block:
        """An exercise card with its Easier / Harder buttons."""
        embed = EmbedSpec(
            title=exercise.name,
            description=self.coach.card(exercise, "discord", reason=reason),
            colour=CARD,
        )
        row = self.swap_row(exercise)
        return Block((embed,), (row,) if row else ())

    def swap_row(self, exercise: Exercise) -> tuple[Button, ...]:
        catalog = self.coach.catalog.exercises
        out = []
        for way, slug in (("easier", exercise.easier), ("harder", exercise.harder)):
            target = catalog.get(slug or "")
            if target is not None:
                out.append(
                    Button(
                        label=self.label(way, ex=target),
                        custom_id=swap_id(way, exercise.slug),
                        style="primary",
                    )
                )
        return tuple(out)

    def exercise(self, exercise: Exercise) -> list[MessageSpec]:
        return pack([self.card(exercise)])

    def swap(self, message: MessageSpec, slug: str, way: Way) -> MessageSpec | None:
        """`message` with the card of `slug` replaced by its easier or harder version, or None when
        that card, or its version, is not there any more (or the result would not fit)."""
        catalog = self.coach.catalog.exercises
        old = catalog.get(slug)
        target = catalog.get((old.easier if way == "easier" else old.harder) or "") if old else None
        if old is None or target is None:
            return None
        embeds = list(message.embeds)
        at = next((i for i, e in enumerate(embeds) if e.colour == CARD and e.title == old.name), None)
        if at is None:
            return None
        embeds[at] = self.card(target).embeds[0]
        by_name = {ex.name: ex for ex in catalog.values()}
        rows = [r for r in message.rows if not any(b.custom_id and SWAP_ID.fullmatch(b.custom_id) for b in r)]
        shown: set[str] = set()
        for e in embeds:
            ex = by_name.get(e.title) if e.colour == CARD else None
            if ex is not None and ex.slug not in shown:
                shown.add(ex.slug)
                row = self.swap_row(ex)
                if row:
                    rows.append(row)
        swapped = MessageSpec(message.content, tuple(embeds), tuple(rows))
        return None if problems(swapped) else swapped

    # -- lists ---------------------------------------------------------------------------------
    def sources(self) -> list[MessageSpec]:
        articles = list(self.coach.loaded.index.articles.values())
        return text_messages(self.text("sources.discord.j2", articles=articles))

    def help(self) -> list[MessageSpec]:
        return text_messages(self.coach.help_text("discord"))
