"""Answers, exercise cards and lists as Discord message specs; every text comes from `prompts/`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from bot.chunking import sections
from bot.coach import Coach
from bot.discord_app.answering import Answered
from bot.discord_app.layout import (
    CUSTOM_ID,
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
# "More sources": each passage of the answer as <article hash>.<start>.<end> (base 36), so a click
# shows the same verbatim passages after a restart, and nothing if the article has changed since.
MORE_ID = re.compile(
    r"coach:more:(?P<refs>[0-9a-f]{8}\.[0-9a-z]{1,6}\.[0-9a-z]{1,6}(?:_[0-9a-f]{8}\.[0-9a-z]{1,6}\.[0-9a-z]{1,6})*)"
)
REF = re.compile(r"(?P<key>[0-9a-f]{8})\.(?P<start>[0-9a-z]+)\.(?P<end>[0-9a-z]+)")
KEY = 8
THREAD_NAME = 100
LINKS = 5


def feedback_id(vote: str, answer_id: str) -> str:
    return f"coach:fb:{vote}:{answer_id}"


def swap_id(way: str, slug: str) -> str:
    return f"coach:ex:{way}:{slug}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def more_id(passages: Sequence[Passage]) -> str | None:
    """The custom id of a "More sources" button for `passages` (as many as fit in Discord's 100)."""
    out = "coach:more:"
    refs: list[str] = []
    for p in passages:
        ref = f"{p.article.content_hash[:KEY]}.{_base36(p.start)}.{_base36(p.end)}"
        if len(out) + len("_".join([*refs, ref])) > CUSTOM_ID:
            break
        refs.append(ref)
    return out + "_".join(refs) if refs else None


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
                title=a.question,
                description=self.text("not_covered.discord.j2", coverage=a.coverage),
                colour=GREY,
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
                card_dose=a.card_dose,
                left_out=a.left_out,
            ),
            fields=self.source_fields(a.shown),
            footer=self.text("disclaimer.discord.j2"),
            colour=colour,
        )
        more = more_id(a.passages) if len(a.passages) > len({p.rank for p in a.shown}) or a.see_also else None
        if more is not None:
            votes = (*votes, Button(label=self.label("more"), custom_id=more))
        links = self.links(a.passages)
        rows = (votes, links) if links else (votes,)
        cards = [self.card(s.exercise, s.reason, compact=True) for s in a.exercises]
        return pack([Block((main,), rows), *cards])

    def source_fields(self, passages: Sequence[Passage]) -> tuple[Field, ...]:
        """One field per cited passage; excerpts of the same passage share it, "…" between them."""
        fields: list[Field] = []
        last = None
        for p in passages:
            text = self.text("passage.discord.j2", p=p)
            if fields and last == p.rank:
                fields[-1] = Field(fields[-1].name, f"{fields[-1].value}\n> …\n{text}")
            else:
                fields.append(Field(self.label("source", p=p), text))
            last = p.rank
        return tuple(fields)

    def more(self, custom_id: str) -> list[MessageSpec]:
        """Every passage of an answer in full, from the refs of its "More sources" button."""
        match = MORE_ID.fullmatch(custom_id)
        articles = {a.content_hash[:KEY]: a for a in self.coach.loaded.index.articles.values()}
        passages = []
        for rank, ref in enumerate(REF.finditer(match["refs"] if match else ""), start=1):
            article = articles.get(ref["key"])
            start, end = int(ref["start"], 36), int(ref["end"], 36)
            if article is None or not 0 <= start < end <= len(article.body):
                continue
            heading = next((s.heading for s in sections(article.body) if s.start <= start < s.end), "")
            passages.append(Passage(rank, article.body[start:end], article, heading or "", 0.0, start, end))
        if not passages:
            return text_messages(self.text("sources_changed.discord.j2"))
        embed = EmbedSpec(
            title=self.label("more"),
            fields=tuple(
                Field(self.label("source", p=p), self.text("passage.discord.j2", p=p)) for p in passages
            ),
            colour=GREY,
        )
        return pack([Block((embed,), (self.links(passages),) if self.links(passages) else ())])

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
    def card(self, exercise: Exercise, reason: str = "", compact: bool = False) -> Block:
        """An exercise card with its Easier / Harder buttons; `compact` keeps to the reason, the cue and
        the dose (the steps are on the full card, behind those buttons and `/exercise`)."""
        embed = EmbedSpec(
            title=exercise.name,
            description=self.coach.card(exercise, "discord", reason=reason, compact=compact),
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
