"""The real bundled model on ONNX Runtime against torch: the same vectors, the same answers on the dev
set, and a bot whose first /ask after a start is as quick as any. The model is exported once for the
module; every index built here stores a copy of that export."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import bot.onnx_model as onnx_model
from bot.coach import Coach
from bot.config import DEFAULT_MODEL, Settings
from bot.embedding import OnnxEmbedder, SentenceTransformerEmbedder, resolve_model
from bot.evaluate import evaluate, read_cases
from bot.models import Answer
from bot.onnx_model import Encoder, Spec
from tests.conftest import DEV_SET, ROOT, ask_in_a_new_process

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Spec]:
    folder = tmp_path_factory.mktemp("onnx")
    return folder, onnx_model.export(DEFAULT_MODEL, resolve_model(DEFAULT_MODEL), folder)


@pytest.fixture(scope="module")
def one_export(exported: tuple[Path, Spec]) -> Iterator[list[Path]]:
    """Exports in this module copy the module's one export (the list holds where they went)."""
    source, spec = exported
    done: list[Path] = []

    def export(model_id: str, path: str, folder: Path) -> Spec:
        done.append(folder)
        for name in spec.files:
            shutil.copyfile(source / name, folder / name)
        return spec

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(onnx_model, "export", export)
        yield done


@pytest.fixture(scope="module")
def torch_model() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


def real_settings(base: Path, backend: str, index: str) -> Settings:
    if not (base / "knowledge").exists():
        shutil.copytree(ROOT / "knowledge", base / "knowledge")
    return Settings(
        _env_file=None,
        knowledge_dir=base / "knowledge",
        index_dir=base / index,
        prompts_dir=ROOT / "prompts",
        log_path=base / "coach.sqlite3",
        backend=backend,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, one_export: list[Path]) -> Path:
    """A knowledge copy with two indexes: `onnx-index` built by the default backend, `torch-index` by torch."""
    folder = tmp_path_factory.mktemp("real")
    onnx_coach = Coach(real_settings(folder, "onnx", "onnx-index"))
    assert isinstance(onnx_coach.embedder, OnnxEmbedder)
    _ = onnx_coach.loaded
    torch_coach = Coach(real_settings(folder, "torch", "torch-index"))
    assert isinstance(torch_coach.embedder, SentenceTransformerEmbedder)
    _ = torch_coach.loaded
    return folder


def test_the_export_gives_torchs_vectors(
    exported: tuple[Path, Spec], torch_model: SentenceTransformerEmbedder
) -> None:
    """Questions here; every chunk and sentence of the knowledge in the next test."""
    folder, spec = exported
    assert spec.pooling == "mean" and spec.normalize and spec.max_tokens == 256 and spec.dimension == 384
    assert spec.fused  # attention and layer norms in ONNX Runtime's own operators
    texts = [case.question for case in read_cases(DEV_SET)]
    texts += ["", "x", "why do my hips drop? " * 80]  # empty, one letter, truncated at 256 word pieces
    encoder = Encoder(folder, spec)
    onnx = encoder.encode(texts)
    reference = torch_model.encode(texts)
    assert onnx.dtype == np.float32 and onnx.shape == reference.shape
    assert float(np.abs(onnx - reference).max()) <= 1e-4
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])  # padding in a batch changes nothing
    assert float(np.abs(one_by_one - reference).max()) <= 1e-4
    for text in texts:
        assert encoder.count_tokens(text) == torch_model.count_tokens(text)


def test_an_index_built_by_either_backend_holds_the_same_vectors(base: Path) -> None:
    from bot.index import load

    onnx = load(base / "onnx-index")
    reference = load(base / "torch-index")
    assert onnx.chunks == reference.chunks and onnx.sentences == reference.sentences
    assert float(np.abs(onnx.vectors - reference.vectors).max()) <= 1e-4
    assert float(np.abs(onnx.sentence_vectors - reference.sentence_vectors).max()) <= 1e-4
    assert onnx.manifest["encoder"]["pooling"] == "mean" and "encoder" not in reference.manifest


def passages(answer: Answer) -> list[tuple[str, int, int]]:
    return [(p.article.id, p.start, p.end) for p in answer.passages]


def test_both_backends_give_the_same_answers_on_the_dev_set(base: Path) -> None:
    cases = read_cases(DEV_SET)
    onnx = Coach(real_settings(base, "onnx", "onnx-index"))
    reference = Coach(real_settings(base, "torch", "torch-index"))
    same = 0
    for case in cases:
        a, b = onnx.ask(case.question, case.history), reference.ask(case.question, case.history)
        same += passages(a) == passages(b) and a.answered == b.answered
    assert same / len(cases) >= 0.98, f"{same} of {len(cases)} questions have the same passages"
    figures = evaluate(onnx, cases).as_dict()
    expected = evaluate(reference, cases).as_dict()
    figures.pop("misses"), expected.pop("misses")
    assert figures == expected


def test_answering_imports_no_torch(base: Path) -> None:
    """`coach ask` in a new process, on the index the default backend built."""
    settings = real_settings(base, "onnx", "onnx-index")
    answer = ask_in_a_new_process(settings, base, COACH_LOG_CLI="false")
    assert answer["answered"] and answer["passages"][0]["article"]["id"]


@pytest.mark.asyncio
async def test_the_first_ask_after_a_start_is_answered_at_once(
    base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the fake Discord, with the real model: the bot loads the coach before it connects, so
    the first /ask is answered within 1.5 s of being asked."""
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "discord_app"))
    from bot.discord_app.bot import CoachBot
    from bot.health import check_heartbeat
    from tests.fakes.discord import FakeDiscord, connect

    settings = real_settings(base, "onnx", "onnx-index").model_copy(
        update={"watch_seconds": 0, "health_path": tmp_path / "health.json", "log_path": tmp_path / "log"}
    )
    fake = FakeDiscord()
    await fake.start()
    fake.patch(monkeypatch)
    try:
        coach = Coach(settings)
        seen: list[str | None] = []
        load = CoachBot.load_coach

        def loading(bot: CoachBot) -> None:
            seen.append(check_heartbeat(settings.health_path, 60))
            load(bot)

        monkeypatch.setattr(CoachBot, "load_coach", loading)
        await connect(CoachBot(settings, coach), fake, guild_ready_timeout=0.01)
        assert seen == ["starting: the bot is loading the model and the index"]
        began = time.perf_counter()
        ix = await fake.slash("ask", {"question": "why do my hips drop?"})
        took = time.perf_counter() - began
        [sent] = [r for r in fake.requests_to("POST", r"/webhooks/\d+/") if r.path.endswith(ix.token)]
        assert "[1]" in sent.json["embeds"][0]["description"]
        assert took <= 1.5, f"the first /ask took {took:.2f} s"
        await asyncio.sleep(0)
        assert check_heartbeat(settings.health_path, 60) is None
    finally:
        await fake.close_bots()
        await fake.stop()
    assert not fake.problems()
