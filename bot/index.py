"""The on-disk index: FAISS vectors, a JSONL chunk store and a manifest, built incrementally.

Layout of `index_dir`:
    CURRENT                     name of the live build (replaced atomically)
    builds/<name>/manifest.json model id, dimension, format version, per-article hashes, build time, checksums
    builds/<name>/articles.json article metadata for citations
    builds/<name>/chunks.jsonl  one chunk per line (verbatim text and span)
    builds/<name>/sentences.jsonl  sentence spans used for the short answer
    builds/<name>/chunks.npy, sentences.npy   normalised embeddings
    builds/<name>/faiss.index   inner-product index over chunks.npy
A build is written beside the live one and made live by replacing CURRENT, so an interrupted build
leaves the previous index usable. Nothing is pickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot.chunking import chunk_article, embed_text, sentence_spans
from bot.config import Settings
from bot.embedding import Embedder
from bot.models import Article, Chunk

FORMAT_VERSION = 4  # 4: abbreviations ("Dr.") no longer end a sentence
Progress = Callable[[int, int], None]


class IndexUnusable(Exception):
    """The index on disk is missing, damaged, or built with another model or format."""


@dataclass(frozen=True)
class SentenceRef:
    article_id: str
    start: int
    end: int


@dataclass
class Index:
    """Everything needed to answer: chunks, their vectors, sentence vectors and article metadata."""

    manifest: dict[str, Any]
    articles: dict[str, Article]
    chunks: list[Chunk]
    vectors: np.ndarray
    sentences: list[SentenceRef]
    sentence_vectors: np.ndarray
    _faiss: Any = field(default=None, repr=False)

    @property
    def faiss(self) -> Any:
        if self._faiss is None:
            import faiss

            self._faiss = faiss.IndexFlatIP(self.vectors.shape[1])
            if len(self.vectors):
                self._faiss.add(self.vectors)
        return self._faiss


@dataclass(frozen=True)
class UpdateReport:
    articles: int
    chunks: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    seconds: float

    @property
    def touched(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def chunk_params(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    return {
        "max_tokens": min(settings.chunk_tokens, embedder.max_tokens),
        "max_chars": settings.chunk_chars,
        "overlap": settings.overlap_sentences,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _article_meta(article: Article) -> dict[str, Any]:
    data = asdict(article)
    data["path"] = str(article.path)
    return data


def build(
    articles: Sequence[Article],
    embedder: Embedder,
    settings: Settings,
    previous: Index | None = None,
    progress: Progress | None = None,
) -> tuple[Index, UpdateReport]:
    """A new index for `articles`, reusing `previous` vectors of articles whose content is unchanged."""
    began = time.perf_counter()
    params = chunk_params(settings, embedder)
    reusable = (
        previous is not None
        and previous.manifest.get("model") == embedder.model_id
        and previous.manifest.get("chunking") == params
    )
    old_hashes = previous.manifest["articles"] if previous is not None else {}
    keep = {a.id for a in articles if reusable and old_hashes.get(a.id, {}).get("hash") == a.content_hash}

    chunks: list[Chunk] = []
    vectors: list[np.ndarray] = []
    sentences: list[SentenceRef] = []
    sentence_vectors: list[np.ndarray] = []
    todo = [a for a in articles if a.id not in keep]
    if previous is not None and keep:
        rows = [i for i, c in enumerate(previous.chunks) if c.article_id in keep]
        chunks.extend(previous.chunks[i] for i in rows)
        vectors.append(previous.vectors[rows])
        srows = [i for i, s in enumerate(previous.sentences) if s.article_id in keep]
        sentences.extend(previous.sentences[i] for i in srows)
        sentence_vectors.append(previous.sentence_vectors[srows])

    for done, article in enumerate(todo):
        if progress:
            progress(done, len(todo))
        pieces = chunk_article(article, embedder.count_tokens, **params)
        chunks.extend(pieces)
        vectors.append(embedder.encode([embed_text(article.title, c.heading, c.text) for c in pieces]))
        spans = sentence_spans(article.body)
        sentences.extend(SentenceRef(article.id, s.start, s.end) for s in spans)
        sentence_vectors.append(embedder.encode([article.body[s.start : s.end] for s in spans]))
    if progress:
        progress(len(todo), len(todo))

    dim = embedder.dimension
    matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
    smatrix = (
        np.vstack(sentence_vectors).astype(np.float32) if sentence_vectors else np.zeros((0, dim), np.float32)
    )
    ids = {a.id for a in articles}
    added = tuple(sorted(a.id for a in articles if a.id not in old_hashes))
    changed = tuple(sorted(a.id for a in todo if a.id in old_hashes))
    removed = tuple(sorted(set(old_hashes) - ids))
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": embedder.model_id,
        "dimension": dim,
        "chunking": params,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "articles": {
            a.id: {
                "hash": a.content_hash,
                "title": a.title,
                "chunks": sum(c.article_id == a.id for c in chunks),
            }
            for a in articles
        },
    }
    index = Index(manifest, {a.id: a for a in articles}, chunks, matrix, sentences, smatrix)
    report = UpdateReport(
        articles=len(articles),
        chunks=len(chunks),
        added=added,
        changed=changed,
        removed=removed,
        unchanged=len(keep),
        seconds=time.perf_counter() - began,
    )
    return index, report


def save(index: Index, index_dir: Path) -> Path:
    """Write `index` as a new build and make it live atomically; returns the build folder."""
    import faiss

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    tmp = builds / f".{name}.tmp"
    tmp.mkdir()
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for chunk in index.chunks:
            fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")
    with (tmp / "sentences.jsonl").open("w", encoding="utf-8") as fh:
        for ref in index.sentences:
            fh.write(json.dumps(asdict(ref)) + "\n")
    (tmp / "articles.json").write_text(
        json.dumps([_article_meta(a) for a in index.articles.values()], ensure_ascii=False, indent=1),
        encoding="utf-8",
    )
    np.save(tmp / "chunks.npy", index.vectors, allow_pickle=False)
    np.save(tmp / "sentences.npy", index.sentence_vectors, allow_pickle=False)
    faiss.write_index(index.faiss, str(tmp / "faiss.index"))
    files = ["chunks.jsonl", "sentences.jsonl", "articles.json", "chunks.npy", "sentences.npy", "faiss.index"]
    manifest = dict(index.manifest, files={f: _sha256(tmp / f) for f in files})
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    final = builds / name
    tmp.rename(final)
    pointer = index_dir / f".CURRENT.{uuid.uuid4().hex[:8]}"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, index_dir / "CURRENT")
    index.manifest = manifest
    _prune(builds, keep={name})
    return final


def _prune(builds: Path, keep: set[str]) -> None:
    """Drop old builds, keeping the live one and the one before it (a reader may still be loading it)."""
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for path in [p for p in done if p.name not in keep][1:]:
        shutil.rmtree(path, ignore_errors=True)
    for path in builds.glob(".*.tmp"):
        if time.time() - path.stat().st_mtime > 3600:
            shutil.rmtree(path, ignore_errors=True)


def load(index_dir: Path, model_id: str | None = None) -> Index:
    """The live index, verified against its manifest; raises `IndexUnusable` with the reason."""
    current = index_dir / "CURRENT"
    if not current.is_file():
        raise IndexUnusable(f"no index in {index_dir}")
    folder = index_dir / "builds" / current.read_text(encoding="utf-8").strip()
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnusable(f"the index manifest is unreadable ({exc})") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnusable(
            f"the index has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}"
        )
    if model_id is not None and manifest.get("model") != model_id:
        raise IndexUnusable(f"the index was built with model {manifest.get('model')!r}, not {model_id!r}")
    try:
        for name, digest in manifest["files"].items():
            if _sha256(folder / name) != digest:
                raise IndexUnusable(f"the index file {name} is damaged (checksum mismatch)")
        chunks = [Chunk(**json.loads(line)) for line in (folder / "chunks.jsonl").open(encoding="utf-8")]
        sentences = [
            SentenceRef(**json.loads(line)) for line in (folder / "sentences.jsonl").open(encoding="utf-8")
        ]
        metas = json.loads((folder / "articles.json").read_text(encoding="utf-8"))
        articles = {m["id"]: Article(**dict(m, path=Path(m["path"]))) for m in metas}
        vectors = np.load(folder / "chunks.npy", allow_pickle=False)
        svectors = np.load(folder / "sentences.npy", allow_pickle=False)
    except IndexUnusable:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnusable(f"the index is damaged ({exc})") from exc
    dim = manifest.get("dimension")
    if vectors.shape != (len(chunks), dim) or svectors.shape != (len(sentences), dim):
        raise IndexUnusable("the index is damaged (vector and chunk counts disagree)")
    index = Index(manifest, articles, chunks, vectors, sentences, svectors)
    index._faiss = _read_faiss(folder / "faiss.index", len(chunks), dim)
    return index


def _read_faiss(path: Path, count: int, dim: int) -> Any:
    import faiss

    try:
        flat = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexUnusable(f"the FAISS index is damaged ({exc})") from exc
    if flat.ntotal != count or flat.d != dim:
        raise IndexUnusable("the FAISS index does not match the chunk store")
    return flat


def knowledge_state(folder: Path) -> dict[str, list[int]]:
    """Size and modification time of every file in the articles folder: cheap change detection."""
    if not folder.is_dir():
        return {}
    return {
        p.name: [p.stat().st_size, p.stat().st_mtime_ns]
        for p in sorted(folder.iterdir())
        if p.is_file() and not p.name.startswith(".")
    }


@dataclass(frozen=True)
class Refresh:
    """The outcome of bringing the index up to date with the knowledge folder."""

    index: Index
    report: UpdateReport | None
    problems: tuple[Any, ...]
    reason: str | None


def refresh(
    settings: Settings,
    embedder: Embedder,
    force: bool = False,
    progress: Progress | None = None,
) -> Refresh:
    """Load the index, rebuilding what changed in the knowledge folder (only changed articles re-embed).

    Raises `KnowledgeError` when the folder is missing or holds no readable article.
    """
    from bot.knowledge import KnowledgeError, load_articles

    state = knowledge_state(settings.articles_dir)
    previous: Index | None = None
    reason: str | None = None
    try:
        previous = load(settings.index_dir, embedder.model_id)
    except IndexUnusable as exc:
        reason = str(exc)
    if previous is not None and not force and previous.manifest.get("knowledge_state") == state:
        return Refresh(previous, None, (), None)
    articles, problems = load_articles(settings.articles_dir, max_bytes=settings.max_article_bytes)
    if not articles:
        raise KnowledgeError(f"no readable article in {settings.articles_dir}")
    if previous is not None and reason is None and not force:
        reason = "the knowledge folder changed"
    index, report = build(articles, embedder, settings, previous=previous, progress=progress)
    index.manifest["knowledge_state"] = state
    save(index, settings.index_dir)
    return Refresh(index, report, tuple(problems), reason)
