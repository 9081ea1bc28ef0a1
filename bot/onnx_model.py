"""A sentence-transformers model on ONNX Runtime: exported once with torch, run without it.

`export` (torch and sentence-transformers, imported lazily) writes the model's transformer as
`model.onnx` and its tokenizer as `tokenizer.json` into a folder, and returns the `Spec` the index
manifest records: the files' checksums, the pooling, the normalisation and the token limit. `Encoder`
runs those two files with onnxruntime, tokenizers and numpy alone, so answering never imports torch.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
POOLINGS = ("mean", "cls")
OPSET = 17
EXPORT_VERSION = 2  # 2: plain attention, fused; a build storing an older export gets a new one
FUSABLE = {"bert": "bert", "roberta": "bert", "xlm-roberta": "bert"}  # model type -> optimiser's kind
BATCH = 32  # texts per run; they are sorted by length first, so a batch pads little
TOLERANCE = 1e-4  # largest difference to the torch model an export may show (on its own check texts)
CHECK_TEXTS = (
    "why do my hips drop?",
    "Single-leg strength keeps the pelvis level when the foot lands; start with two sets of eight.",
    "x",
)


log = logging.getLogger(__name__)


class ExportError(Exception):
    """The model cannot be run on ONNX Runtime (the reason says why); torch answers instead."""


@dataclass(frozen=True)
class Spec:
    """What an exported model needs besides its files: recorded in the index manifest as `encoder`."""

    source: str  # the configured model name it was exported from
    files: dict[str, str]  # file name -> sha256
    dimension: int
    max_tokens: int
    pooling: str  # "mean" (over the attention mask) or "cls"
    normalize: bool  # L2, as the sentence-transformers Normalize module
    inputs: tuple[str, ...]
    pad_id: int
    opset: int = OPSET
    exporter: str = ""
    fused: bool = False  # attention, layer norms and GELU fused into ONNX Runtime's own operators
    version: int = EXPORT_VERSION
    backend: str = field(default="onnx")

    def to_manifest(self) -> dict[str, Any]:
        return dict(asdict(self), inputs=list(self.inputs))

    @classmethod
    def from_manifest(cls, entry: object) -> Spec | None:
        """The spec a manifest recorded, or None when it recorded none this version can run."""
        if not isinstance(entry, dict) or entry.get("backend") != "onnx":
            return None
        try:
            spec = cls(**{"version": 1, **entry, "inputs": tuple(entry["inputs"])})
        except (TypeError, KeyError):
            return None
        ok = (
            isinstance(spec.files, dict)
            and set(spec.files) == {MODEL_FILE, TOKENIZER_FILE}
            and all(isinstance(v, str) for v in spec.files.values())
            and spec.pooling in POOLINGS
            and isinstance(spec.dimension, int)
            and isinstance(spec.max_tokens, int)
            and isinstance(spec.pad_id, int)
            and all(isinstance(name, str) for name in spec.inputs)
            and "input_ids" in spec.inputs
        )
        return spec if ok else None


def sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verify(folder: Path, spec: Spec) -> bool:
    """Whether `folder` holds the spec's files with the checksums it lists."""
    try:
        return all(sha256(folder / name) == digest for name, digest in spec.files.items())
    except OSError:
        return False


class Encoder:
    """An exported model on ONNX Runtime: tokenizers in, pooled (and normalised) float32 vectors out."""

    def __init__(self, folder: Path, spec: Spec) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.spec = spec
        self._tokenizer_json = (folder / TOKENIZER_FILE).read_text(encoding="utf-8")
        self.tokenizer = Tokenizer.from_str(self._tokenizer_json)
        self.tokenizer.no_padding()  # padding is done per batch, to the batch's longest text
        self.tokenizer.enable_truncation(spec.max_tokens)
        self._counter: Any = None
        options = ort.SessionOptions()
        options.log_severity_level = 3  # errors only: no warnings about unused initialisers
        self.session = ort.InferenceSession(
            str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    @property
    def dimension(self) -> int:
        return self.spec.dimension

    @property
    def max_tokens(self) -> int:
        return self.spec.max_tokens

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would see, special tokens included, before truncation."""
        if self._counter is None:
            from tokenizers import Tokenizer

            counter = Tokenizer.from_str(self._tokenizer_json)
            counter.no_padding()
            counter.no_truncation()
            self._counter = counter
        return len(self._counter.encode(text).ids)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text, in order; texts are run longest first, `BATCH` at a time."""
        out = np.zeros((len(texts), self.spec.dimension), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for at in range(0, len(order), BATCH):
            rows = order[at : at + BATCH]
            out[rows] = self._run([encodings[i] for i in rows])
        return out

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self.spec.pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        types = np.zeros((len(encodings), width), dtype=np.int64)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = 1
            types[row, :n] = e.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden = self.session.run(None, {name: feeds[name] for name in self.spec.inputs})[0]
        if self.spec.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        if self.spec.normalize:
            pooled = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.astype(np.float32, copy=False)


def export(model_id: str, path: str, folder: Path) -> Spec:
    """Export the sentence-transformers model at `path` into `folder` (torch is imported here only).

    Raises `ExportError` when the model is not a transformer followed by mean or CLS pooling (and an
    optional normalisation), or when the exported model's vectors differ from torch's by more than
    `TOLERANCE` on a few check texts."""
    try:
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise ExportError(f"torch and sentence-transformers are needed to export ({exc})") from exc

    model = SentenceTransformer(path, device="cpu")
    modules = list(model)
    kinds = [type(m).__name__ for m in modules]
    if (
        len(kinds) not in (2, 3)
        or kinds[:2] != ["Transformer", "Pooling"]
        or kinds[2:] not in ([], ["Normalize"])
    ):
        raise ExportError(f"its modules are {' + '.join(kinds)}, not Transformer + Pooling (+ Normalize)")
    pooling = _pooling_mode(modules[1])
    if pooling not in POOLINGS:
        raise ExportError(f"its pooling is {pooling!r}; only {' or '.join(POOLINGS)} is exported")
    tokenizer = model.tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportError("its tokenizer has no tokenizer.json form (not a fast tokenizer)")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in tokenizer.model_input_names]
    transformer: Any = modules[0].auto_model
    transformer = transformer.eval()
    with contextlib.suppress(Exception):  # a model that has no choice keeps its own attention
        # Plain attention exports to a graph ONNX Runtime runs faster than SDPA's, batched or not.
        transformer.set_attn_implementation("eager")

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = transformer

        def forward(self, *tensors: Any) -> Any:
            return self.model(**dict(zip(names, tensors, strict=True)), return_dict=True).last_hidden_state

    folder.mkdir(parents=True, exist_ok=True)
    unfused = folder / "unfused.onnx"
    sample = tokenizer(list(CHECK_TEXTS[:2]), padding=True, return_tensors="pt")
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notes
            torch.onnx.export(
                Hidden().eval(),
                tuple(sample[n] for n in names),
                str(unfused),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=OPSET,
                dynamo=False,
            )
    except Exception as exc:  # any exporter failure: the torch backend answers instead
        raise ExportError(f"torch.onnx.export failed: {type(exc).__name__}: {exc}") from exc
    from tokenizers import Tokenizer

    plain = Tokenizer.from_str(backend.to_str())
    plain.no_padding()
    plain.no_truncation()
    plain.save(str(folder / TOKENIZER_FILE))
    spec = Spec(
        source=model_id,
        files={},
        dimension=int(_dimension(model)),
        max_tokens=int(model.max_seq_length or 0),
        pooling=pooling,
        normalize=kinds[-1] == "Normalize",
        inputs=tuple(names),
        pad_id=int(tokenizer.pad_token_id or 0),
        exporter=f"torch {torch.__version__}",
    )
    expected = model.encode(list(CHECK_TEXTS), convert_to_numpy=True, show_progress_bar=False)

    def difference() -> float:
        return float(np.abs(Encoder(folder, spec).encode(CHECK_TEXTS) - expected).max())

    fused = _fuse(unfused, folder / MODEL_FILE, transformer.config)
    diff = difference() if fused else math.inf
    if not diff <= TOLERANCE:  # not fused, or the fused graph drifts: the plain export it is
        fused = False
        os.replace(unfused, folder / MODEL_FILE)
        diff = difference()
    unfused.unlink(missing_ok=True)
    if not diff <= TOLERANCE:
        raise ExportError(f"the exported model differs from torch by {diff:.2g} (limit {TOLERANCE:g})")
    files = {name: sha256(folder / name) for name in (MODEL_FILE, TOKENIZER_FILE)}
    return replace(spec, files=files, fused=fused)


def _fuse(source: Path, target: Path, config: Any) -> bool:
    """Fuse attention, layer norms and GELU into ONNX Runtime's own operators with its transformer
    optimiser (offline, so the graph stays portable); False when the model is not of a kind it fuses.
    The fused graph loads and runs faster, and must still pass the export's check against torch."""
    kind = FUSABLE.get(getattr(config, "model_type", ""))
    if kind is None:
        return False
    try:
        from onnxruntime.transformers.optimizer import optimize_model

        graph = optimize_model(
            str(source),
            model_type=kind,
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=0,
        )
        graph.save_model_to_file(str(target))
    except Exception as exc:  # an optimiser that cannot fuse this graph: keep it plain
        log.info("ONNX graph not fused: %s: %s", type(exc).__name__, exc)
        return False
    return True


def _pooling_mode(pooling: Any) -> str:
    """The pooling of a sentence-transformers Pooling module, in any of its versions' spellings."""
    config = pooling.get_config_dict() if hasattr(pooling, "get_config_dict") else {}
    mode = config.get("pooling_mode")
    if isinstance(mode, str):
        return mode
    flags = [k for k, v in config.items() if k.startswith("pooling_mode_") and v is True]
    if len(flags) == 1:
        return {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls"}.get(flags[0], flags[0])
    return "+".join(flags) or "unknown"


def _dimension(model: Any) -> int:
    getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(getter() or 0)
