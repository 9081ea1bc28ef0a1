"""Fault tests for article parsing: bombs, oversized files and copies are skipped by name, never raised."""

import time
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.index import refresh
from bot.knowledge import MAX_YAML_ALIASES, load_article, load_articles, load_catalog
from bot.maintain import AddError, check, draft
from bot.models import Problem

runner = CliRunner()
GOOD = "---\ntitle: Hip Hinge Basics\n---\nThe hip hinge is the isolated movement of a stable trunk at the hip.\n"


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" front matter: 9 levels of 9 aliases expand to 9**9 strings (387 M)."""
    lines = ["---", "title: Hips", 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    previous = "a"
    for level in range(levels - 1):
        name = f"l{level}"
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * width) + "]")
        previous = name
    lines += [f"author: *{previous}", "---", "Body text about hips.", ""]
    return "\n".join(lines)


def test_an_alias_bomb_is_refused_at_once_by_name_and_the_rest_load(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD, encoding="utf-8")
    (folder / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    assert len(alias_bomb().encode()) < 2_000

    tracemalloc.start()
    began = time.perf_counter()
    articles, problems = load_articles(folder)
    seconds = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    assert [a.id for a in articles] == ["good"]
    assert [str(p) for p in problems] == [
        f"bomb.md: has front matter that was refused: it uses more than {MAX_YAML_ALIASES} YAML aliases "
        "(*name, line 5)"
    ]
    assert seconds < 2 and peak < 20_000_000


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ("title: Loop\nauthor: &a [*a]\n", "alias inside its own anchor"),
        ("title: Deep\nauthor: " + "[" * 5_000 + "]" * 5_000 + "\n", "nests deeper than 20 levels"),
        ("title: Keys\n1: one\n", None),  # a key that is not text: loads (python-frontmatter's Post did not)
        ("title: [unhashable]\n? [a, b]\n: c\n", "broken front matter"),
        ("title: Big\nauthor: " + "9" * 5_000 + "\n", "broken front matter"),
    ],
    ids=["recursive-alias", "deep-nesting", "number-key", "list-key", "huge-int"],
)
def test_hostile_front_matter_is_one_problem_naming_the_file(
    tmp_path: Path, front_matter: str, expected: str | None
) -> None:
    path = tmp_path / "hostile.md"
    path.write_text(f"---\n{front_matter}---\nBody text about hips.\n", encoding="utf-8")
    loaded = load_article(path)
    if expected is None:
        assert loaded.title == "Keys"  # type: ignore[union-attr]
    else:
        assert str(loaded).startswith("hostile.md: ") and expected in str(loaded)


def test_a_few_aliases_still_load(tmp_path: Path) -> None:
    path = tmp_path / "cards.md"
    path.write_text(
        "---\ntitle: &t Hip Hinge\nsubtitle: *t\nauthor: &who Jo\nreviewer: *who\n---\nBody.\n",
        encoding="utf-8",
    )
    assert load_article(path).author == "Jo"  # type: ignore[union-attr]


def test_an_alias_bomb_in_an_exercise_card_is_reported_and_the_catalog_loads(knowledge: Path) -> None:
    (knowledge / "exercises" / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    catalog, problems = load_catalog(knowledge / "exercises", load_articles(knowledge / "articles")[0])
    assert "hip-thrust" in catalog.exercises
    assert [p.path.name for p in problems] == ["bomb.md"] and "aliases" in problems[0].message


def test_an_article_over_the_size_limit_is_skipped_by_name(settings: Settings) -> None:
    limited = settings.model_copy(update={"max_article_bytes": 20_000})
    big = limited.articles_dir / "big.md"
    big.write_text(GOOD + "More about the hinge. " * 1_000, encoding="utf-8")
    articles, problems = load_articles(limited.articles_dir, max_bytes=limited.max_article_bytes)
    assert len(articles) == 5 and [str(p) for p in problems] == [
        f"big.md: is {big.stat().st_size:,} bytes; the limit is 20,000 (COACH_MAX_ARTICLE_BYTES)"
    ]
    fresh = refresh(limited, HashEmbedder(model_id="hash"))
    assert "big" not in fresh.index.articles and [p.path.name for p in fresh.problems] == ["big.md"]
    assert any("limit" in str(p) for p in check(limited))
    with pytest.raises(AddError, match=r"big\.md: is over 20,000 bytes"):
        draft(big, limited)


def test_coach_check_and_add_name_an_alias_bomb_quickly(env: Settings, tmp_path: Path) -> None:
    (env.articles_dir / "bomb.md").write_text(alias_bomb(), encoding="utf-8")
    began = time.perf_counter()
    checked = runner.invoke(app, ["check"])
    assert checked.exit_code == 1 and "bomb.md: has front matter that was refused" in checked.stderr
    (env.articles_dir / "bomb.md").unlink()

    source = tmp_path / "bomb.md"
    source.write_text(alias_bomb(), encoding="utf-8")
    added = runner.invoke(app, ["add", str(source)])
    assert added.exit_code == 1 and "bomb.md: has front matter that was refused" in added.stderr
    assert "Traceback" not in checked.output + added.output
    assert time.perf_counter() - began < 30
    assert not (env.articles_dir / "bomb.md").exists()


def copy_of(settings: Settings, original: str, name: str) -> Path:
    """A copy of an article under a new file name and a new title: the same text."""
    text = (settings.articles_dir / f"{original}.md").read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    lines = [line for line in head.splitlines() if not line.startswith("title:")]
    path = settings.articles_dir / name
    path.write_text(
        "\n".join([*lines, 'title: "A Copy With a New Title"']) + "\n---\n" + body, encoding="utf-8"
    )
    return path


def test_a_copy_never_pushes_the_indexed_original_out(settings: Settings) -> None:
    embedder = HashEmbedder(model_id="hash")
    refresh(settings, embedder)
    copy_of(settings, "weak-hips-and-glutes", "0-weak-hips-copy.md")  # first by file name

    fresh = refresh(settings, embedder)
    assert "weak-hips-and-glutes" in fresh.index.articles and "0-weak-hips-copy" not in fresh.index.articles
    assert [str(p) for p in fresh.problems] == [
        "0-weak-hips-copy.md: has the same text as weak-hips-and-glutes.md; skipped"
    ]
    _, catalog_problems = load_catalog(settings.exercises_dir, fresh.index.articles.values())
    assert catalog_problems == []  # no card "cites unknown article"

    again = refresh(settings, embedder)  # up to date: the skipped copy is still listed
    assert again.report is None and [p.path.name for p in again.problems] == ["0-weak-hips-copy.md"]
    assert [p.path.name for p in check(settings)] == ["0-weak-hips-copy.md"]


def test_without_an_index_the_first_copy_by_file_name_stays(settings: Settings) -> None:
    copy_of(settings, "weak-hips-and-glutes", "zz-copy.md")
    fresh = refresh(settings, HashEmbedder(model_id="hash"))
    assert "weak-hips-and-glutes" in fresh.index.articles
    assert [p.path.name for p in fresh.problems] == ["zz-copy.md"]


def test_coach_index_lists_skipped_files_on_every_run(env: Settings) -> None:
    assert runner.invoke(app, ["index"]).exit_code == 0
    copy_of(env, "weak-hips-and-glutes", "0-weak-hips-copy.md")
    for _ in range(2):
        result = runner.invoke(app, ["index"])
        assert result.exit_code == 0, result.output
        assert "0-weak-hips-copy.md: has the same text as weak-hips-and-glutes.md" in result.stderr
    assert "up to date" in result.stdout
    checked = runner.invoke(app, ["check"])
    assert "0-weak-hips-copy.md: has the same text" in checked.stderr and "weak-hips-and-glutes.md:" not in (
        checked.stderr
    )


def test_an_article_of_one_run_on_sentence_does_not_break_answers(settings: Settings) -> None:
    """A pasted paragraph with no full stop is one sentence longer than a passage may be: questions on
    its words are answered, from passages within the limit, not crashed."""
    from bot.coach import Coach

    run_on = "hamstring glute tendon calf " * 40
    (settings.articles_dir / "runon.md").write_text(
        f'---\ntitle: "Run On"\n---\n## Line\n\n{run_on}\n', encoding="utf-8"
    )
    coach = Coach(settings, embedder=HashEmbedder(model_id="hash"))
    answer = coach.ask("why do my hamstring and calf tendons hurt?")
    assert answer.answered
    assert all(len(p.text) <= settings.chunk_chars for p in answer.passages)


def test_an_unreadable_knowledge_folder_is_one_clear_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the coach may not list (its permissions changed) is named in one line, never a
    traceback; an unreadable exercise folder leaves answers without cards, and `check` says why."""
    real = Path.iterdir
    blocked = {env.articles_dir}

    def iterdir(self: Path):
        if self in blocked:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    for command in (["ask", "why do my hips drop?"], ["check"], ["index"]):
        result = runner.invoke(app, command)
        assert result.exit_code != 0 and isinstance(result.exception, SystemExit), command
        assert "cannot read the knowledge folder" in result.output and "Permission denied" in result.output
        assert "Traceback" not in result.output
    # Once indexed, members keep their answers from the last index while the folder is unreadable;
    # `coach index` still fails, as it can index nothing.
    blocked.clear()
    assert runner.invoke(app, ["index"]).exit_code == 0
    blocked.add(env.articles_dir)
    asked = runner.invoke(app, ["ask", "how do I do the runner deadlift?"])
    assert asked.exit_code == 0 and "[1]" in asked.stdout
    assert "answering from the last index until it can be read" in " ".join(asked.stderr.split())
    indexed = runner.invoke(app, ["index"])
    assert indexed.exit_code == 1 and "nothing indexed: " in indexed.stderr
    blocked.clear()
    blocked.add(env.knowledge_dir / "exercises")
    _, problems = load_catalog(env.knowledge_dir / "exercises")
    assert problems and "cannot be read (Permission denied)" in problems[0].message
    checked = runner.invoke(app, ["check"])
    assert "cannot be read (Permission denied)" in checked.output


def test_a_knowledge_folder_the_coach_may_not_enter_is_one_clear_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`chmod 000 knowledge`: even looking at the articles folder inside fails; every command says
    which folder it cannot read, in one line and with a non-zero exit, never a traceback."""
    from bot.cli import main

    real = Path.stat

    def stat(self: Path, *args, **kwargs):
        if self == env.articles_dir:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    for command in (["check"], ["ask", "why do my hips drop?"], ["sources"]):
        monkeypatch.setattr("sys.argv", ["coach", *command])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code == 1, command
        out = capsys.readouterr()
        assert f"cannot read {env.articles_dir} (Permission denied)" in " ".join(out.err.split()), command
        assert "Traceback" not in out.err + out.out


def test_control_characters_in_an_article_never_reach_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "esc.md"
    path.write_bytes(
        b'---\ntitle: "Skipping"\n---\n## Skipping rope\n\n'
        b"Skipping rope \x1b[2J\x1b]0;HACKED\x07\x1b[8m builds springy calves.\x00\tReally.\r\n"
    )
    article = load_article(path)
    assert not isinstance(article, Problem)
    assert "\x1b" not in article.body and "\x07" not in article.body and "\x00" not in article.body
    assert "Skipping rope [2J]0;HACKED[8m builds springy calves.\tReally." in article.body


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "---\ntitle: Hips\nThe hip hinge is the isolated movement.\n",
            "has front matter with no closing '---' line",
        ),
        (
            "---\ntitle: 12345\n---\nThe hip hinge is the isolated movement.\n",
            "has a title that is not text (12345)",
        ),
        ("---\nauthor: Someone\n---\nThe hip hinge is the isolated movement.\n", "is missing a title"),
    ],
)
def test_front_matter_mistakes_are_named_for_what_they_are(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "hips.md"
    path.write_text(text, encoding="utf-8")
    problem = load_article(path)
    assert isinstance(problem, Problem) and message in problem.message


def test_check_warns_when_no_topic_is_listed_as_not_covered(env: Settings) -> None:
    (env.knowledge_dir / "not-covered.yaml").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1 and "lists no topic" in result.output
