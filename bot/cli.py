"""The `coach` command line: a thin typer adapter over the coach facade."""

from __future__ import annotations

import contextlib
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import click
import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from bot.coach import Coach
    from bot.config import Settings
    from bot.models import Answer

app = typer.Typer(
    help="Stride Coach: cited answers from the club's strength-training articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)  # one-line messages stay one line


def settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "COACH_" + str(first["loc"][0]).upper() if first.get("loc") else "a setting"
        fail(f"invalid setting {name}: {first['msg']}")


def fail(message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]Error:[/] {escape(str(message))}", highlight=False)
    raise typer.Exit(code)


@contextmanager
def clean_errors() -> Iterator[None]:
    """Turn the errors a user can fix into one line and a non-zero exit code."""
    from bot.coach import CoachError
    from bot.compose import TemplateError
    from bot.evaluate import EvalFileError

    try:
        yield
    except (CoachError, TemplateError, EvalFileError) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)


def make_coach(config: Settings) -> Coach:
    from bot.coach import Coach

    return Coach(config, notify=lambda message: err.print(f"[dim]{escape(message)}[/]", highlight=False))


def answer_json(answer: Answer) -> dict[str, Any]:
    """The machine form of an answer (stable keys)."""
    return {
        "question": answer.question,
        "answered": answer.answered,
        "passages": [
            {
                "rank": p.rank,
                "text": p.text,
                "article": {
                    "id": p.article.id,
                    "title": p.article.title,
                    "author": p.article.author,
                    "url": p.article.url,
                },
                "heading": p.heading,
                "score": p.score,
            }
            for p in answer.passages
        ],
        "exercises": [
            {
                "name": s.exercise.name,
                "aliases": list(s.exercise.aliases),
                "reason": s.reason,
                "citation": s.citation,
                "steps": list(s.exercise.steps),
                "cue": s.exercise.cue,
                "dosage": s.exercise.dose,
                "easier": s.exercise.easier,
                "harder": s.exercise.harder,
            }
            for s in answer.exercises
        ],
        "safety": answer.safety is not None,
        "text": answer.text,
        "short_answer": [
            {"text": s.text, "citation": s.citation, "label": s.label or None} for s in answer.sentences
        ],
        # What decided "covered or not": the closest passage, the not-covered topic and their scores.
        "coverage": None if answer.coverage is None else asdict(answer.coverage),
        # Not-covered topics that a part of the question asked about, said to be not covered.
        "left_out": list(answer.left_out),
    }


class QuestionLog:
    """Questions asked from the command line go to the same log as the bot's, with no member."""

    def __init__(self, config: Settings, enabled: bool) -> None:
        self.log = None
        if enabled and config.log_cli:
            from bot.feedback import FeedbackLog

            self.log = FeedbackLog.from_settings(config)

    def __call__(self, answer: Answer) -> None:
        import sqlite3

        if self.log is None:
            return
        try:
            self.log.record([(None, answer)], source="cli")
        except (sqlite3.Error, OSError) as exc:  # the answer matters more than its log line
            err.print(f"Could not log the question to {self.log.path}: {exc}", highlight=False, markup=False)
            self.log = None


NO_LOG = typer.Option("--no-log", help="Don't add this question to the question log (`coach report`).")


def json_line(obj: dict[str, Any]) -> str:
    """One JSON line; U+2028 and U+2029 escaped too, so no reader splits it."""
    return json.dumps(obj, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def read_item(raw: bytes, limit: int) -> tuple[str, list[str]]:
    """One line of standard input as (question, history); a `ValueError` says what is wrong with it."""
    from bot.text import decode

    if len(raw) > 4 * limit:
        raise ValueError(f"the line is longer than {limit:,} characters")
    line = decode(raw.rstrip(b"\r\n")).strip()
    if len(line) > limit:
        raise ValueError(f"the line is longer than {limit:,} characters")
    if not line:
        raise ValueError("the line is empty")
    if not line.startswith("{"):
        return line, []
    try:
        row = json.loads(line)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at character {exc.pos})") from None
    question = row.get("question") if isinstance(row, dict) else None
    history = row.get("history", []) if isinstance(row, dict) else None
    if not isinstance(question, str) or not isinstance(history, list):
        raise ValueError('expected {"question": "text", "history": ["earlier question", ...]}')
    if not all(isinstance(h, str) for h in history):
        raise ValueError("every history item must be text")
    return question, history


def _ask_stream(coach: Coach, limit: int, logged: QuestionLog) -> int:
    """Answer standard input as JSON lines: read a line, answer it, flush, go on. Lines are split on
    "\n" only and every line in gives exactly one line out, in order; a line that cannot be answered
    gives an `{"error": ...}` object. The model loads once, before the first line."""
    from bot.coach import CoachError

    _ = coach.loaded
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            question, history = read_item(raw, limit)
        except ValueError as exc:
            print(json_line({"question": None, "error": f"line {number}: {exc}"}), flush=True)
            continue
        try:
            answer = coach.ask(question, history)
        except CoachError as exc:
            print(json_line({"question": question, "error": str(exc)}), flush=True)
            continue
        except Exception as exc:  # one line never costs the others their answers
            err.print(f"line {number}: {type(exc).__name__}: {exc}", highlight=False, markup=False)
            print(json_line({"question": question, "error": f"could not answer: {exc}"}), flush=True)
            continue
        print(json_line(answer_json(answer)), flush=True)
        logged(answer)
    return 0


@app.command()
def ask(
    question: Annotated[
        str, typer.Argument(help='The question, or "-" to read one per line from standard input.')
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (one object per line for stdin).")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Show every source in full and every exercise with its cue.")
    ] = False,
    no_log: Annotated[bool, NO_LOG] = False,
) -> None:
    """Ask a question and get an answer quoted from the articles."""
    with clean_errors():
        config = settings()
        coach = make_coach(config)
        logged = QuestionLog(config, not no_log)
        if question == "-":
            raise typer.Exit(_ask_stream(coach, config.max_line_chars, logged))
        answer = coach.ask(question)
        logged(answer)
        if as_json:
            print(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            out.print(Markdown(coach.full_text(answer) if full else answer.text))


QUIT = frozenset({"exit", "quit", ":q", "bye"})
RETIRED_SHOWN = 12  # words `coach index` names when removed articles take words out of the library


@app.command()
def chat(no_log: Annotated[bool, NO_LOG] = False) -> None:
    """Talk with the coach in the terminal; follow-up questions use the conversation."""
    from bot.coach import CoachError, Conversation

    with clean_errors():
        config = settings()
        coach = make_coach(config)
        logged = QuestionLog(config, not no_log)
        _ = coach.loaded  # load before the first prompt, not during it
        conversation = Conversation(max_turns=config.history_turns)
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")  # a stray byte is a U+FFFD, not the end of the chat
        out.print(
            "[bold]Stride Coach[/] — ask about strength training for running. "
            "Type exit or quit (or press Ctrl-D) to end.",
            soft_wrap=True,
        )
        while True:
            try:
                question = out.input("[bold cyan]you>[/] ")
            except EOFError:
                out.print()
                break
            if not sys.stdin.isatty():  # piped in: show what was asked, as a terminal echoes it
                out.print(question, markup=False, highlight=False, soft_wrap=True)
            if not question.strip():
                continue
            if question.strip().lower() in QUIT:
                break
            try:
                answer = coach.ask(question, conversation.history)
            except CoachError as exc:
                err.print(f"[red]{escape(str(exc))}[/]", highlight=False)
                continue
            conversation.add(answer.question)
            logged(answer)
            out.print(Markdown(answer.text))
            out.print()


@app.command()
def index(
    force: Annotated[bool, typer.Option("--force", help="Re-embed every article.")] = False,
) -> None:
    """Build or update the index; only new and changed articles are embedded."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from bot.index import refresh
    from bot.knowledge import KnowledgeError

    config = settings()
    with clean_errors():
        coach = make_coach(config)
        with Progress(
            TextColumn("Embedding articles"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("embed", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            try:
                fresh = refresh(config, coach.embedder, force=force, progress=progress)
            except KnowledgeError as exc:
                fail(str(exc))
        # What the coach derives from the build (the embeddings of concerns and not-covered topics)
        # is worked out now and stored with it, not at the first question.
        unread = next((p for p in fresh.problems if p.path == config.articles_dir), None)
        if unread is not None:
            fail(f"nothing indexed: {unread}")
        loaded = coach.adopt(fresh)
        blocked = [p for p in fresh.problems if p.path == config.index_dir]
        for problem in fresh.problems:
            label = "Warning:" if problem in blocked else "Skipped"
            err.print(f"[yellow]{label}[/] {escape(str(problem))}", highlight=False)
        for problem in loaded.problems[len(fresh.problems) :]:  # a card left out of every answer
            err.print(f"[yellow]Warning:[/] exercise card {escape(str(problem))}", highlight=False)
        manifest = fresh.index.manifest
        articles = len(manifest["articles"])
        chunks = sum(a["chunks"] for a in manifest["articles"].values())
        if fresh.report is None and blocked:
            fail(
                f"the index in {config.index_dir} could not be updated; it holds {articles} articles, {chunks} chunks"
            )
        if fresh.report is None:
            out.print(f"Index is up to date: {articles} articles, {chunks} chunks.")
            return
        r = fresh.report
        out.print(
            f"Indexed {r.articles} articles, {r.chunks} chunks: {len(r.added)} added, {len(r.changed)} changed, "
            f"{len(r.removed)} removed, {r.unchanged} unchanged"
            + (
                f" ({again} embedded again)"
                if (again := r.embedded - len(r.added) - len(r.changed)) > 0
                else ""
            )
            + f" in {r.seconds:.1f} s."
        )
        for label, ids in (("added", r.added), ("changed", r.changed), ("removed", r.removed)):
            if ids:
                out.print(f"  {label}: {', '.join(ids)}", markup=False)
        if r.retired:
            shown = ", ".join(r.retired[:RETIRED_SHOWN]) + (", ..." if len(r.retired) > RETIRED_SHOWN else "")
            out.print(
                f"  {len(r.retired)} words no article uses any more ({shown}): "
                "questions about them are now refused",
                highlight=False,
                markup=False,
            )


@app.command()
def sources(
    as_json: Annotated[bool, typer.Option("--json", help="Print the articles as JSON lines.")] = False,
) -> None:
    """List the articles the coach answers from, with their chunk counts."""
    with clean_errors():
        coach = make_coach(settings())
        loaded = coach.loaded
        counts = {aid: meta["chunks"] for aid, meta in loaded.index.manifest["articles"].items()}
        rows = [
            {
                "id": a.id,
                "title": a.title,
                "author": a.author,
                "url": a.url,
                "chunks": counts.get(a.id, 0),
            }
            for a in loaded.index.articles.values()
        ]
    if as_json:
        for row in rows:
            print(json_line(row))
        return
    # The id is what `coach check --chunks ID` takes: never cut; the other columns wrap instead.
    table = Table(expand=False)
    table.add_column(
        "id", no_wrap=True, overflow="ignore", min_width=max((len(r["id"]) for r in rows), default=2)
    )
    table.add_column("title", overflow="fold", ratio=3)
    extra = [key for key in ("author", "url") if any(r[key] for r in rows)]  # only columns with something
    for key in extra:
        table.add_column("link" if key == "url" else key, overflow="fold", ratio=1)
    table.add_column("chunks", justify="right", no_wrap=True)
    for r in rows:
        table.add_row(*(escape(str(r[key] or "")) for key in ("id", "title", *extra)), str(r["chunks"]))
    out.print(table)


@app.command()
def exercises(
    name: Annotated[
        str | None, typer.Argument(help="Show one exercise card (aliases and small typos work).")
    ] = None,
) -> None:
    """List the exercise catalog, or show one exercise card."""
    with clean_errors():
        coach = make_coach(settings())
        catalog = coach.catalog
        if name is None:
            table = Table("exercise", "level", "helps with", "easier", "harder")
            for ex in sorted(catalog.exercises.values(), key=lambda e: e.name.lower()):
                easier = catalog.exercises[ex.easier].name if ex.easier else ""
                harder = catalog.exercises[ex.harder].name if ex.harder else ""
                table.add_row(*map(escape, (ex.name, ex.level, ", ".join(ex.concerns[:3]), easier, harder)))
            out.print(table)
            return
        exercise = coach.exercise(name)
        if exercise is None:
            fail(f"no exercise called {name!r}; run `coach exercises` for the list")
        out.print(Markdown(coach.card(exercise)))


@app.command(name="eval")
def evaluate_file(
    path: Annotated[Path, typer.Argument(help="Questions in the dev.jsonl format (see the README).")] = Path(
        "eval/dev.jsonl"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Score the coach on a question file: retrieval (hit@1, hit@3, MRR), what a member reads (answer
    hit, lead hit, dangling leads, answer lengths), refusals, exercises and red flags."""
    from bot.evaluate import evaluate, read_cases

    with clean_errors():
        cases = read_cases(path)
        coach = make_coach(settings())
        report = evaluate(coach, cases)
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
        return
    table = Table("figure", "value", title=f"{path.name}: {report.questions} questions")
    figures = report.as_dict()
    for key, value in figures.items():
        if key != "misses":
            table.add_row(key.replace("_", " "), "n/a" if value is None else str(value))
    out.print(table)
    for miss in report.misses:
        out.print(f"[bold]{escape(str(miss['id']))}[/] {escape(str(miss['question']))}", highlight=False)
        out.print(f"   [yellow]{escape('; '.join(miss['problems']))}[/]", highlight=False)


@app.command()
def add(
    paths: Annotated[
        list[Path], typer.Argument(help="Article files: .md with front matter, or .txt (first line = title).")
    ],
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace an existing file; accept a title clash or near-duplicate."),
    ] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Accept the title a .txt file proposes without asking.")
    ] = False,
) -> None:
    """Validate articles, copy them into the knowledge folder and update the index."""
    from bot.maintain import AddError, draft, newly_covered, read_source, remove_topics, write

    config = settings()
    added = 0
    failed = 0
    for path in paths:
        try:
            title = None
            if path.suffix.lower() == ".txt":
                _, proposed = read_source(path, config.max_article_bytes)
                title = proposed
                if not yes:
                    try:
                        title = typer.prompt(f"Title for {path.name}", default=proposed or "")
                    except (typer.Abort, click.exceptions.Abort):  # no terminal to answer: a script or CI
                        raise AddError(
                            f"{path.name}: the title of a .txt file needs confirming ({proposed!r} is "
                            "proposed): run this in a terminal, or add --yes to accept it"
                        ) from None
            d = draft(path, config, title=title, force=force)
        except AddError as exc:
            failed += 1
            err.print(f"[bold red]Not added:[/] {escape(str(exc))}", highlight=False)
            continue
        write(d)
        added += 1
        out.print(f"Added {d.source.name} as {d.target} ({d.title!r}).", highlight=False, markup=False)
        covered = newly_covered(config, d.target)
        for topic, article in covered:
            err.print(
                f"Note: knowledge/not-covered.yaml lists {topic!r}, but {article.path.name} covers it; "
                "questions naming it are refused while it is listed (add --yes, or answer yes below, "
                "to remove it).",
                highlight=False,
                markup=False,
            )
        topics = list(dict.fromkeys(topic for topic, _ in covered))
        if topics and (yes or (sys.stdin.isatty() and typer.confirm(f"Remove {topics} from the list?"))):
            for topic in remove_topics(config, topics):
                out.print(
                    f"Removed {topic!r} from knowledge/not-covered.yaml.", highlight=False, markup=False
                )
    if added:
        index(force=False)
    if failed:
        raise typer.Exit(1)


@app.command()
def check(
    chunks: Annotated[
        str | None, typer.Option("--chunks", help="Show how this article (id or file) splits into chunks.")
    ] = None,
) -> None:
    """Lint the knowledge folder and exercise catalog; exits non-zero on errors (for CI)."""
    from bot.maintain import check as lint

    config = settings()
    if chunks is not None:
        _show_chunks(config, chunks)
        return
    problems = lint(config)
    for problem in problems:
        err.print(f"[red]✗[/] {escape(str(problem))}", highlight=False)
    if problems:
        fail(f"{len(problems)} problem(s) in {config.knowledge_dir}")
    out.print(f"[green]✓[/] {escape(str(config.knowledge_dir))}: articles and exercise catalog are valid.")


def _show_chunks(config: Settings, name: str) -> None:
    from bot.chunking import chunk_article, embed_text
    from bot.embedding import make_embedder, use_stored_model
    from bot.index import IndexUnusable, chunk_params, load
    from bot.knowledge import load_articles
    from bot.models import Problem

    with clean_errors():
        articles, _ = load_articles(config.articles_dir) if config.articles_dir.is_dir() else ([], [])
    article = next((a for a in articles if name in (a.id, a.path.name)), None)
    if article is None:
        path = Path(name)
        if path.is_file():
            from bot.knowledge import load_article

            loaded = load_article(path)
            if isinstance(loaded, Problem):
                fail(str(loaded))
            article = loaded
        else:
            fail(f"no article {name!r} in {config.articles_dir}")
    embedder = make_embedder(config.model, config.backend)
    with contextlib.suppress(IndexUnusable):  # count with the model the index stores: no export
        use_stored_model(embedder, load(config.index_dir, config.model))
    params = chunk_params(config, embedder)
    pieces = chunk_article(article, embedder.count_tokens, **params)
    table = Table(
        "#",
        "heading",
        "chars",
        "tokens",
        "starts",
        title=f"{article.title}: {len(pieces)} chunks (limit {params['max_tokens']} tokens)",
    )
    for i, c in enumerate(pieces, start=1):
        tokens = embedder.count_tokens(embed_text(article.title, c.heading, c.text))
        table.add_row(
            str(i), escape(c.heading), str(len(c.text)), str(tokens), escape(c.text[:60].replace("\n", " "))
        )
    out.print(table)


@app.command()
def config() -> None:
    """Print the effective settings (the Discord token masked)."""
    current = settings()
    table = Table("setting", "value", "environment variable")
    for name, value in current.model_dump().items():
        shown = value
        if name == "discord_token":
            shown = "(not set)" if value is None else "********"
            env = "DISCORD_TOKEN"
        else:
            env = f"COACH_{name.upper()}"
        table.add_row(name, str(shown), env)
    out.print(table)


@app.command()
def health() -> None:
    """Exit 0 when the running bot is connected and its heartbeat is fresh (for HEALTHCHECK)."""
    from bot.health import check_heartbeat

    config = settings()
    problem = check_heartbeat(config.health_path, config.health_max_age)
    if problem:
        fail(problem)
    out.print("healthy")


@app.command()
def report(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows in each list.")] = 20,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Only questions from `discord` or `cli` (coach ask and chat)."),
    ] = None,
) -> None:
    """Show the questions the coach could not answer and the answers members rated 👎."""
    from bot.feedback import FeedbackLog

    if source not in (None, "discord", "cli"):
        fail(f"--source is discord or cli, not {source!r}")
    import sqlite3

    config = settings()
    try:
        found = FeedbackLog.from_settings(config).report(limit=limit, source=source)  # type: ignore[arg-type]
    except (sqlite3.Error, OSError) as exc:
        fail(f"cannot read the question log {config.log_path}: {exc}")
    if as_json:
        print(json.dumps(found.as_dict(), ensure_ascii=False, indent=1))
        return
    unanswered = Table("times", "question", "last asked", title="Unanswered questions")
    for u in found.unanswered:
        unanswered.add_row(str(u.count), escape(u.question), u.last_asked)
    disliked = Table("👎", "👍", "question", "answer ids", title="Answers rated 👎")
    for d in found.disliked:
        disliked.add_row(str(d.down), str(d.up), escape(d.question), escape(", ".join(d.answers)))
    out.print(unanswered if found.unanswered else "No unanswered questions logged.")
    out.print(disliked if found.disliked else "No answers rated 👎.")


@app.command()
def run() -> None:
    """Start the Discord bot (DISCORD_TOKEN from the environment or a .env file)."""
    from bot.discord_app.bot import run as run_bot

    config = settings()
    with clean_errors():
        run_bot(config)


def main() -> None:
    try:
        app()
    except PermissionError as exc:  # a folder or file the coach may not read: one line, not a traceback
        where = f" {exc.filename}" if exc.filename else ""
        err.print(
            f"[bold red]Error:[/] cannot read{escape(str(where))} ({escape(exc.strerror or str(exc))}): "
            "check its permissions.",
            highlight=False,
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
