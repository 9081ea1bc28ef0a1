"""Outside text: anything a member, a terminal or a question file sends gets an answer or a clear
message, never a traceback (property-based, with hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from bot.coach import Coach, CoachError
from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.text import clean

runner = CliRunner()
# Every code point, lone surrogates and controls included.
ANY_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=80)


@pytest.fixture(scope="module")
def coach(tmp_path_factory: pytest.TempPathFactory) -> Coach:
    import shutil
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    base = tmp_path_factory.mktemp("outside")
    shutil.copytree(root / "knowledge", base / "knowledge")
    config = Settings(
        _env_file=None,
        knowledge_dir=base / "knowledge",
        index_dir=base / "index",
        prompts_dir=root / "prompts",
        model="hash",
        log_path=base / "coach.sqlite3",
    )
    return Coach(config, embedder=HashEmbedder(model_id="hash"))


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("\ud800 why do my hips drop?", "\ufffd why do my hips drop?"),
        ("why\u200b do\x07 my\u2028hips\tdrop?", "why do my hips drop?"),
        ("\u200b\u200d\u2060\ufeff", ""),
        ("hip  thrust\r\n", "hip thrust"),
    ],
)
def test_clean(raw: str, cleaned: str) -> None:
    assert clean(raw) == cleaned


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=ANY_TEXT, history=st.lists(ANY_TEXT, max_size=8))
def test_any_question_gets_an_answer_or_a_clear_message(
    coach: Coach, question: str, history: list[str]
) -> None:
    try:
        answer = coach.ask(question, history)
    except CoachError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert answer.question == clean(question) and answer.text
    json.dumps({"q": answer.question, "t": answer.text})  # encodable: no lone surrogate survives


@hsettings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=6))
def test_the_stream_writes_one_json_line_per_line_read(env: Settings, lines: list[bytes]) -> None:
    result = runner.invoke(app, ["ask", "--json", "-"], input=b"\n".join(lines) + b"\n")
    assert result.exit_code == 0, result.output
    out = result.stdout_bytes.split(b"\n")
    assert out[-1] == b"" and len(out) - 1 == len(lines)
    for line in out[:-1]:
        row = json.loads(line)
        assert "error" in row or "answered" in row


def test_a_long_history_item_is_cut_and_too_many_are_dropped(coach: Coach) -> None:
    config = coach.settings
    history = ["why do my hips drop? " * 50_000, *(f"question {i}" for i in range(30))]
    assert len(coach.check_history(history)) == config.history_turns
    [cut] = coach.check_history(["why do my hips drop? " * 50_000])
    assert len(cut) <= config.max_history_chars
    with pytest.raises(CoachError):
        coach.check_history("not a list")  # type: ignore[arg-type]
