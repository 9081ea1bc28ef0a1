"""Questions arriving together are answered together: one thread hop and one batched encoding."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Collects items submitted within `window` seconds and hands them to `work` in one call.

    `work` is blocking (it embeds and searches), so it runs in a worker thread via `asyncio.to_thread`
    and the event loop keeps serving Discord meanwhile. Items that arrive while a batch is being worked
    on form the next batch. An exception `work` returns in an item's place is raised to that item's
    submitter only; an exception `work` raises is raised to every submitter of that batch.
    """

    def __init__(
        self,
        work: Callable[[list[T]], Sequence[R | BaseException]],
        window: float = 0.005,
        max_size: int = 32,
    ):
        self.work = work
        self.window = window
        self.max_size = max_size
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run(), name="coach: answer batch")
        return await future

    async def _run(self) -> None:
        await asyncio.sleep(self.window)
        while self._pending:
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            live = [(item, future) for item, future in batch if not future.done()]
            if not live:
                continue
            try:
                results = await asyncio.to_thread(self.work, [item for item, _ in live])
            except Exception as exc:
                for _, future in live:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(live, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
