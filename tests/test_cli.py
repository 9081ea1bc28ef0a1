import json
import re

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings

runner = CliRunner()


def test_ask_json_has_the_documented_shape(env: Settings) -> None:
    result = runner.invoke(app, ["ask", "--json", "how do I do the runner deadlift?"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {
        "question",
        "answered",
        "passages",
        "exercises",
        "safety",
        "text",
        "short_answer",
        "coverage",
        "left_out",
    }
    assert data["left_out"] == []
    assert data["coverage"]["covered"] is True and data["coverage"]["passage_score"] > 0
    assert data["short_answer"] and all(set(s) == {"text", "citation", "label"} for s in data["short_answer"])
    assert data["answered"] is True and data["safety"] is False
    passage = data["passages"][0]
    assert set(passage) == {"rank", "text", "article", "heading", "score"}
    assert set(passage["article"]) == {"id", "title", "author", "url"}
    for ex in data["exercises"]:
        assert set(ex) == {
            "name",
            "aliases",
            "reason",
            "citation",
            "steps",
            "cue",
            "dosage",
            "easier",
            "harder",
        }


def test_full_shows_every_source_in_full(env: Settings) -> None:
    question = "why do my hips drop when I run?"
    short = runner.invoke(app, ["ask", question]).stdout
    full = runner.invoke(app, ["ask", "--full", question]).stdout
    data = json.loads(runner.invoke(app, ["ask", "--json", question]).stdout)
    flat = " ".join(re.findall(r"\w+", full))  # the words as the terminal shows them (lists get bullets)
    for p in data["passages"]:  # every passage, whole, in the full answer
        assert " ".join(re.findall(r"\w+", p["text"])) in flat
    assert len(full) > len(short) and "coach ask --full" in short and "coach ask --full" not in full


def test_ask_builds_a_missing_index_and_says_so(env: Settings) -> None:
    result = runner.invoke(app, ["ask", "how do I do the runner deadlift?"])
    assert result.exit_code == 0
    assert "Index updated (no index" in result.stderr
    assert "[1]" in result.stdout


def test_stdin_answers_each_line_in_order(env: Settings) -> None:
    lines = "\n".join(
        [
            "why do my hips drop?",
            json.dumps({"question": "how heavy should I go?", "history": ["What is the runner deadlift?"]}),
            "",
            "What time zone is Tokyo in?",
        ]
    )
    result = runner.invoke(app, ["ask", "--json", "-"], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.split("\n") if line]
    assert [r["question"] for r in rows] == [
        "why do my hips drop?",
        "how heavy should I go?",
        None,  # the blank line gets its own error line, so output lines up with input
        "What time zone is Tokyo in?",
    ]
    assert rows[2]["error"] == "line 3: the line is empty" and rows[3]["answered"] is False


def test_bad_stdin_lines_are_reported_and_the_rest_answered(env: Settings) -> None:
    result = runner.invoke(
        app, ["ask", "--json", "-"], input='{"history": []}\nhow do I do the runner deadlift?\n'
    )
    assert result.exit_code == 0  # the run worked; the bad line says so in its own output line
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert "error" in rows[0] and rows[1]["answered"] is True


def test_stdin_survives_bad_bytes_deep_json_and_odd_line_breaks(env: Settings) -> None:
    deep = '{"question": "x", "history": ' + "[" * 5000
    lines = [
        b"how do I do the runner deadlift?",
        b"caf\xe9 hips?",  # Latin-1, not UTF-8
        deep.encode(),
        json.dumps({"question": "\ud800 why do my hips drop?"}).encode(),  # a lone surrogate
        '{"question": "how heavy\u2028should I go?"}'.encode(),  # a raw U+2028 inside a JSON string
        b"hips\x0bdrop\x0cwhy\x1c\xc2\x85?",  # characters str.splitlines() would split on
        json.dumps({"question": "deadlift?", "history": "not a list"}).encode(),
        "\u200b\u200b\u2060".encode(),  # only zero-width characters: empty
        b"how do I do the runner deadlift?",
    ]
    result = runner.invoke(app, ["ask", "--json", "-"], input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 0, result.output
    out = result.stdout_bytes.split(b"\n")
    assert out[-1] == b"" and len(out) - 1 == len(lines)  # one line out for each line in
    rows = [json.loads(line) for line in out[:-1]]
    assert rows[0]["answered"] and rows[8]["answered"]
    assert rows[1]["question"] == "caf\ufffd hips?" and "error" not in rows[1]
    assert rows[2]["error"] == "line 3: the JSON is nested too deeply"
    assert rows[3]["question"] == "\ufffd why do my hips drop?" and "error" not in rows[3]
    assert rows[4]["question"] == "how heavy should I go?"
    assert "error" not in rows[5]
    assert rows[6]["error"].startswith("line 7: expected")
    assert rows[7]["error"] == "Please type a question: it was empty."
    assert "Traceback" not in result.output


@pytest.mark.parametrize("question", ["", "   "])
def test_empty_question_is_one_clear_line(env: Settings, question: str) -> None:
    result = runner.invoke(app, ["ask", question])
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: Please type a question: it was empty."
    emoji = runner.invoke(app, ["ask", "\U0001f3c3\U0001f4a8?"])
    assert emoji.exit_code == 1
    assert emoji.stderr.strip() == "Error: Please type a question in words: it had no letters or digits."


def test_missing_knowledge_folder_is_one_clear_line(
    env: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("COACH_KNOWLEDGE_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("COACH_INDEX_DIR", str(tmp_path / "other-index"))
    result = runner.invoke(app, ["ask", "why do my hips drop?"])
    assert result.exit_code == 1
    assert "knowledge folder not found" in result.stderr
    assert "Traceback" not in result.output


def test_index_reports_what_changed(env: Settings) -> None:
    first = runner.invoke(app, ["index"])
    assert first.exit_code == 0
    assert "Indexed 5 articles" in first.stdout and "5 added" in first.stdout
    second = runner.invoke(app, ["index"])
    assert "up to date" in second.stdout
    (env.articles_dir / "tale-of-two-hemipelvi.md").unlink()
    third = runner.invoke(app, ["index"])
    assert "1 removed" in third.stdout and "removed: tale-of-two-hemipelvi" in third.stdout
    # The maintainer is told which words left with it: questions about them are refused from now on.
    said = " ".join(third.stdout.split())
    assert "words no article uses any more (" in said and "hemipelvi" in said
    assert "questions about them are now refused" in said


def test_a_broken_article_is_skipped_with_its_name(env: Settings) -> None:
    (env.articles_dir / "broken.md").write_text("---\nauthor: nobody\n---\ntext\n", encoding="utf-8")
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0
    assert "broken.md: is missing a title" in result.stderr
    assert "Indexed 5 articles" in result.stdout


def test_sources_and_exercises(env: Settings) -> None:
    sources = runner.invoke(app, ["sources"])
    assert sources.exit_code == 0 and "A Tale of Two Hemipelvi" in sources.stdout
    listing = runner.invoke(app, ["exercises"])
    assert listing.exit_code == 0 and "Hip Airplane" in listing.stdout
    card = runner.invoke(app, ["exercises", "glute brige"])
    assert card.exit_code == 0 and "Glute Bridge" in card.stdout and "Hip Thrust" in card.stdout
    unknown = runner.invoke(app, ["exercises", "moon jump"])
    assert unknown.exit_code == 1 and "no exercise called" in unknown.stderr


def test_eval_prints_figures_and_json(env: Settings, tmp_path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {
                    "id": "a",
                    "question": "What is the runner deadlift?",
                    "gold": ["Runner Deadlift"],
                    "exercises": ["runner deadlift"],
                    "answerable": True,
                },
                {
                    "id": "b",
                    "question": "What time zone is Tokyo in?",
                    "gold": [],
                    "exercises": [],
                    "answerable": False,
                },
            ]
        ),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["eval", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["questions"] == 2 and report["refused_out_of_scope"] == "1/1"
    assert {"hit1", "hit3", "mrr", "exercise_recall3", "safety_escalated"} <= set(report)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n", encoding="utf-8")
    broken = runner.invoke(app, ["eval", str(bad)])
    assert broken.exit_code == 1 and "line 1" in broken.stderr
    # A field of the wrong type is named, not scored letter by letter or read as true.
    for row, message in [
        ('{"question": "why do my hips drop?", "gold": "a sentence"}', '"gold" must be a list of texts'),
        ('{"question": "hips?", "exercises": "glute bridge"}', '"exercises" must be a list of texts'),
        ('{"question": "hips?", "safety": "no"}', '"safety" must be true or false'),
        ('{"question": 42}', '"question" must be a non-empty text'),
        ("[1, 2]", "not a question object"),
    ]:
        bad.write_text(row + "\n", encoding="utf-8")
        wrong = runner.invoke(app, ["eval", str(bad)])
        assert wrong.exit_code == 1 and f"line 1: {message}" in wrong.stderr, wrong.output
    # Terminal escapes in a question file never reach the terminal through the list of misses.
    bad.write_text('{"id": "x\\u001b[2J", "question": "why do my hips \\u001b]0;HACKED\\u0007drop?"}\n')
    shown = runner.invoke(app, ["eval", str(bad)])
    assert shown.exit_code == 0 and "\x1b" not in shown.output and "\x07" not in shown.output
    # A second line with the same id, or an empty gold quote, would count twice or as a miss.
    for rows, message in [
        (
            '{"id": "a", "question": "hips?"}\n{"id": "a", "question": "knees?"}',
            'line 2: the id "a" is used again',
        ),
        ('{"question": "hips?", "gold": [" "]}', 'line 1: "gold" holds an empty quote'),
        ('{"id": "e1", "question": "\\ud83c\\udfc3"}', 'question "e1": Please type a question in words'),
        (
            '{"id": "e2", "question": "hips?", "exercises": ["nonexistent thing"]}',
            "no exercise card is called",
        ),
        # A misspelt field would be ignored ("answerble": false read as in scope), a misspelt gold
        # quote scored as a miss.
        ('{"question": "best shoes?", "answerble": false}', 'line 1: unknown field "answerble"'),
        (
            '{"id": "g1", "question": "how heavy?", "gold": ["begin with the lightest posible bar"]}',
            'question "g1": no article holds the gold quote "begin with the lightest posible bar"',
        ),
    ]:
        bad.write_text(rows + "\n", encoding="utf-8")
        wrong = runner.invoke(app, ["eval", str(bad)])
        assert wrong.exit_code == 1 and message in wrong.stderr, wrong.output


def test_eval_names_every_mistake_of_a_file_in_one_run(env: Settings, tmp_path) -> None:
    questions = tmp_path / "q.jsonl"
    rows = ['{"question": "hips?", "safety": "no"}', "not json", '{"id": "x", "question": "knees?"}']
    questions.write_text("\ufeff" + "\n".join(rows) + "\n", encoding="utf-8")  # with a byte-order mark
    result = runner.invoke(app, ["eval", str(questions)])
    assert result.exit_code == 1
    assert 'line 1: "safety" must be true or false' in result.stderr and "line 2 is not JSON" in result.stderr
    questions.write_text("\ufeff" + rows[2] + "\n", encoding="utf-8")
    assert runner.invoke(app, ["eval", str(questions)]).exit_code == 0


def test_chat_skips_blank_lines_and_ends_on_exit(env: Settings) -> None:
    result = runner.invoke(app, ["chat"], input="\n\nhow do I do the runner deadlift?\n\nexit\nwhy?\n")
    assert result.exit_code == 0, result.output
    assert "Type exit or quit (or press Ctrl-D) to end." in result.stdout
    assert result.stdout.count("[1]") >= 1  # the question was answered
    assert result.stdout.count("you>") == 5  # two blank lines, the question, a blank line, exit: then done
    # Piped in, each question is shown after its prompt, as a terminal would echo it.
    assert "you> how do I do the runner deadlift?\n" in result.stdout
    ended = runner.invoke(app, ["chat"], input="how do I do the runner deadlift?\n")  # Ctrl-D
    assert ended.exit_code == 0 and "[1]" in ended.stdout


def test_add_without_a_terminal_says_the_title_needs_confirming(env: Settings, tmp_path) -> None:
    source = tmp_path / "notes.txt"
    source.write_text("Hill Strength\nSteep climbs reward a strong hip hinge.\n", encoding="utf-8")
    result = runner.invoke(app, ["add", str(source)])  # no input at all, as in a script
    assert result.exit_code == 1
    assert "needs confirming ('Hill Strength' is proposed)" in result.stderr and "--yes" in result.stderr
    assert "Aborted" not in result.output
    assert runner.invoke(app, ["add", "--yes", str(source)]).exit_code == 0


def test_sources_never_cut_an_id(env: Settings) -> None:
    narrow = runner.invoke(app, ["sources"], env={"COLUMNS": "60"})
    assert narrow.exit_code == 0
    rows = [json.loads(line) for line in runner.invoke(app, ["sources", "--json"]).stdout.splitlines()]
    assert {"id", "title", "author", "url", "chunks"} == set(rows[0])
    for row in rows:
        assert row["id"] in narrow.stdout  # whole, even in 60 columns


def test_terminal_card_keeps_each_section_on_its_own_lines(env: Settings) -> None:
    card = runner.invoke(app, ["exercises", "hip airplain"], env={"COLUMNS": "100"}).stdout
    lines = [line.strip() for line in card.splitlines()]
    for heading in ("Common faults", "Steps"):
        assert heading in lines  # a line of its own, not run into the line above
    assert any(line.startswith("Dosage:") for line in lines)
    assert any(line.startswith("Easier:") for line in lines)


def test_command_line_questions_go_to_the_log_marked_as_such(env: Settings) -> None:
    refused = "What time zone is Tokyo in?"
    assert runner.invoke(app, ["ask", refused]).exit_code == 0
    assert runner.invoke(app, ["ask", "--json", "-"], input=f"{refused}\n").exit_code == 0
    assert runner.invoke(app, ["chat"], input=f"{refused}\nexit\n").exit_code == 0
    assert runner.invoke(app, ["ask", "--no-log", refused]).exit_code == 0
    report = json.loads(runner.invoke(app, ["report", "--json", "--source", "cli"]).stdout)
    assert [(u["question"], u["count"]) for u in report["unanswered"]] == [(refused, 3)]
    assert (
        json.loads(runner.invoke(app, ["report", "--json", "--source", "discord"]).stdout)["unanswered"] == []
    )
    off = runner.invoke(app, ["ask", refused], env={"COACH_LOG_CLI": "false"})
    assert off.exit_code == 0
    again = json.loads(runner.invoke(app, ["report", "--json"]).stdout)
    assert again["unanswered"][0]["count"] == 3
    assert runner.invoke(app, ["report", "--source", "slack"]).exit_code == 1


def test_square_brackets_in_titles_and_problems_are_text_not_terminal_markup(env: Settings, tmp_path) -> None:
    """ "[/i]" or "[part 1/2]" in a title, or in a YAML error, is shown as written: no crash, no text
    dropped."""
    source = tmp_path / "in.md"
    source.write_text('---\ntitle: "Squats [/i] for runners [part 1/2]"\n---\n## S\n\nSquats help runners.\n')
    added = runner.invoke(app, ["add", "--yes", str(source)])
    assert added.exit_code == 0, added.output
    assert "Squats [/i] for runners [part 1/2]" in added.output
    listed = runner.invoke(app, ["sources"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "Squats [/i] for runners [part 1/2]" in listed.output
    (env.knowledge_dir / "not-covered.yaml").write_text("- [/b]: x: y\n")
    checked = runner.invoke(app, ["check"])
    assert checked.exit_code == 1 and "[/b]" in checked.output and "Traceback" not in checked.output


def test_index_names_a_broken_exercise_card(env: Settings) -> None:
    """`coach index` is where a maintainer looks after an edit: a card left out of every answer is
    named there too, not only by `check` and when answering."""
    assert runner.invoke(app, ["index"]).exit_code == 0
    card = env.exercises_dir / "glute-bridge.md"
    card.write_text(card.read_text(encoding="utf-8").replace("cue:", "queue:"), encoding="utf-8")
    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0
    assert "Warning: exercise card glute-bridge.md: is missing cue" in " ".join(result.stderr.split())
