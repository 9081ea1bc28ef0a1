"""Pure message layout: embeds, buttons and the splitter that keeps every message inside Discord's limits.

Nothing here imports discord.py: a message is plain frozen data (`MessageSpec`), built by `present.py`
and turned into discord.py objects by `views.py`. `pack` is the splitter: it takes blocks (embeds that
belong with some rows of buttons) and returns as many messages as it takes to respect every limit.

Discord counts its limits in UTF-16 code units (an emoji outside the Basic Multilingual Plane counts
two), so every length here is `units(text)`, and a cut never falls inside an emoji or before the marks
and joiners that belong to the character in front of it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

CONTENT = 2000
TITLE = 256
DESCRIPTION = 4096
FIELD_NAME = 256
FIELD_VALUE = 1024
FIELDS = 25
FOOTER = 2048
EMBED_TOTAL = 6000
EMBEDS = 10
ROWS = 5
BUTTONS_PER_ROW = 5
LABEL = 80
CUSTOM_ID = 100

BLANK = "\u200b"  # a field name that renders as nothing, for the continuation of a long field
ELLIPSIS = "…"
BREAKS = ("\n\n", "\n", ". ", "; ", ", ", " ")
ZWJ = "\u200d"


@dataclass(frozen=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class EmbedSpec:
    title: str = ""
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""
    colour: int | None = None

    @property
    def size(self) -> int:
        """UTF-16 units Discord counts towards the 6,000 of a message."""
        return (
            units(self.title)
            + units(self.description)
            + units(self.footer)
            + sum(units(f.name) + units(f.value) for f in self.fields)
        )


@dataclass(frozen=True)
class Button:
    """A button: `url` makes it a link button, otherwise `custom_id` routes the click."""

    label: str = ""
    custom_id: str | None = None
    url: str | None = None
    emoji: str | None = None
    style: str = "secondary"


Row = tuple[Button, ...]


@dataclass(frozen=True)
class Block:
    """Embeds that must stay together with their rows of buttons (e.g. an exercise card and its
    Easier / Harder buttons). Rows go to the message holding the block's first embed."""

    embeds: tuple[EmbedSpec, ...] = ()
    rows: tuple[Row, ...] = ()


@dataclass(frozen=True)
class MessageSpec:
    content: str = ""
    embeds: tuple[EmbedSpec, ...] = ()
    rows: tuple[Row, ...] = ()

    @property
    def embed_size(self) -> int:
        return sum(e.size for e in self.embeds)


# -- text ------------------------------------------------------------------------------------------
def units(text: str) -> int:
    """The length of `text` as Discord counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    if len(text) * 2 <= limit:
        return len(text)
    used = 0  # a walk of at most `limit` characters, however long the text
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _continues(text: str, at: int) -> bool:
    """Whether `text[at]` belongs with the character before it (a cut between them would split what
    the reader sees as one character: an accent, a variation selector, a skin tone, a ZWJ sequence, a
    flag)."""
    ch, before = text[at], text[at - 1]
    if before == ZWJ or ch == ZWJ or unicodedata.category(ch) in ("Mn", "Mc", "Me"):
        return True
    if "\U0001f3fb" <= ch <= "\U0001f3ff" or "\U000e0020" <= ch <= "\U000e007f":  # skin tones, tags
        return True
    if _regional(ch) and _regional(before):  # a flag is a pair: count the indicators before it
        run = at
        while run > 0 and _regional(text[run - 1]):
            run -= 1
        return (at - run) % 2 == 1
    return False


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _hard_cut(text: str, at: int) -> int:
    """`at`, moved back to the start of the character cluster it would split (0 if that is the first)."""
    while 0 < at < len(text) and _continues(text, at):
        at -= 1
    return at


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` UTF-16 units, ending with an ellipsis when cut."""
    if units(text) <= limit:
        return text
    return text[: _hard_cut(text, _prefix(text, limit - 1))].rstrip() + ELLIPSIS


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 units, cut at the best break found in the second
    half of each piece: a paragraph, a line, a sentence, a clause, a word; a hard cut only as a last
    resort. Whitespace at the cuts is dropped; an empty text gives no piece."""
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    text = text.strip()
    while (end := _prefix(text, limit)) < len(text):
        window = text[: end + 1]
        cut = -1
        for mark in BREAKS:
            at = window.rfind(mark, end // 2)
            if at > 0:
                cut = at + (len(mark) if mark.strip() else 0)
                break
        if cut <= 0 or cut > end:
            cut = _hard_cut(text, end) or end or 1  # a cluster longer than the limit is cut after all
        head = text[:cut].rstrip()
        pieces.append(head)
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


# -- embeds ----------------------------------------------------------------------------------------
def fit_embed(embed: EmbedSpec) -> list[EmbedSpec]:
    """One embed as one or more embeds that each respect every per-embed limit.

    The title goes on the first piece, the footer on the last; a long description continues in further
    embeds; a long field value continues in further fields with a blank name; more than 25 fields, or
    more than 6,000 characters, continue in further embeds.
    """
    title = truncate(embed.title, TITLE)
    footer = truncate(embed.footer, FOOTER)
    parts = split_text(embed.description, DESCRIPTION) or [""]
    out = [
        EmbedSpec(title=title if i == 0 else "", description=p, colour=embed.colour)
        for i, p in enumerate(parts)
    ]
    fields: list[Field] = []
    for f in embed.fields:
        name = truncate(f.name.strip() or BLANK, FIELD_NAME)
        values = split_text(f.value, FIELD_VALUE) or [BLANK]
        fields.extend(Field(name if i == 0 else BLANK, v, f.inline) for i, v in enumerate(values))
    current = out[-1]
    for f in fields:
        added = units(f.name) + units(f.value)
        if len(current.fields) >= FIELDS or current.size + added > EMBED_TOTAL:
            out[-1] = current
            current = EmbedSpec(colour=embed.colour)
            out.append(current)
        current = replace(current, fields=(*current.fields, f))
    out[-1] = current
    if footer:
        if out[-1].size + units(footer) > EMBED_TOTAL:
            out.append(EmbedSpec(colour=embed.colour))
        out[-1] = replace(out[-1], footer=footer)
    return [e for e in out if e.size] or [out[0]]


def fit_row(row: Row) -> list[Row]:
    """A row of buttons as rows of at most five, labels and custom ids within their limits."""
    buttons = tuple(
        replace(b, label=truncate(b.label, LABEL))
        for b in row
        if not b.custom_id or units(b.custom_id) <= CUSTOM_ID
    )
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


# -- messages --------------------------------------------------------------------------------------
@dataclass
class _Draft:
    content: str = ""
    embeds: list[EmbedSpec] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(e.size for e in self.embeds)

    def empty(self) -> bool:
        return not (self.content or self.embeds or self.rows)

    def fits(self, embeds: Sequence[EmbedSpec], rows: int) -> bool:
        return (
            len(self.embeds) + len(embeds) <= EMBEDS
            and self.size + sum(e.size for e in embeds) <= EMBED_TOTAL
            and len(self.rows) + rows <= ROWS
        )

    def take_rows(self, rows: list[Row]) -> list[Row]:
        """Add as many of `rows` as fit; return the rest."""
        space = ROWS - len(self.rows)
        self.rows.extend(rows[:space])
        return rows[space:]

    def spec(self) -> MessageSpec:
        return MessageSpec(self.content, tuple(self.embeds), tuple(self.rows))


def pack(blocks: Iterable[Block], content: str = "") -> list[MessageSpec]:
    """The splitter: blocks laid out in as few messages as Discord's limits allow, in order.

    A block that fits in the current message goes there whole; one that does not starts a new message;
    one too big for any message is spread over several, its rows with its first embed.
    """
    messages: list[MessageSpec] = []
    texts = split_text(content, CONTENT)
    for text in texts[:-1]:
        messages.append(MessageSpec(content=text))
    draft = _Draft(content=texts[-1] if texts else "")

    def flush() -> None:
        nonlocal draft
        if not draft.empty():
            messages.append(draft.spec())
        draft = _Draft()

    for block in blocks:
        embeds = [piece for e in block.embeds for piece in fit_embed(e)]
        rows = [r for row in block.rows for r in fit_row(row) if r]
        if not draft.fits(embeds, len(rows)):
            flush()
        pending = rows
        for embed in embeds:
            if not draft.fits([embed], 0):
                flush()
            draft.embeds.append(embed)
            pending = draft.take_rows(pending)  # the rows ride with the block's first embed
        while pending:
            if len(draft.rows) == ROWS:
                flush()
            pending = draft.take_rows(pending)
    flush()
    return messages


def text_messages(text: str) -> list[MessageSpec]:
    """Plain text as messages of at most 2,000 UTF-16 units."""
    return [MessageSpec(content=piece) for piece in split_text(text, CONTENT)]


def problems(message: MessageSpec) -> list[str]:
    """Every Discord limit `message` breaks (empty when it can be sent as is), lengths in UTF-16 units."""
    out = []
    if units(message.content) > CONTENT:
        out.append("content longer than 2000")
    if len(message.embeds) > EMBEDS:
        out.append("more than 10 embeds")
    if message.embed_size > EMBED_TOTAL:
        out.append("embeds longer than 6000 in total")
    for i, e in enumerate(message.embeds):
        if units(e.title) > TITLE:
            out.append(f"embed {i}: title longer than 256")
        if units(e.description) > DESCRIPTION:
            out.append(f"embed {i}: description longer than 4096")
        if len(e.fields) > FIELDS:
            out.append(f"embed {i}: more than 25 fields")
        if units(e.footer) > FOOTER:
            out.append(f"embed {i}: footer longer than 2048")
        for j, f in enumerate(e.fields):
            if not f.name or units(f.name) > FIELD_NAME:
                out.append(f"embed {i} field {j}: name empty or longer than 256")
            if not f.value or units(f.value) > FIELD_VALUE:
                out.append(f"embed {i} field {j}: value empty or longer than 1024")
        if not e.size:
            out.append(f"embed {i}: empty")
    if len(message.rows) > ROWS:
        out.append("more than 5 rows of buttons")
    ids = [b.custom_id for row in message.rows for b in row if b.custom_id]
    if len(ids) != len(set(ids)):
        out.append("duplicate custom ids")
    for row in message.rows:
        if not row or len(row) > BUTTONS_PER_ROW:
            out.append("a row with no button or more than 5")
        for b in row:
            if units(b.label) > LABEL or (b.custom_id and units(b.custom_id) > CUSTOM_ID):
                out.append(f"button {b.label!r}: label or custom id too long")
    if not (message.content.strip() or message.embeds or message.rows):
        out.append("empty message")
    return out
