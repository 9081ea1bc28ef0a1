import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from bot.maintain import slugify

runner = CliRunner()
ARTICLE = """---
title: "Single-Leg Strength for Trail Runners"
---
## Why one leg at a time

Running is a series of single-leg hops, so strength work on one leg transfers to the trail.
Step-ups and split squats train the hip to stay level while the other leg swings through.
"""


def test_slugify_makes_clean_names() -> None:
    assert slugify("Café: Hip Thrusts & Glute Bridges!") == "cafe-hip-thrusts-glute-bridges"


def test_add_markdown_article_updates_the_index(env: Settings, tmp_path) -> None:
    source = tmp_path / "My Article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    result = runner.invoke(app, ["add", str(source)])
    assert result.exit_code == 0, result.output
    assert (env.articles_dir / "my-article.md").read_text(encoding="utf-8") == ARTICLE
    assert "Indexed 6 articles" in result.stdout and "my-article" in result.stdout


def test_add_text_file_takes_its_title_from_the_first_line(env: Settings, tmp_path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text(
        "Hill Strength\nSteep climbs reward a strong forward hip hinge and calves.\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["add", str(source)], input="\n")
    assert result.exit_code == 0, result.output
    written = (env.articles_dir / "hill-strength.md").read_text(encoding="utf-8")
    assert written.startswith('---\ntitle: "Hill Strength"\n---')
    assert "Steep climbs reward" in written and "\nHill Strength\n" not in written


def test_nothing_existing_is_overwritten_without_force(env: Settings, tmp_path) -> None:
    source = tmp_path / "my-article.md"
    source.write_text(ARTICLE, encoding="utf-8")
    assert runner.invoke(app, ["add", str(source)]).exit_code == 0
    changed = ARTICLE.replace("trail.", "mountain trail.").replace("Single-Leg Strength", "One-Leg Strength")
    source.write_text(changed, encoding="utf-8")
    again = runner.invoke(app, ["add", str(source)])
    assert again.exit_code == 1 and "already exists" in again.stderr
    forced = runner.invoke(app, ["add", str(source), "--force"])
    assert forced.exit_code == 0
    assert "mountain trail" in (env.articles_dir / "my-article.md").read_text(encoding="utf-8")
    # Another article under the same file name is told apart from an edit: it would replace this one.
    source.write_text('---\ntitle: "Protein for Lifters"\n---\nEat enough protein on gym days.\n')
    other = runner.invoke(app, ["add", str(source)])
    assert other.exit_code == 1
    assert "already exists in" in other.stderr and "as another article ('One-Leg Strength" in other.stderr


def test_duplicates_title_clashes_and_bad_bytes_are_refused(env: Settings, tmp_path) -> None:
    existing = (env.articles_dir / "weak-hips-and-glutes.md").read_text(encoding="utf-8")
    copy = tmp_path / "copy.md"
    copy.write_text(existing.replace("Weak Hips and Glutes", "Another Name"), encoding="utf-8")
    result = runner.invoke(app, ["add", str(copy)])
    assert result.exit_code == 1 and "weak-hips-and-glutes.md" in result.stderr

    clash = tmp_path / "clash.md"
    clash.write_text(
        ARTICLE.replace("Single-Leg Strength for Trail Runners", "A Tale of Two Hemipelvi"), "utf-8"
    )
    result = runner.invoke(app, ["add", str(clash)])
    assert result.exit_code == 1 and "already used" in result.stderr

    latin = tmp_path / "latin.md"
    latin.write_bytes("---\ntitle: Caf\xe9\n---\nbody\n".encode("latin-1"))
    result = runner.invoke(app, ["add", str(latin)])
    assert result.exit_code == 1 and "not UTF-8" in result.stderr
    assert "Traceback" not in result.output


def test_check_passes_then_fails_on_a_broken_link(env: Settings) -> None:
    ok = runner.invoke(app, ["check"])
    assert ok.exit_code == 0 and "valid" in ok.stdout
    card = env.exercises_dir / "hip-thrust.md"
    card.write_text(
        card.read_text(encoding="utf-8").replace('easier: "glute-bridge"', 'easier: "wall-sit"'), "utf-8"
    )
    broken = runner.invoke(app, ["check"])
    assert broken.exit_code == 1
    assert "hip-thrust.md: easier links to unknown exercise 'wall-sit'" in broken.stderr


def test_check_reports_a_broken_word_list(env: Settings) -> None:
    (env.knowledge_dir / "not-covered.yaml").write_text("shoes: [a, b]\n", encoding="utf-8")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1 and "not-covered.yaml: must be a list of topics" in result.stderr


def test_check_chunks_shows_the_split(env: Settings) -> None:
    result = runner.invoke(app, ["check", "--chunks", "runner-deadlift"])
    assert result.exit_code == 0, result.output
    assert "The Runner Deadlift" in result.stdout and "chunks" in result.stdout


def test_config_masks_the_token(env: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret-token")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "super-secret-token" not in result.stdout and "********" in result.stdout


def test_health_reflects_the_heartbeat(env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from bot.health import write_heartbeat

    beat = tmp_path / "health.json"
    monkeypatch.setenv("COACH_HEALTH_PATH", str(beat))
    missing = runner.invoke(app, ["health"])
    assert missing.exit_code == 1 and "has not started" in missing.stderr
    write_heartbeat(beat, connected=False)
    assert "not connected" in runner.invoke(app, ["health"]).stderr
    write_heartbeat(beat, connected=True)
    assert runner.invoke(app, ["health"]).exit_code == 0
    monkeypatch.setenv("COACH_HEALTH_MAX_AGE", "5")
    import json
    import time

    beat.write_text(json.dumps({"time": time.time() - 60, "connected": True}))
    stale = runner.invoke(app, ["health"])
    assert stale.exit_code == 1 and "ago" in stale.stderr


def test_concurrent_heartbeats_never_interleave(tmp_path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.health import check_heartbeat, write_heartbeat

    beat = tmp_path / "health.json"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: write_heartbeat(beat, connected=True, n=i, pad="x" * (i * 50)), range(200)))
    assert check_heartbeat(beat, max_age=60) is None
    assert [p.name for p in tmp_path.iterdir()] == ["health.json"]


STRETCHING = """---
title: "Stretching for Runners"
---
## How long to hold a stretch

Hold each static stretch for about thirty seconds, breathing slowly.
Stretching after a run is easier than stretching cold.
Dynamic stretching suits the warm-up better than long holds.
"""


def test_an_article_covering_a_not_covered_topic_is_pointed_out(env: Settings, tmp_path) -> None:
    source = tmp_path / "stretching.md"
    source.write_text(STRETCHING, encoding="utf-8")
    added = runner.invoke(app, ["add", str(source)])
    assert added.exit_code == 0, added.output
    assert "not-covered.yaml lists 'stretching', but stretching.md covers it" in added.stderr
    checked = runner.invoke(app, ["check"])
    assert checked.exit_code == 1 and "lists 'stretching'" in checked.stderr
    # Once the topic is off the list, the knowledge folder is consistent again.
    listed = env.knowledge_dir / "not-covered.yaml"
    listed.write_text(
        "\n".join(line for line in listed.read_text(encoding="utf-8").splitlines() if "stretch" not in line),
        encoding="utf-8",
    )
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_a_word_list_alias_bomb_is_refused_by_name(env: Settings) -> None:
    levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for name, below in zip("bcde", "abcd", strict=True):
        levels.append(f"{name}: &{name} [{','.join([f'*{below}'] * 9)}]")
    (env.knowledge_dir / "synonyms.yaml").write_text("\n".join(levels) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "synonyms.yaml: cannot be read: uses more than 10 YAML aliases" in result.stderr


def test_check_names_word_list_entries_that_are_not_text(env: Settings) -> None:
    (env.knowledge_dir / "synonyms.yaml").write_text("hammies: [hamstrings, 42, null]\n", encoding="utf-8")
    (env.knowledge_dir / "not-covered.yaml").write_text("- shoes\n- 42\n- [a, b]\n", encoding="utf-8")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "synonyms.yaml: entries that are not text are ignored: 'hammies'" in result.stderr
    assert "not-covered.yaml: entries that are not text are ignored: 42, ['a', 'b']" in result.stderr


def test_add_yes_takes_a_covered_topic_off_the_list(env: Settings, tmp_path) -> None:
    source = tmp_path / "stretching.md"
    source.write_text(STRETCHING, encoding="utf-8")
    listed = env.knowledge_dir / "not-covered.yaml"
    before = listed.read_text(encoding="utf-8")
    added = runner.invoke(app, ["add", "--yes", str(source)])
    assert added.exit_code == 0, added.output
    assert "Removed 'stretching' from knowledge/not-covered.yaml." in added.stdout
    after = listed.read_text(encoding="utf-8")
    assert "- stretching\n" not in after and "- static stretch\n" in after
    assert after.count("#") == before.count("#")  # comments kept
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_check_names_a_second_article_with_the_same_title(env: Settings) -> None:
    original = env.articles_dir / "runner-deadlift.md"
    (env.articles_dir / "copy-of-deadlift.md").write_text(
        original.read_text(encoding="utf-8").replace("## ", "## Copied: ", 1), encoding="utf-8"
    )
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert (
        "runner-deadlift.md: has the same title as copy-of-deadlift.md ('The Runner Deadlift')"
        in result.stderr
    )


def test_check_without_an_articles_folder_says_so_once(env: Settings) -> None:
    import shutil

    shutil.rmtree(env.articles_dir)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert "articles folder not found" in result.stderr and "cites unknown article" not in result.stderr


def test_add_says_why_a_web_address_a_folder_or_a_pdf_cannot_be_added(env: Settings, tmp_path) -> None:
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.4 \x89\xff")
    for target, reason in [
        ("https://example.org/a.md", "is a web address"),
        (str(tmp_path), "is a folder"),
        (str(pdf), "only .md (with front matter) and .txt files can be added"),
    ]:
        result = runner.invoke(app, ["add", target])
        assert result.exit_code == 1 and reason in result.stderr, result.output


def test_an_empty_exercise_card_asks_for_its_name(env: Settings) -> None:
    (env.knowledge_dir / "exercises" / "empty.md").write_text("", encoding="utf-8")
    result = runner.invoke(app, ["check"])
    assert "empty.md: is empty: start the file with a '---' block holding at least name:" in result.stderr


def test_a_bad_byte_in_an_indexed_article_is_the_one_problem_check_reports(env: Settings) -> None:
    """The article is answered from its last indexed version, so the cards quoting it still hold:
    `check` names the article's bad byte by line, not five cards "citing an unknown article"."""
    assert runner.invoke(app, ["index"]).exit_code == 0
    article = env.articles_dir / "runner-deadlift.md"
    article.write_bytes(article.read_bytes() + b"\xe9")
    result = runner.invoke(app, ["check"])
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and "runner-deadlift.md: is not UTF-8 text (bad byte 0xe9 on line" in output
    assert "unknown article" not in output and "1 problem(s)" in output
