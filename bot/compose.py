"""Answers from hits, exercises and safety, rendered through the Jinja2 templates in `prompts/`.

User text is only ever data given to a template, never a template itself, and the environment is
sandboxed with StrictUndefined so a missing variable fails loudly instead of printing nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bot.models import Answer, Article, Passage, Safety, Sentence, Suggestion

MIN_SENTENCE_WORDS = 5
LIST_MARK = re.compile(r"^(?:[-*•]|\d+[.)])\s+")


class TemplateError(Exception):
    """A template is missing or broken."""


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

    def render(self, name: str, /, **data: Any) -> str:
        from jinja2 import TemplateError as JinjaError

        try:
            text = self.env.get_template(name).render(**data)
        except JinjaError as exc:
            raise TemplateError(f"template {name} failed: {exc}") from exc
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def key_sentences(
    passages: Sequence[Passage],
    spans: Sequence[tuple[str, int, int]],
    scores: np.ndarray,
    margin: float | None = None,
) -> tuple[list[Sentence], list[int]]:
    """The short answer: the best-scoring sentence of each passage, in passage order, so markers run
    1, 2, 3; and the ranks of the passages left to a "see also".

    `spans` are (article id, start, end) sentence spans of the article bodies and `scores` how well
    each sums up the answer. With a `margin`, the summary stops at the first passage whose best
    sentence scores more than `margin` below the best one: that passage and the ones after it are
    cited as "see also" instead of lending the answer a sentence that does not answer it. A passage
    with no full sentence of its own contributes its opening.
    """
    picked: list[tuple[float, Sentence]] = []
    for p in passages:
        best: tuple[float, int, int] | None = None
        for i, (aid, start, end) in enumerate(spans):
            if aid != p.article.id or start < p.start or end > p.end:
                continue
            text = p.article.body[start:end]
            if text.startswith("#") or len(text.split()) < MIN_SENTENCE_WORDS:
                continue
            if best is None or scores[i] > best[0]:
                best = (float(scores[i]), start, end)
        text = p.text.split("\n")[0] if best is None else p.article.body[best[1] : best[2]]
        score = -np.inf if best is None else best[0]
        picked.append((score, Sentence(text=LIST_MARK.sub("", text.strip()), citation=p.rank)))
    if margin is None or not picked:
        return [s for _, s in picked], []
    top = max(score for score, _ in picked)
    keep = next((i for i, (score, _) in enumerate(picked) if i and score < top - margin), len(picked))
    return [s for _, s in picked[:keep]], [s.citation for _, s in picked[keep:]]


def compose(
    templates: Templates,
    question: str,
    history: Sequence[str],
    answered: bool,
    passages: Sequence[Passage],
    sentences: Sequence[Sentence],
    suggestions: Sequence[Suggestion],
    safety: Safety | None,
    articles: Sequence[Article],
    see_also: Sequence[int] = (),
) -> Answer:
    """The finished answer: structured fields plus the Markdown text shown in the terminal."""
    if safety is not None:
        suggestions = ()
    if not answered:
        passages, sentences, suggestions, see_also = (), (), (), ()
    # A red-flag question is always answered: the referral is the answer, passages only if covered.
    answered = answered or safety is not None
    titles = {a.id: a.title for a in articles}
    suggestions = [
        replace(
            s,
            reason=templates.render(
                "reason.j2",
                concern=s.concern,
                citation=s.citation,
                source=titles.get(s.exercise.sources[0].article_id) if s.exercise.sources else None,
            ),
        )
        for s in suggestions
    ]
    data = {
        "question": question,
        "safety": safety,
        "passages": passages,
        "sentences": sentences,
        "see_also": see_also,
    }
    if answered:
        text = templates.render("answer.md.j2", exercises=suggestions, **data)
    else:
        text = templates.render("not_covered.md.j2", titles=list(titles.values()), **data)
    return Answer(
        question=question,
        answered=answered,
        passages=tuple(passages),
        sentences=tuple(sentences),
        see_also=tuple(see_also),
        exercises=tuple(suggestions),
        safety=safety,
        text=text,
        history=tuple(history),
    )
