"""Scale benchmark of retrieval: synthetic knowledge folders, answered with the hash test embedder.

The deterministic hash embedder (COACH_MODEL=hash) stands in for the model, so model encode time is
left out. For each size in --sizes (articles; 5 is the project's own knowledge/, a bigger size adds
synthetic articles recombined from the real ones' sentences, kept in .bench/corpus-N/) one row:

    articles, sentences, chunks    what the index holds
    build s                        `refresh` building the index, in its own process
    load+1st s                     importing the coach, loading the index and answering one question
    own ms, p90 ms                 each question's wall time minus the time inside `embedder.encode`
    peak MiB                       ru_maxrss of the process that loads and answers
    FAISS/q                        FAISS `search` calls per question (n/a where not counted)

then the per-question cost ratio of each size to the one before, then an ANN section (recall@10 and
search time of the index `make_faiss` picks for --ann-size random unit vectors), then a PNG chart.

Quick run: .venv/bin/python benchmarks/scale.py --sizes 5,1000 --no-ann
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
BENCH = ROOT / ".bench"
GENERATOR_VERSION = 1
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*$", re.MULTILINE)
# Lines that are Markdown structure rather than prose: headings, list items, quotes, tables, images.
NOT_PROSE = re.compile(r"(#|[-*+>|][ \t]|\d+[.)][ \t]|!\[)")
ANN_QUERIES = 200


def log(message: str) -> None:
    print(f"[scale] {message}", file=sys.stderr, flush=True)


# -- synthetic corpora ------------------------------------------------------------------------------
def knowledge_digest() -> str:
    """A hash of every file of the real knowledge folder: a copy made from older files is redone."""
    digest = hashlib.sha256()
    for path in sorted(p for p in KNOWLEDGE.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(KNOWLEDGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sources() -> tuple[list[str], list[str], float]:
    """The real articles' prose sentences, their section headings and their mean body length."""
    from bot.chunking import sentence_spans
    from bot.knowledge import load_articles

    articles, _ = load_articles(KNOWLEDGE / "articles")
    sentences = []
    headings = []
    for article in articles:
        body = article.body
        headings.extend(HEADING.findall(body))
        for span in sentence_spans(body):
            text = body[span.start : span.end]
            if not NOT_PROSE.match(text):
                sentences.append(text)
    mean_chars = statistics.mean(len(a.body) for a in articles)
    return sentences, headings, mean_chars


def synthetic_article(number: int, sentences: list[str], headings: list[str], mean_chars: float) -> str:
    """Article `number`: 3-6 sections of real sentences, drawn with `random.Random(number)`."""
    rng = random.Random(number)
    target = rng.uniform(0.5, 1.5) * mean_chars
    sections = rng.randint(3, 6)
    blocks: list[str] = []
    length = 0
    for n in range(1, sections + 1):
        blocks.append("## " + rng.choice(headings))
        length += len(blocks[-1]) + 2
        goal = target * n / sections
        paragraph: list[str] = []
        size = rng.randint(1, 4)
        written = 0
        while True:
            sentence = rng.choice(sentences)
            # Stop where the section ends closest to its share, so the mean length is the target's.
            if written and length + len(sentence) / 2 > goal:
                break
            paragraph.append(sentence)
            length += len(sentence) + 1
            written += 1
            if len(paragraph) == size:
                blocks.append(" ".join(paragraph))
                length += 1
                paragraph = []
                size = rng.randint(1, 4)
        if paragraph:
            blocks.append(" ".join(paragraph))
    body = "\n\n".join(blocks)
    return f'---\ntitle: "Synthetic article {number:05d}"\n---\n\n{body}\n'


def corpus(size: int) -> tuple[Path, float | None]:
    """The knowledge folder of `size` articles and the seconds spent generating it (None: reused)."""
    if size <= 5:
        return KNOWLEDGE, None
    folder = BENCH / f"corpus-{size}"
    marker = folder / "GENERATOR"
    stamp = f"generator {GENERATOR_VERSION}\nknowledge {knowledge_digest()}\n"
    if marker.is_file() and marker.read_text(encoding="utf-8") == stamp:
        return folder / "knowledge", None
    began = time.perf_counter()
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(KNOWLEDGE, folder / "knowledge")
    sentences, headings, mean_chars = sources()
    articles = folder / "knowledge" / "articles"
    for number in range(1, size - 4):
        text = synthetic_article(number, sentences, headings, mean_chars)
        (articles / f"synthetic-{number:05d}.md").write_text(text, encoding="utf-8")
    marker.write_text(stamp, encoding="utf-8")  # last, so an interrupted run is generated again
    return folder / "knowledge", time.perf_counter() - began


# -- children: each measurement in its own process ----------------------------------------------------
def peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child_build() -> dict[str, Any]:
    """Build the index of the configured knowledge folder, as `coach index` does."""
    from bot.coach import Coach
    from bot.config import Settings
    from bot.index import refresh

    began = time.perf_counter()
    settings = Settings()
    coach = Coach(settings)
    fresh = refresh(settings, coach.embedder)
    coach.adopt(fresh)  # what the coach derives from the build is stored with it
    seconds = time.perf_counter() - began
    return {
        "build_s": seconds,
        "articles": len(fresh.index.articles),
        "sentences": len(fresh.index.sentences),
        "chunks": len(fresh.index.chunks),
        "problems": len(fresh.problems),
        "peak_mib": peak_mib(),
    }


def questions(limit: int) -> list[str]:
    """The distinct questions of the eval sets (dev first, then the unseen sets), up to `limit`."""
    paths = [ROOT / "eval" / "dev.jsonl", *sorted((ROOT / "eval").glob("unseen-*.jsonl"))]
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    asked = [json.loads(line)["question"] for line in lines if line.strip()]
    return list(dict.fromkeys(asked))[:limit]


def child_answer(limit: int) -> dict[str, Any]:
    """Load the built index, answer one question, then time every question of the list."""
    asked = questions(limit)
    began = time.perf_counter()
    from bot.coach import Coach
    from bot.config import Settings

    coach = Coach(Settings())
    encoding = [0.0]
    encode = coach.embedder.encode

    def timed_encode(texts: Any) -> Any:
        start = time.perf_counter()
        try:
            return encode(texts)
        finally:
            encoding[0] += time.perf_counter() - start

    coach.embedder.encode = timed_encode  # type: ignore[method-assign]
    coach.ask(asked[0])
    load_first = time.perf_counter() - began
    own, encodes = [], []
    for question in asked:
        encoding[0] = 0.0
        start = time.perf_counter()
        coach.ask(question)
        spent = time.perf_counter() - start
        own.append((spent - encoding[0]) * 1000)
        encodes.append(encoding[0] * 1000)
    searches = getattr(coach.loaded.retriever, "faiss_searches", None)
    return {
        "load_first_s": load_first,
        "questions": len(asked),
        "own_ms": own,
        "own_median_ms": statistics.median(own),
        "own_p90_ms": p90(own),
        "encode_median_ms": statistics.median(encodes),
        "faiss_searches": searches,
        "faiss_per_question": searches / (len(asked) + 1) if isinstance(searches, int) else None,
        "peak_mib": peak_mib(),
    }


def child_recall(limit: int) -> dict[str, Any]:
    """Recall@10 of the built FAISS indexes against exact search, for the eval questions' vectors."""
    import numpy as np

    from bot.coach import Coach
    from bot.config import Settings

    coach = Coach(Settings())
    retriever = coach.loaded.retriever
    index = coach.loaded.index
    asked = questions(limit)
    vectors = np.ascontiguousarray(coach.embedder.encode([retriever.query_text(q) for q in asked]))
    out: dict[str, Any] = {}
    for name, faiss_index, path in (
        ("chunks", index.faiss, "chunks.npy"),
        ("sentences", index.sentence_faiss, "sentences.npy"),
    ):
        assert index.folder is not None
        matrix = np.load(index.folder / path, mmap_mode="r")
        k = min(len(matrix), coach.settings.dense_candidates)
        exact_scores = np.full((len(asked), 10), -np.inf, dtype=np.float32)
        exact_rows = np.zeros((len(asked), 10), dtype=np.int64)
        for lo in range(0, len(matrix), 100_000):  # exact top 10, block by block
            block = np.asarray(matrix[lo : lo + 100_000]) @ vectors.T
            scores = np.concatenate([exact_scores, block.T], axis=1)
            rows = np.concatenate(
                [exact_rows, np.arange(lo, lo + len(block))[None].repeat(len(asked), 0)], axis=1
            )
            best = np.argsort(-scores, axis=1)[:, :10]
            exact_scores = np.take_along_axis(scores, best, axis=1)
            exact_rows = np.take_along_axis(rows, best, axis=1)
        found = faiss_index.search(vectors, k)[1]
        # Recall by score, not by row: the synthetic articles repeat sentences, so many rows tie.
        tenth = exact_scores[:, -1] - 1e-5
        own, within = [], []
        for q, rows in enumerate(found):
            rows = rows[rows >= 0]
            cos = np.asarray(matrix[np.sort(rows)]) @ vectors[q] if len(rows) else np.zeros(0)
            order = np.argsort(np.argsort(rows))  # back to the order FAISS ranked them
            cos = cos[order] if len(rows) else cos
            own.append(min(10, int((cos[:10] >= tenth[q]).sum())) / 10)
            within.append(min(10, int((cos >= tenth[q]).sum())) / 10)
        out[name] = {
            "index": type(faiss_index).__name__,
            "recall10": float(np.mean(own)),
            "recall10_candidates": float(np.mean(within)),
            "candidates": k,
        }
    return out


def p90(values: list[float]) -> float:
    """The 90th percentile, nearest rank."""
    return sorted(values)[math.ceil(0.9 * len(values)) - 1]


def child_env(knowledge: Path, run_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
    env.update(
        COACH_KNOWLEDGE_DIR=str(knowledge),
        COACH_INDEX_DIR=str(run_dir / "index"),
        COACH_MODEL="hash",
        COACH_LOG_CLI="false",
        COACH_LOG_PATH=str(run_dir / "coach.sqlite3"),
        COACH_PROMPTS_DIR=str(ROOT / "prompts"),
        HF_HUB_OFFLINE="1",
    )
    return env


def run_child(args: list[str], env: dict[str, str], cwd: Path, timeout: float) -> tuple[dict | None, str]:
    """The JSON a child prints and its whole wall time in the result, or None and why it failed."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    began = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
        return None, f"timed out after {timeout:g} s\n{tail(stderr)}"
    if done.returncode != 0:
        return None, f"exit status {done.returncode}\n{tail(done.stderr)}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - began
    return result, ""


def tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def measure(size: int, questions_asked: int, timeout: float) -> dict[str, Any]:
    """One size: its corpus, the build child, then the load-and-answer child."""
    row: dict[str, Any] = {"size": size}
    knowledge, generated = corpus(size)
    row["corpus"] = str(knowledge)
    row["generate_s"] = generated
    if generated is not None:
        log(f"{size:,} articles: corpus generated in {generated:.1f} s")
    BENCH.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="run-", dir=BENCH) as tmp:
        run_dir = Path(tmp)
        env = child_env(knowledge, run_dir)
        asked = ["--questions", str(questions_asked)]
        steps = [  # (child, what it does, whether the row needs it)
            ("build", "building the index", True),
            ("answer", "loading and answering", True),
            ("recall", "FAISS recall against exact search", False),
        ]
        for child, doing, needed in steps:
            log(f"{size:,} articles: {doing}")
            row[child], error = run_child([child, *asked], env, run_dir, timeout)
            if row[child] is None:
                log(f"{size:,} articles: {child} failed, {error}")
                if needed:
                    row["failed"] = f"{child}: {error.splitlines()[0]}"
                    return row
    return row


# -- table -----------------------------------------------------------------------------------------------
HEADER = (
    f"{'articles':>9} {'sentences':>10} {'chunks':>9} {'build s':>9} {'load+1st s':>11} "
    f"{'own ms':>8} {'p90 ms':>8} {'peak MiB':>9} {'FAISS/q':>8}"
)


def table_row(row: dict[str, Any]) -> str:
    if row.get("failed"):
        return f"{row['size']:>9,} failed ({row['failed']})"
    build, answer = row["build"], row["answer"]
    per_question = answer["faiss_per_question"]
    searches = "n/a" if per_question is None else f"{per_question:.1f}"
    return (
        f"{build['articles']:>9,} {build['sentences']:>10,} {build['chunks']:>9,} {build['build_s']:>9.1f} "
        f"{answer['load_first_s']:>11.2f} {answer['own_median_ms']:>8.2f} {answer['own_p90_ms']:>8.2f} "
        f"{answer['peak_mib']:>9.0f} {searches:>8}"
    )


def ratio_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per-question cost of each size against the size before it."""
    lines = []
    for a, b in itertools.pairwise(rows):
        if a.get("failed") or b.get("failed"):
            lines.append(f"{a['size']:,} -> {b['size']:,} articles: n/a (a run failed)")
            continue
        articles = b["build"]["articles"] / a["build"]["articles"]
        cost = b["answer"]["own_median_ms"] / a["answer"]["own_median_ms"]
        lines.append(
            f"{articles:,.0f}x the articles ({a['build']['articles']:,} -> {b['build']['articles']:,}): "
            f"{cost:.1f}x per question"
        )
    return lines


# -- ANN ----------------------------------------------------------------------------------------------------
def unit_vectors(rng: Any, count: int, dim: int, block: int = 100_000) -> Any:
    import numpy as np

    out = np.empty((count, dim), dtype=np.float32)
    for start in range(0, count, block):
        rows = rng.standard_normal((min(block, count - start), dim), dtype=np.float32)
        rows /= np.linalg.norm(rows, axis=1, keepdims=True)
        out[start : start + len(rows)] = rows
    return out


def timed_each(search: Callable[[Any], Any], queries: Any) -> tuple[list[Any], list[float]]:
    """`search` of each query alone: the results and the milliseconds each took."""
    results, times = [], []
    for i in range(len(queries)):
        start = time.perf_counter()
        results.append(search(queries[i : i + 1]))
        times.append((time.perf_counter() - start) * 1000)
    return results, times


def ann(count: int, dim: int = 256) -> dict[str, Any]:
    """Recall@10 and search time of the index `make_faiss` picks for `count` random unit vectors."""
    import faiss
    import numpy as np

    from bot.config import Settings
    from bot.index import make_faiss

    settings = Settings()
    rng = np.random.default_rng(0)
    log(f"ANN: {count:,} random unit vectors")
    vectors = unit_vectors(rng, count, dim)
    queries = unit_vectors(rng, ANN_QUERIES, dim)
    log("ANN: building the index")
    began = time.perf_counter()
    index = make_faiss(vectors, settings)
    build_s = time.perf_counter() - began
    k = min(count, settings.dense_candidates)
    log("ANN: searching")
    found, ann_ms = timed_each(lambda q: index.search(q, k)[1][0], queries)
    exact, exact_ms = timed_each(
        lambda q: faiss.knn(q, vectors, 10, metric=faiss.METRIC_INNER_PRODUCT)[1][0], queries
    )
    top10 = [len(set(f[:10]) & set(e)) / 10 for f, e in zip(found, exact, strict=True)]
    among = [len(set(f) & set(e)) / 10 for f, e in zip(found, exact, strict=True)]
    return {
        "vectors": count,
        "dimension": dim,
        "queries": ANN_QUERIES,
        "index": type(index).__name__,
        "nlist": getattr(index, "nlist", None),
        "nprobe": getattr(index, "nprobe", None),
        "candidates": k,
        "build_s": build_s,
        "recall10": statistics.mean(top10),
        "recall10_rescored": statistics.mean(among),
        "search_median_ms": statistics.median(ann_ms),
        "exact_median_ms": statistics.median(exact_ms),
    }


def ann_lines(result: dict[str, Any]) -> list[str]:
    kind = result["index"]
    if result["nlist"] is not None:
        kind += f", nlist {result['nlist']:,}, nprobe {result['nprobe']}"
    k = result["candidates"]
    return [
        f"ANN: {result['vectors']:,} random unit vectors of {result['dimension']} dimensions, "
        f"{result['queries']} random queries, one at a time",
        f"  index      {kind}: built in {result['build_s']:.1f} s",
        f"  search     median {result['search_median_ms']:.2f} ms a query ({k} candidates); "
        f"exact search {result['exact_median_ms']:.2f} ms",
        f"  recall@10  {result['recall10']:.3f} (its own top 10); {result['recall10_rescored']:.3f} "
        f"(top 10 of its {k} candidates rescored exactly)",
    ]


def recall_lines(rows: list[dict[str, Any]]) -> list[str]:
    """Per size, the FAISS indexes' recall@10 on the eval questions against exact search."""
    out = []
    for row in rows:
        recall = row.get("recall")
        if not recall:
            continue
        parts = [
            f"{name} {r['index']} {r['recall10']:.3f} ({r['recall10_candidates']:.3f} within its {r['candidates']})"
            for name, r in recall.items()
            if isinstance(r, dict)
        ]
        out.append(f"recall@10, {row['size']:,} articles: " + "; ".join(parts))
    return ["FAISS against exact search, for the eval questions:", *out] if out else []


# -- chart ----------------------------------------------------------------------------------------------
def chart(rows: list[dict[str, Any]], path: Path) -> bool:
    """Own work per question and load + first answer against articles; False when nothing to draw."""
    good = [r for r in rows if not r.get("failed")]
    if not good:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    articles = [r["build"]["articles"] for r in good]
    fig, (own, load) = plt.subplots(1, 2, figsize=(9, 3.5), dpi=100)
    own.plot(articles, [r["answer"]["own_median_ms"] for r in good], marker="o", label="median")
    own.plot(articles, [r["answer"]["own_p90_ms"] for r in good], marker="s", label="p90")
    own.set_title("Own work per question")
    own.set_ylabel("ms")
    own.legend()
    load.plot(articles, [r["answer"]["load_first_s"] for r in good], marker="o")
    load.set_title("Load + first answer")
    load.set_ylabel("s")
    for ax in (own, load):
        ax.set_xscale("log")
        ax.set_ylim(bottom=0)  # from zero: a flat line reads as flat
        ax.set_xlabel("articles")
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


# -- entry point -------------------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,1000,10000,100000", help="comma list of article counts")
    parser.add_argument("--questions", type=int, default=200, help="most eval questions asked")
    parser.add_argument("--timeout", type=float, default=7200, help="seconds each child may take")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--chart", type=Path, default=ROOT / "benchmarks" / "scale.png")
    parser.add_argument("--ann-size", type=int, default=1_000_000, help="vectors of the ANN section")
    parser.add_argument("--no-ann", action="store_true", help="skip the ANN section")
    parser.add_argument("--generate-only", action="store_true", help="only make the corpora, timed")
    parser.add_argument("--child", choices=("build", "answer", "recall"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.child == "build":
        print(json.dumps(child_build()))
        return
    if args.child == "answer":
        print(json.dumps(child_answer(args.questions)))
        return
    if args.child == "recall":
        print(json.dumps(child_recall(args.questions)))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.generate_only:
        for size in sizes:
            _, seconds = corpus(size)
            done = "reused" if seconds is None else f"generated in {seconds:.1f} s"
            print(f"{size:>9,} articles: {done}")
        return
    rows = []
    if sizes:  # --sizes '' runs the ANN section alone
        print(HEADER, flush=True)
        for size in sizes:
            rows.append(measure(size, args.questions, args.timeout))
            print(table_row(rows[-1]), flush=True)
        ratios = ratio_lines(rows)
        if ratios:
            print("\n" + "\n".join(ratios))
        recalls = recall_lines(rows)
        if recalls:
            print("\n" + "\n".join(recalls))
    result = None
    if not args.no_ann:
        if rows:
            print()
        result = ann(args.ann_size)
        for line in ann_lines(result):
            print(line)
    if args.json:
        args.json.write_text(json.dumps({"sizes": rows, "ann": result}, indent=2) + "\n", encoding="utf-8")
    if chart(rows, args.chart):
        print(f"\nchart: {args.chart}")


if __name__ == "__main__":
    main()
