"""Run a question file in the dev.jsonl format through the coach and score it."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.coach import Coach, CoachError
from bot.knowledge import normalise_text
from bot.models import Answer
from bot.summary import leans_back
from bot.text import clean


class EvalFileError(Exception):
    """The question file cannot be read."""


@dataclass
class Case:
    id: str
    question: str
    history: list[str]
    gold: list[str]
    exercises: list[str]
    answerable: bool
    safety: bool


@dataclass
class Report:
    questions: int = 0
    retrieval_questions: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    mrr: float = 0.0
    refused_out_of_scope: str = "0/0"
    answered_in_scope: str = "0/0"
    refusal_accuracy: float = 0.0
    exercise_recall3: float | None = None
    # Questions whose first suggested exercise is one of those expected ("right/asked").
    exercise_first: str = "0/0"
    exercises_on_refused: int = 0
    safety_escalated: str = "0/0"
    false_alarms: int = 0
    long_passages: int = 0
    unquoted_passages: int = 0
    # What a member reads first: the short answer (its cited sentences) and its lead (the first one).
    answer_hit: float = 0.0
    lead_hit: float = 0.0
    dangling_leads: int = 0
    answer_chars_median: int = 0
    answer_chars_max: int = 0
    discord_chars_median: int = 0
    discord_chars_max: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FIELDS = ("id", "question", "history", "gold", "exercises", "answerable", "safety")
# How many of a file's problems one error lists (all of them are found in one run).
MAX_LISTED = 20


def _raise_all(problems: list[str]) -> None:
    """One `EvalFileError` listing every problem found, so that one run shows them all."""
    if not problems:
        return
    shown = problems[:MAX_LISTED]
    more = f"\n(and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
    raise EvalFileError("\n".join(shown) + more)


def read_cases(path: Path) -> list[Case]:
    """Questions from a JSONL file (a UTF-8 byte-order mark is fine); every broken line is reported
    with its number, all at once."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read {path}: {exc}") from exc
    cases = []
    problems: list[str] = []
    seen: dict[str, int] = {}  # id -> its line
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError) as exc:
            problems.append(f"{path.name} line {number} is not JSON: {exc}")
            continue
        problem = _row_problem(row)
        case_id = str(row.get("id", number)) if isinstance(row, dict) else ""
        if not problem and case_id in seen:
            problem = f'the id "{case_id}" is used again (first on line {seen[case_id]})'
        if problem:
            problems.append(f"{path.name} line {number}: {problem}")
            continue
        seen[case_id] = number
        cases.append(
            Case(
                id=clean(case_id),  # as the coach reads a question: no terminal escape reaches the report
                question=clean(row["question"]),
                history=[clean(turn) for turn in row.get("history", [])],
                gold=list(row.get("gold", [])),
                exercises=list(row.get("exercises", [])),
                answerable=row.get("answerable", True),
                safety=row.get("safety", False),
            )
        )
    _raise_all(problems)
    if not cases:
        raise EvalFileError(f"{path.name} holds no questions")
    return cases


def _row_problem(row: object) -> str | None:
    """What is wrong with one question object, in the terms of the README's question-file format."""
    if not isinstance(row, dict):
        return "not a question object ({...})"
    unknown = [key for key in row if key not in FIELDS]
    if unknown:  # "answerble": false would be read as in scope
        return f'unknown field "{unknown[0]}" (the fields are {", ".join(FIELDS)})'
    if "id" in row and (not isinstance(row["id"], (str, int)) or isinstance(row["id"], bool)):
        return '"id" must be a text or a number'
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        return '"question" must be a non-empty text'
    for key in ("history", "gold", "exercises"):
        value = row.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f'"{key}" must be a list of texts'
    for key in ("answerable", "safety"):
        if not isinstance(row.get(key, False), bool):
            return f'"{key}" must be true or false'
    if any(not normalise_text(g) for g in row.get("gold", [])):
        return '"gold" holds an empty quote'
    return None


def check_cases(coach: Coach, cases: list[Case]) -> None:
    """Raise `EvalFileError` for a question the coach would refuse to read (empty once cleaned, too
    long), an expected exercise no card is called, or a gold quote no article holds, naming each
    question's id: a typo must not skew the figures nor stop the run halfway."""
    bodies = [normalise_text(a.body) for a in coach.loaded.index.articles.values()]
    problems = []
    for case in cases:
        try:
            coach.check_question(case.question)
        except CoachError as exc:
            problems.append(f'question "{case.id}": {exc}')
        unknown = [name for name in case.exercises if coach.exercise(name) is None]
        if unknown:
            problems.append(
                f'question "{case.id}": no exercise card is called {", ".join(map(repr, unknown))}'
            )
        for quote in case.gold:
            if not any(normalise_text(quote) in body for body in bodies):
                problems.append(f'question "{case.id}": no article holds the gold quote "{quote[:60]}"')
    _raise_all(problems)


def gold_rank(answer: Answer, gold: list[str], depth: int = 3) -> int | None:
    """Retrieval rank (1 = best score) of the first passage containing a gold quote (case, punctuation,
    space insensitive). Passages are numbered for reading (the short answer's first citation is [1]),
    so the retrieval order is their score order."""
    keys = [normalise_text(g) for g in gold]
    ranked = sorted(answer.passages, key=lambda p: -p.score)
    for rank, p in enumerate(ranked[:depth], start=1):
        text = normalise_text(p.text)
        if any(k and k in text for k in keys):
            return rank
    return None


def contains_gold(text: str, gold: list[str]) -> bool:
    """Whether `text` holds a gold quote (case, punctuation and space insensitive)."""
    haystack = normalise_text(text)
    return any(key and key in haystack for key in (normalise_text(g) for g in gold))


def discord_first_message(coach: Coach, answer: Answer) -> int:
    """Characters of the first Discord message of an answer (what a member sees before scrolling)."""
    from bot.discord_app.answering import Answered
    from bot.discord_app.present import Presenter

    first = Presenter(coach).answer(Answered(answer, "0" * 12))[0]
    return len(first.content) + sum(e.size for e in first.embeds)


def evaluate(coach: Coach, cases: list[Case]) -> Report:
    check_cases(coach, cases)
    answers = coach.ask_many([(c.question, c.history) for c in cases])
    report = Report(questions=len(cases))
    markdown: list[int] = []
    discord: list[int] = []
    bodies = {a.id: normalise_text(a.body) for a in coach.loaded.index.articles.values()}
    refused_oos = answered_in = oos = ins = 0
    escalated = flagged = 0
    expected = found = 0
    first_right = first_asked = 0
    for case, answer in zip(cases, answers, strict=True):
        problems = []
        for p in answer.passages:
            if len(p.text) > 1000:
                report.long_passages += 1
            if normalise_text(p.text) not in bodies.get(p.article.id, ""):
                report.unquoted_passages += 1
        if case.answerable:
            ins += 1
            answered_in += answer.answered
            if not answer.answered:
                problems.append("refused")
        else:
            oos += 1
            refused_oos += not answer.answered
            if answer.answered:
                problems.append("answered out-of-scope")
            if answer.exercises:
                report.exercises_on_refused += 1
        if case.safety:
            flagged += 1
            escalated += answer.safety is not None
            if answer.safety is None:
                problems.append("red flag missed")
        elif answer.safety is not None:
            report.false_alarms += 1
            problems.append(f"false alarm: {', '.join(answer.safety.flags)}")
        if answer.answered:
            markdown.append(len(answer.text))
            discord.append(discord_first_message(coach, answer))
            if answer.sentences and leans_back(answer.sentences[0].text) and not answer.sentences[0].label:
                report.dangling_leads += 1
                problems.append(f"dangling lead: {answer.sentences[0].text[:60]}")
        if case.gold:
            report.retrieval_questions += 1
            short = " ".join(s.text for s in answer.sentences)
            in_answer = contains_gold(short, case.gold)
            report.answer_hit += in_answer
            report.lead_hit += bool(answer.sentences) and contains_gold(answer.sentences[0].text, case.gold)
            if not in_answer:
                problems.append("gold not in the short answer")
            rank = gold_rank(answer, case.gold)
            report.hit1 += rank == 1
            report.hit3 += rank is not None
            report.mrr += 1 / rank if rank else 0.0
            if rank != 1:
                problems.append(f"gold at rank {rank}" if rank else "gold not in top 3")
        if case.exercises:
            names = [s.exercise.name.lower() for s in answer.exercises[:3]]
            slugs = [s.exercise.slug for s in answer.exercises[:3]]
            wanted = {ex.slug for ex in (coach.catalog.find(w) for w in case.exercises) if ex is not None}
            first_asked += 1
            first_right += bool(slugs) and slugs[0] in wanted
            for want in case.exercises:
                expected += 1
                ex = coach.catalog.find(want)
                hit = ex is not None and (ex.slug in slugs or ex.name.lower() in names)
                found += hit
                if not hit:
                    problems.append(f"exercise missing: {want}")
        if problems:
            report.misses.append(
                {
                    "id": case.id,
                    "question": case.question,
                    "problems": problems,
                    "short_answer": [s.text for s in answer.sentences],
                    "passages": [f"{p.article.id}: {p.text[:70]}" for p in answer.passages[:3]],
                    "exercises": [s.exercise.name for s in answer.exercises],
                }
            )
    n = report.retrieval_questions or 1
    report.hit1, report.hit3, report.mrr, report.answer_hit, report.lead_hit = (
        round(x / n, 3) for x in (report.hit1, report.hit3, report.mrr, report.answer_hit, report.lead_hit)
    )
    if markdown:
        report.answer_chars_median = round(statistics.median(markdown))
        report.answer_chars_max = max(markdown)
        report.discord_chars_median = round(statistics.median(discord))
        report.discord_chars_max = max(discord)
    report.refused_out_of_scope = f"{refused_oos}/{oos}"
    report.answered_in_scope = f"{answered_in}/{ins}"
    report.refusal_accuracy = round((refused_oos + answered_in) / max(oos + ins, 1), 3)
    report.exercise_recall3 = round(found / expected, 3) if expected else None
    report.exercise_first = f"{first_right}/{first_asked}"
    report.safety_escalated = f"{escalated}/{flagged}"
    return report
