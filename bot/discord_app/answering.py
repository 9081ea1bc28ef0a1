"""Answering questions for the bot: batched off the event loop, logged to the feedback log."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from bot.coach import Coach, CoachError
from bot.discord_app.batching import Batcher
from bot.feedback import FeedbackLog, new_answer_id
from bot.models import Answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Question:
    text: str
    history: tuple[str, ...]
    member: int


@dataclass(frozen=True)
class Answered:
    answer: Answer
    answer_id: str


class Answerer:
    """`await answerer.ask(question)`: concurrent questions share one `coach.ask_many` call."""

    def __init__(self, coach: Coach, feedback: FeedbackLog, window: float = 0.005) -> None:
        self.coach = coach
        self.feedback = feedback
        self.batcher: Batcher[Question, Answered] = Batcher(self._answer_batch, window=window)

    async def ask(self, text: str, history: Sequence[str], member: int) -> Answered:
        return await self.batcher.submit(Question(text, tuple(history), member))

    def _answer_batch(self, questions: list[Question]) -> list[Answered | CoachError]:
        """Runs in a worker thread: one batched encoding, then one write to the log. A bad question
        gets its own error; the others of the batch are answered."""
        results = self.coach.ask_each([(q.text, q.history) for q in questions])
        ids = [new_answer_id() for _ in results]
        entries = [
            (q.member, a, i)
            for q, a, i in zip(questions, results, ids, strict=True)
            if not isinstance(a, CoachError)
        ]
        try:
            self.feedback.record([(m, a) for m, a, _ in entries], [i for _, _, i in entries])
        except sqlite3.Error as exc:  # the answer matters more than its log line
            log.warning("Could not log %d question(s) to %s: %s", len(entries), self.feedback.path, exc)
        return [a if isinstance(a, CoachError) else Answered(a, i) for a, i in zip(results, ids, strict=True)]
