"""Article -> chunks: split on headings, then on sentences, bounded by the model's token limit.

Every chunk is the verbatim slice `article.body[start:end]`; together the chunks cover the whole body,
and neighbouring chunks in a section share `overlap` sentences.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.models import Article, Chunk

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by white space, or at a line
# break: list items, headings and paragraphs never run together.
# Titles and Latin abbreviations end in a full stop but not a sentence ("Dr. Uhan", "e.g. squats").
NOT_AN_END = "".join(
    rf"(?<!\b{re.escape(a)})"
    for a in ("Dr.", "Mr.", "Mrs.", "Ms.", "St.", "Prof.", "vs.", "e.g.", "i.e.", "approx.", "No.")
)
SENTENCE_END = re.compile(rf"{NOT_AN_END}(?<=[.!?…])[\"'”’)\]]*[^\S\n]+(?=\S)|\n+")
CLAUSE_END = re.compile(r"(?<=[,;:–—])\s+")

TokenCounter = Callable[[str], int]


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True)
class Section:
    heading: str
    start: int
    end: int


def sections(body: str) -> list[Section]:
    """The body cut at Markdown headings; text before the first heading has an empty heading."""
    marks = [(m.start(), m.group(2).strip()) for m in HEADING.finditer(body)]
    if not marks or marks[0][0] > 0:
        marks.insert(0, (0, ""))
    out = []
    for (start, heading), nxt in zip(marks, [*marks[1:], (len(body), "")], strict=True):
        if body[start : nxt[0]].strip():
            out.append(Section(heading, start, nxt[0]))
    return out


def _trim(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _split(text: str, pattern: re.Pattern[str], start: int, end: int) -> list[Span]:
    spans, pos = [], start
    for m in pattern.finditer(text, start, end):
        if (span := _trim(text, pos, m.start())) is not None:
            spans.append(span)
        pos = m.end()
    if (span := _trim(text, pos, end)) is not None:
        spans.append(span)
    return spans


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentence (and line) spans of `text[start:end]`, stripped of surrounding white space."""
    return _split(text, SENTENCE_END, start, len(text) if end is None else end)


def _fit(text: str, span: Span, fits: Callable[[Span], bool]) -> list[Span]:
    """Cut a span that is too long on its own at clause, then word, boundaries."""
    if fits(span):
        return [span]
    for pattern in (CLAUSE_END, re.compile(r"\s+")):
        parts = _split(text, pattern, span.start, span.end)
        if len(parts) > 1:
            out: list[Span] = []
            for part in parts:
                if out and fits(Span(out[-1].start, part.end)):
                    out[-1] = Span(out[-1].start, part.end)
                else:
                    out.extend(_fit(text, part, fits) if not fits(part) else [part])
            return out
    # A single "word" longer than the limit: cut by characters.
    mid = (span.start + span.end) // 2
    return _fit(text, Span(span.start, mid), fits) + _fit(text, Span(mid, span.end), fits)


def embed_text(article_title: str, heading: str, text: str) -> str:
    """What is embedded for a chunk: its section heading, then the text.

    The article title is left out (it pulls every chunk of an article towards the same questions), so
    text before the first heading, whose heading is the title, is embedded on its own.
    """
    if heading and heading != article_title:
        return f"{heading}\n{text}"
    return text


def chunk_article(
    article: Article,
    count_tokens: TokenCounter,
    max_tokens: int,
    max_chars: int = 1000,
    overlap: int = 1,
) -> list[Chunk]:
    """Chunks of one article, each within `max_tokens` (as embedded) and `max_chars`."""
    body = article.body

    def fits_in(heading: str) -> Callable[[Span], bool]:
        def fits(span: Span) -> bool:
            piece = body[span.start : span.end]
            return (
                len(piece) <= max_chars
                and count_tokens(embed_text(article.title, heading, piece)) <= max_tokens
            )

        return fits

    chunks: list[Chunk] = []
    for section in sections(body):
        heading = section.heading or article.title
        fits = fits_in(heading)
        units: list[Span] = []
        for span in sentence_spans(body, section.start, section.end):
            units.extend(_fit(body, span, fits))
        first = 0
        while first < len(units):
            last = first
            while last + 1 < len(units) and fits(Span(units[first].start, units[last + 1].end)):
                last += 1
            start, end = units[first].start, units[last].end
            chunks.append(
                Chunk(
                    id=f"{article.id}#{start}-{end}",
                    article_id=article.id,
                    heading=heading,
                    start=start,
                    end=end,
                    text=body[start:end],
                )
            )
            if last + 1 >= len(units):
                break
            # Step back `overlap` sentences, as far as the next chunk still reaches past this one.
            nxt = max(first + 1, last + 1 - overlap)
            while nxt <= last and not fits(Span(units[nxt].start, units[last + 1].end)):
                nxt += 1
            first = nxt
    return chunks


def display_span(chunk: Chunk) -> tuple[int, int]:
    """The chunk span without a leading heading line (the heading is shown separately)."""
    m = HEADING.match(chunk.text)
    if m is None:
        return chunk.start, chunk.end
    rest = chunk.text[m.end() :]
    skipped = len(chunk.text) - len(rest.lstrip())
    if skipped >= len(chunk.text):
        return chunk.start, chunk.end
    return chunk.start + skipped, chunk.end
