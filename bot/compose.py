"""Answers from hits, exercises and safety, rendered through the Jinja2 templates in `prompts/`.

User text is only ever data given to a template, never a template itself, and the environment is
sandboxed with StrictUndefined so a missing variable fails loudly instead of printing nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot import summary
from bot.models import Answer, Article, Coverage, Passage, Safety, Sentence, Suggestion

MAX_TITLES = 5  # article titles a "not covered" answer names


class TemplateError(Exception):
    """A template is missing or broken."""


def source_label(p: Passage) -> str:
    """How a source is named on one line: its article's title, and the section when it has one."""
    return (
        f"{p.article.title} — {p.heading}" if p.heading and p.heading != p.article.title else p.article.title
    )


def by_label(passages: Sequence[Passage]) -> list[tuple[list[int], str]]:
    """Passages' ranks grouped under their one-line label, in order of first appearance: "[3], [4]
    Weak Hips and Glutes", not the same title twice."""
    groups: dict[str, list[int]] = {}
    for p in passages:
        groups.setdefault(source_label(p), []).append(p.rank)
    return [(ranks, label) for label, ranks in groups.items()]


class Templates:
    """The prompts folder as a sandboxed Jinja2 environment."""

    def __init__(self, folder: Path) -> None:
        from jinja2 import FileSystemLoader, StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        if not folder.is_dir():
            raise TemplateError(f"templates folder not found: {folder} (set COACH_PROMPTS_DIR)")
        self.folder = folder
        self.env = SandboxedEnvironment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )
        # A leaning pair is one verbatim slice of the article, which may span a paragraph break: in the
        # short answer it reads as one line, like the sentences around it.
        self.env.filters["oneline"] = lambda text: " ".join(str(text).split())
        self.env.filters["by_label"] = by_label

    def render(self, name: str, /, **data: Any) -> str:
        from jinja2 import TemplateError as JinjaError

        try:
            text = self.env.get_template(name).render(**data)
        except JinjaError as exc:
            raise TemplateError(f"template {name} failed: {exc}") from exc
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def cited_first(
    passages: Sequence[Passage], sentences: Sequence[Sentence], suggestions: Sequence[Suggestion]
) -> tuple[list[Passage], list[Sentence], list[Suggestion]]:
    """Passages renumbered so the short answer's markers run 1, 2, 3 in reading order: the passages it
    cites first, then the others in their order; citations follow."""
    order = list(dict.fromkeys([*(s.citation for s in sentences), *(p.rank for p in passages)]))
    new = {old: rank for rank, old in enumerate(order, start=1)}
    by_rank = {p.rank: p for p in passages}
    return (
        [replace(by_rank[old], rank=new[old]) for old in order if old in by_rank],
        [replace(s, citation=new[s.citation]) for s in sentences],
        [replace(s, citation=new.get(s.citation)) if s.citation else s for s in suggestions],
    )


def compose(
    templates: Templates,
    question: str,
    history: Sequence[str],
    answered: bool,
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    suggestions: Sequence[Suggestion],
    safety: Safety | None,
    articles: Mapping[str, Article],
    see_also: Sequence[int] = (),
    shown: Sequence[Passage] = (),
    coverage: Coverage | None = None,
    left_out: Sequence[str] = (),
) -> Answer:
    """The finished answer: structured fields and the Markdown a member reads (the short answer, the
    passages it cites trimmed to the sentences around the cited ones, a "See also" line, compact
    exercise suggestions); `full_markdown` renders every passage in full on request."""
    if safety is not None:
        # A red flag stands alone: the referral and why, no training passage or exercise under it.
        passages, sentences, suggestions, see_also, shown = (), (), (), (), ()
    if not answered:
        passages, sentences, suggestions, see_also, shown = (), (), (), (), ()
    # A red-flag question is always answered: the referral is the answer.
    answered = answered or safety is not None
    suggestions = [
        replace(
            s,
            reason=templates.render(
                "reason.j2",
                concern=s.concern,
                named=s.named,
                discussed=s.discussed,
                citation=s.citation,
                source=a.title
                if s.exercise.sources and (a := articles.get(s.exercise.sources[0].article_id))
                else None,
            ),
        )
        for s in suggestions
    ]
    by_rank = {p.rank: p for p in passages}
    # "How many sets?" that no passage found answers with a number: the first card's dose, said to be
    # the club's guidance, not the articles'.
    card_dose = (
        suggestions[0]
        if suggestions
        and suggestions[0].exercise.dose
        and summary.asks_for_numbers(question)
        and not summary.gives_numbers([*(s.text for s in sentences), *(p.text for p in passages)])
        else None
    )
    left_out = tuple(left_out) if answered and safety is None else ()
    data = {
        "left_out": left_out,
        "question": question,
        "safety": safety,
        "sentences": sentences,
        "see_also": [by_rank[r] for r in see_also if r in by_rank],
        "card_dose": card_dose,
    }
    if answered:
        text = templates.render("answer.md.j2", exercises=suggestions, passages=shown, full=False, **data)
    else:
        # A few titles show what the library is about; a club library can hold thousands.
        titles = [a.title for a in itertools.islice(articles.values(), MAX_TITLES)]
        more = len(articles) - len(titles)
        text = templates.render(
            "not_covered.md.j2", titles=titles, more=more, passages=passages, coverage=coverage, **data
        )
    return Answer(
        question=question,
        answered=answered,
        passages=tuple(passages),
        sentences=tuple(sentences),
        see_also=tuple(see_also),
        shown=tuple(shown),
        exercises=tuple(suggestions),
        safety=safety,
        text=text,
        history=tuple(history),
        coverage=coverage,
        card_dose=card_dose,
        left_out=left_out,
    )


def full_markdown(templates: Templates, answer: Answer) -> str:
    """The answer with every passage in full and every exercise with its cue (`coach ask --full`)."""
    if not answer.answered or answer.safety is not None:
        return answer.text
    return templates.render(
        "answer.md.j2",
        question=answer.question,
        safety=answer.safety,
        sentences=answer.sentences,
        see_also=[],
        exercises=answer.exercises,
        passages=answer.passages,
        full=True,
        card_dose=answer.card_dose,
        left_out=answer.left_out,
    )
