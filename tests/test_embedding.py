"""The ONNX embedder without the real model: a tiny ONNX model (an embedding table) stands in for the
export, with the bundled model's real tokenizer, so storing, verifying and answering run in seconds."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

import bot.onnx_model as onnx_model
from bot.config import DEFAULT_MODEL, Settings
from bot.embedding import (
    HashEmbedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    make_embedder,
    resolve_model,
    store_model,
    use_stored_model,
)
from bot.index import refresh
from bot.onnx_model import MODEL_FILE, TOKENIZER_FILE, Encoder, ExportError, Spec
from tests.conftest import ask_in_a_new_process

DIM = 8
VOCAB = 30522  # the bundled tokenizer's


def tiny_model(path: Path, seed: int = 0) -> np.ndarray:
    """An ONNX model whose hidden states are rows of a random table (times the attention mask)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    table = np.random.default_rng(seed).standard_normal((VOCAB, DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["rows"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["token_type_ids"], ["typesf"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["maskf", "typesf"], ["weight"]),  # type ids are all 0 here
        helper.make_node("Unsqueeze", ["weight", "axis"], ["weight3"]),
        helper.make_node("Mul", ["rows", "weight3"], ["last_hidden_state"]),
    ]
    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
        for name in ("input_ids", "attention_mask", "token_type_ids")
    ]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", DIM])
    graph = helper.make_graph(
        nodes,
        "tiny",
        inputs,
        [output],
        [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.array([2], np.int64), "axis")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return table


def fake_export(model_id: str, path: str, folder: Path, *, max_tokens: int = 256, **spec: object) -> Spec:
    """What `export` writes, without torch: the tiny model and the bundled model's tokenizer."""
    folder.mkdir(parents=True, exist_ok=True)
    tiny_model(folder / MODEL_FILE)
    (folder / TOKENIZER_FILE).write_bytes((Path(resolve_model(DEFAULT_MODEL)) / TOKENIZER_FILE).read_bytes())
    fields = {"pooling": "mean", "normalize": True, **spec}
    return Spec(
        source=model_id,
        files={n: onnx_model.sha256(folder / n) for n in (MODEL_FILE, TOKENIZER_FILE)},
        dimension=DIM,
        max_tokens=max_tokens,
        inputs=("input_ids", "attention_mask", "token_type_ids"),
        pad_id=0,
        exporter="test",
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every export goes to the tiny model; the list holds the folders exported into."""
    done: list[Path] = []

    def export(model_id: str, path: str, folder: Path) -> Spec:
        done.append(folder)
        return fake_export(model_id, path, folder)

    monkeypatch.setattr(onnx_model, "export", export)
    return done


def live_build(settings: Settings) -> Path:
    return settings.index_dir / "builds" / (settings.index_dir / "CURRENT").read_text().strip()


# -- choosing a backend ----------------------------------------------------------------------------


def test_the_backend_setting_picks_the_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(_env_file=None).backend == "onnx"
    monkeypatch.setenv("COACH_BACKEND", "torch")
    assert Settings(_env_file=None).backend == "torch"
    monkeypatch.setenv("COACH_BACKEND", "tensorflow")
    with pytest.raises(ValueError, match="backend"):
        Settings(_env_file=None)
    assert isinstance(make_embedder(DEFAULT_MODEL), OnnxEmbedder)
    assert isinstance(make_embedder(DEFAULT_MODEL, "onnx"), OnnxEmbedder)
    assert isinstance(make_embedder(DEFAULT_MODEL, "torch"), SentenceTransformerEmbedder)
    assert isinstance(make_embedder("hash", "onnx"), HashEmbedder)


def test_other_embedders_store_nothing_and_need_nothing(tmp_path: Path) -> None:
    embedder = HashEmbedder()
    assert use_stored_model(embedder, None) is True
    assert store_model(embedder, tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_a_spec_goes_through_the_manifest_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    spec = fake_export(DEFAULT_MODEL, "", tmp_path)
    entry = json.loads(json.dumps(spec.to_manifest()))
    assert entry["pooling"] == "mean" and entry["normalize"] is True and entry["backend"] == "onnx"
    assert Spec.from_manifest(entry) == spec
    for bad in (
        None,
        "onnx",
        {**entry, "backend": "torch"},
        {**entry, "pooling": "max"},
        {**entry, "files": {MODEL_FILE: entry["files"][MODEL_FILE]}},
        {**entry, "inputs": ["attention_mask"]},
        {**entry, "surprise": 1},
        {k: v for k, v in entry.items() if k != "dimension"},
    ):
        assert Spec.from_manifest(bad) is None, bad
    assert onnx_model.verify(tmp_path, spec)
    (tmp_path / TOKENIZER_FILE).write_text("{}", encoding="utf-8")
    assert not onnx_model.verify(tmp_path, spec)


# -- the encoder -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("pooling", "normalize"), [("mean", True), ("mean", False), ("cls", True)])
def test_the_encoder_pools_batches_and_keeps_the_order(tmp_path: Path, pooling: str, normalize: bool) -> None:
    from tokenizers import Tokenizer

    spec = fake_export(DEFAULT_MODEL, "", tmp_path, max_tokens=12, pooling=pooling, normalize=normalize)
    table = tiny_model(tmp_path / "check.onnx")  # the same seed: the same table
    tokenizer = Tokenizer.from_file(str(tmp_path / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    words = ["hip", "drop", "glute", "squat", "lunge", "deadlift", "runner", "cadence", "plank", "bridge"]
    texts = [" ".join(words[: 1 + i % 10] * (1 + i // 10)) for i in range(70)]  # more than one batch
    encoder = Encoder(tmp_path, spec)
    got = encoder.encode(texts)
    for text, vector in zip(texts, got, strict=True):
        ids = tokenizer.encode(text).ids
        ids = ids[:11] + ids[-1:] if len(ids) > 12 else ids  # truncated as sentence-transformers does
        rows = table[ids]
        want = rows[0] if pooling == "cls" else rows.mean(axis=0)
        if normalize:
            want = want / np.linalg.norm(want)
        assert np.abs(vector - want).max() <= 1e-5
    assert got.dtype == np.float32 and got.shape == (70, DIM)
    assert encoder.encode([]).shape == (0, DIM)
    long = " ".join(words * 3)
    assert encoder.count_tokens(long) == len(tokenizer.encode(long).ids) == 44  # counted untruncated


# -- stored in the index build ---------------------------------------------------------------------


def test_coach_index_exports_once_and_stores_the_model_with_its_checksums(
    settings: Settings, exports: list[Path]
) -> None:
    embedder = OnnxEmbedder()
    built = refresh(settings, embedder)
    assert built.report is not None and len(exports) == 1
    folder = live_build(settings)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["encoder"]
    assert entry["source"] == DEFAULT_MODEL and entry["pooling"] == "mean" and entry["normalize"] is True
    for name in (MODEL_FILE, TOKENIZER_FILE):
        assert entry["files"][name] == onnx_model.sha256(folder / name)
    assert manifest["dimension"] == DIM and built.index.vectors.shape[1] == DIM

    # A new process answers from the stored model: no export, the same vectors.
    again = OnnxEmbedder()
    loaded = refresh(settings, again)
    assert loaded.report is None and len(exports) == 1
    question = ["why do my hips drop?"]
    assert np.array_equal(again.encode(question), embedder.encode(question))


def test_a_rebuild_links_the_stored_model_instead_of_exporting(
    settings: Settings, exports: list[Path]
) -> None:
    embedder = OnnxEmbedder()
    refresh(settings, embedder)
    first = live_build(settings)
    article = next(settings.articles_dir.glob("*.md"))
    article.write_text(article.read_text(encoding="utf-8") + "\nOne more line on hips.\n", encoding="utf-8")
    changed = refresh(settings, OnnxEmbedder())
    second = live_build(settings)
    assert changed.report is not None and changed.report.changed and second != first
    assert len(exports) == 1
    assert (second / MODEL_FILE).stat().st_ino == (first / MODEL_FILE).stat().st_ino  # a hard link


def test_a_damaged_stored_model_is_exported_again_and_the_vectors_kept(
    settings: Settings, exports: list[Path], caplog: pytest.LogCaptureFixture
) -> None:
    built = refresh(settings, OnnxEmbedder())
    folder = live_build(settings)
    model = folder / MODEL_FILE
    model.unlink()  # it is a hard link of the export: write a damaged copy in its place
    model.write_bytes(b"not a model")
    embedder = OnnxEmbedder()
    with caplog.at_level(logging.WARNING):
        healed = refresh(settings, embedder)
    assert "damaged" in caplog.text and len(exports) == 2
    assert healed.reason == "the ONNX model is now stored with it"
    assert healed.report is not None and healed.report.unchanged == healed.report.articles
    assert np.array_equal(healed.index.vectors, built.index.vectors)
    assert onnx_model.verify(live_build(settings), Spec.from_manifest(healed.index.manifest["encoder"]))  # type: ignore[arg-type]


def test_an_older_export_is_exported_again_without_re_embedding(
    settings: Settings, exports: list[Path]
) -> None:
    built = refresh(settings, OnnxEmbedder())
    folder = live_build(settings)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    del manifest["encoder"]["version"]  # as written by the first version
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = refresh(settings, OnnxEmbedder())
    assert len(exports) == 2 and again.reason == "the ONNX model is now stored with it"
    assert again.report is not None and again.report.unchanged == again.report.articles
    assert again.index.manifest["encoder"]["version"] == onnx_model.EXPORT_VERSION
    assert np.array_equal(again.index.vectors, built.index.vectors)


def test_an_index_built_with_torch_gets_the_model_stored_without_re_embedding(
    settings: Settings, exports: list[Path]
) -> None:
    torch_built = refresh(settings, HashEmbedder(dimension=DIM, model_id=DEFAULT_MODEL))
    assert "encoder" not in torch_built.index.manifest
    embedder = OnnxEmbedder()
    encoded: list[int] = []
    original = embedder.encode
    embedder.encode = lambda texts: encoded.append(len(texts)) or original(texts)  # type: ignore[method-assign]
    stored = refresh(settings, embedder)
    assert stored.report is not None and stored.report.unchanged == stored.report.articles
    assert encoded == [] and "encoder" in stored.index.manifest
    assert np.array_equal(stored.index.vectors, torch_built.index.vectors)
    assert refresh(settings, OnnxEmbedder()).report is None  # and from then on it is up to date


def test_a_read_only_index_without_a_stored_model_still_answers(
    settings: Settings, exports: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = refresh(settings, HashEmbedder(dimension=DIM, model_id=DEFAULT_MODEL))
    monkeypatch.setattr("bot.index._unwritable", lambda index_dir: "Read-only file system")
    embedder = OnnxEmbedder()
    fresh = refresh(settings, embedder)
    assert fresh.report is None and fresh.problems == before.problems  # not called stale: nothing changed
    assert embedder.encode(["hips"]).shape == (1, DIM) and len(exports) == 1


# -- when the model cannot be exported -------------------------------------------------------------


class FakeTorch(HashEmbedder):
    def __init__(self, model: str) -> None:
        super().__init__(dimension=DIM, model_id=model)


def test_a_model_that_cannot_be_exported_is_answered_by_torch_after_one_line(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def export(model_id: str, path: str, folder: Path) -> Spec:
        raise ExportError("its pooling is 'max'; only mean or cls is exported")

    monkeypatch.setattr(onnx_model, "export", export)
    monkeypatch.setattr("bot.embedding.SentenceTransformerEmbedder", FakeTorch)
    embedder = OnnxEmbedder()
    with caplog.at_level(logging.WARNING):
        built = refresh(settings, embedder)
    [note] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert note == (
        f"Cannot run {DEFAULT_MODEL} on ONNX Runtime (its pooling is 'max'; only mean or cls is exported); "
        "answering with torch."
    )
    assert "\n" not in note and embedder.backend == "torch"
    assert "encoder" not in built.index.manifest and built.index.vectors.shape[1] == DIM
    assert refresh(settings, embedder).report is None  # nothing to store: not rebuilt again


# -- answering imports no torch --------------------------------------------------------------------


def test_answering_from_a_stored_model_never_imports_torch(
    settings: Settings, exports: list[Path], tmp_path: Path
) -> None:
    refresh(settings, OnnxEmbedder())
    answer = ask_in_a_new_process(settings, tmp_path, COACH_LOG_PATH=str(tmp_path / "log.sqlite3"))
    assert answer["question"] == "why do my hips drop?"
