"""The batcher (concurrent questions share one call, off the event loop) and the cooldown."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.discord_app.batching import Batcher
from bot.discord_app.limits import Cooldown


@pytest.mark.asyncio
async def test_items_submitted_together_share_one_call_in_a_worker_thread() -> None:
    calls: list[list[int]] = []
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def work(items: list[int]) -> list[int]:
        calls.append(items)
        threads.append(threading.get_ident())
        return [i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(work, window=0.01)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(12)))

    assert results == [i * 10 for i in range(12)]
    assert calls == [list(range(12))]
    assert threads and loop_thread not in threads


@pytest.mark.asyncio
async def test_items_arriving_during_work_form_the_next_batch() -> None:
    calls: list[list[str]] = []
    started = threading.Event()
    release = threading.Event()

    def work(items: list[str]) -> list[str]:
        calls.append(items)
        started.set()
        release.wait(5)
        return [s.upper() for s in items]

    batcher: Batcher[str, str] = Batcher(work, window=0)
    first = asyncio.ensure_future(batcher.submit("a"))
    await asyncio.to_thread(started.wait, 5)
    later = [asyncio.ensure_future(batcher.submit(s)) for s in "bcd"]
    await asyncio.sleep(0.01)
    release.set()

    assert await first == "A" and [await f for f in later] == ["B", "C", "D"]
    assert calls == [["a"], ["b", "c", "d"]]


@pytest.mark.asyncio
async def test_a_failed_batch_fails_each_of_its_submitters_and_the_next_one_runs() -> None:
    def work(items: list[int]) -> list[int]:
        if 0 in items:
            raise ValueError("boom")
        return items

    batcher: Batcher[int, int] = Batcher(work, window=0.005, max_size=2)
    outcomes = await asyncio.gather(*(batcher.submit(i) for i in range(4)), return_exceptions=True)

    assert [type(o) for o in outcomes[:2]] == [ValueError, ValueError]
    assert outcomes[2:] == [2, 3]  # max_size split them; the second batch was unaffected


def test_cooldown_is_a_sliding_window_per_member() -> None:
    now = [100.0]
    cooldown = Cooldown(rate=2, per=10, clock=lambda: now[0])
    assert cooldown.hit(1) == 0 and cooldown.hit(1) == 0
    assert cooldown.hit(1) == pytest.approx(10)
    assert cooldown.hit(2) == 0  # another member is not slowed down
    now[0] = 104.0
    assert cooldown.hit(1) == pytest.approx(6)
    now[0] = 110.0
    assert cooldown.hit(1) == 0  # the first question has left the window


def test_a_zero_second_cooldown_never_waits() -> None:
    cooldown = Cooldown(rate=1, per=0)
    assert all(cooldown.hit(1) == 0 for _ in range(5))
