"""The on-disk index: FAISS vectors, a JSONL chunk store and a manifest, built incrementally.

Layout of `index_dir`:
    CURRENT                     name of the live build (replaced atomically)
    builds/<name>/manifest.json model id, dimension, format version, per-article hashes, build time,
                                checksums, the words removed articles took with them ("retired")
    builds/<name>/articles.json article metadata for citations
    builds/<name>/chunk_spans.npy, chunk_headings.json   (article, start, end, heading) of every chunk
    builds/<name>/sentence_spans.npy  (article, start, end) of every sentence, grouped by article
    builds/<name>/chunks.npy, sentences.npy   normalised embeddings (memory-mapped at load)
    builds/<name>/faiss.index, sentences.faiss   inner-product FAISS indexes over them (`make_faiss`)
    builds/<name>/layout/       what retrieval derives from the articles (see `bot.layout`)
    builds/<name>/concerns-<key>.npy   derived caches (`write_derived`), listed in the manifest too
A build is written beside the live one and made live by replacing CURRENT, so an interrupted build
leaves the previous index usable. Nothing is pickled.

The folder heals itself: an unreadable CURRENT makes the newest build that verifies live again (or a
rebuild), temp builds of a killed run are dropped at the next build, a derived file that fails its
checksum is recomputed, and a folder that cannot be written answers from the index it holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import re
import shutil
import socket
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bot import layout
from bot.chunking import chunk_article, embed_text, sentence_spans
from bot.config import Settings
from bot.embedding import Embedder, store_model, use_stored_model
from bot.lexical import Vocabulary
from bot.models import Article, Chunk, Problem, SentenceRef, Sentences, article_ranges

# 5: sentence spans as arrays, a FAISS index of sentences, the layout saved; 6: "lunges" stem to lunge.
FORMAT_VERSION = 6
FILES = (
    "chunk_spans.npy",
    "chunk_headings.json",
    "sentence_spans.npy",
    "articles.json",
    "chunks.npy",
    "sentences.npy",
    "faiss.index",
    "sentences.faiss",
    *layout.FILES,
)
BUILD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
DERIVED_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.npy")
TMP_MAX_AGE = 3600.0  # seconds; a temp build whose process cannot be checked (another host) is kept this long
Progress = Callable[[int, int], None]

log = logging.getLogger(__name__)


class IndexUnusable(Exception):
    """The index on disk is missing, damaged, or built with another model or format."""


class Chunks(Sequence[Chunk]):
    """The index's chunks as arrays (article, start, end, heading), each read from its article's body
    when asked for: 100,000 chunks load in milliseconds."""

    def __init__(self, articles: dict[str, Article], spans: np.ndarray, headings: list[str]) -> None:
        self._articles = articles
        self._ids = list(articles)
        self.spans = spans
        self.headings = headings
        self._ranges: dict[str, tuple[int, int]] | None = None

    @classmethod
    def of(cls, chunks: Sequence[Chunk], articles: dict[str, Article]) -> Chunks:
        order = {aid: k for k, aid in enumerate(articles)}
        headings: dict[str, int] = {}
        spans = np.array(
            [
                (order[c.article_id], c.start, c.end, headings.setdefault(c.heading, len(headings)))
                for c in chunks
            ],
            dtype=np.int32,
        )
        return cls(articles, spans.reshape(len(chunks), 4), list(headings))

    def __len__(self) -> int:
        return len(self.spans)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        a, start, end, heading = (int(x) for x in self.spans[i])
        aid = self._ids[a]
        body = self._articles[aid].body
        return Chunk(f"{aid}#{start}-{end}", aid, self.headings[heading], start, end, body[start:end])

    def __iter__(self) -> Iterator[Chunk]:
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Chunks) and list(self) == list(other)

    def rows(self, article_id: str) -> range:
        """The rows of one article's chunks (they are stored grouped by article)."""
        if self._ranges is None:
            self._ranges = article_ranges(self.spans[:, 0], self._ids)
        return range(*self._ranges.get(article_id, (0, 0)))

    __hash__ = None  # type: ignore[assignment]


@dataclass
class Index:
    """Everything needed to answer: chunks, their vectors, sentence vectors and article metadata."""

    manifest: dict[str, Any]
    articles: dict[str, Article]
    chunks: Chunks
    vectors: np.ndarray | DiskRows
    sentences: Sentences
    sentence_vectors: np.ndarray | DiskRows
    faiss: Any = field(repr=False)  # over `vectors` (see `make_faiss`)
    sentence_faiss: Any = field(repr=False)  # over `sentence_vectors`
    layout: layout.Layout = field(repr=False)
    folder: Path | None = field(default=None, repr=False)  # the build on disk, once saved or loaded

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """The chunks of one article, in order."""
        return [self.chunks[i] for i in self.chunks.rows(article_id)]


@dataclass(frozen=True)
class UpdateReport:
    articles: int
    chunks: int
    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    seconds: float
    # Words no article uses any more since this build (questions on them are refused).
    retired: tuple[str, ...] = ()
    # Articles embedded in this build: the added and changed ones, or all of them when forced (or
    # when the model or the chunking changed).
    embedded: int = 0

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
    """The file's SHA-256, read in blocks (a 1 GB vector file never sits in memory whole)."""
    digest = hashlib.sha256()
    block = bytearray(1 << 22)
    view = memoryview(block)
    with path.open("rb", buffering=0) as fh:
        while size := fh.readinto(block):
            digest.update(view[:size])
    return digest.hexdigest()


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
    reuse: bool = True,
) -> tuple[Index, UpdateReport]:
    """A new index for `articles`, reusing `previous` vectors of articles whose content is unchanged
    (unless not `reuse`: every article is embedded again, and the words removed articles took with
    them are forgotten)."""
    began = time.perf_counter()
    params = chunk_params(settings, embedder)
    reusable = (
        reuse
        and previous is not None
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

    texts: list[str] = []
    sentence_texts: list[str] = []
    for done, article in enumerate(todo):
        if progress:
            progress(done, len(todo))
        pieces = chunk_article(article, embedder.count_tokens, **params)
        chunks.extend(pieces)
        texts.extend(embed_text(article.title, c.heading, c.text) for c in pieces)
        spans = sentence_spans(article.body)
        sentences.extend(SentenceRef(article.id, s.start, s.end) for s in spans)
        sentence_texts.extend(article.body[s.start : s.end] for s in spans)
    if texts or sentence_texts:
        # One batched encode across all articles (the embedder sorts by length), not two per article.
        encoded = embedder.encode([*texts, *sentence_texts])
        vectors.append(encoded[: len(texts)])
        sentence_vectors.append(encoded[len(texts) :])
    if progress:
        progress(len(todo), len(todo))

    dim = embedder.dimension
    matrix = np.vstack(vectors).astype(np.float32) if vectors else np.zeros((0, dim), np.float32)
    smatrix = (
        np.vstack(sentence_vectors).astype(np.float32) if sentence_vectors else np.zeros((0, dim), np.float32)
    )
    ids = {a.id for a in articles}
    added = tuple(sorted(a.id for a in articles if a.id not in old_hashes))
    changed = tuple(
        sorted(a.id for a in todo if a.id in old_hashes and old_hashes[a.id].get("hash") != a.content_hash)
    )
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
    ordered = {a.id: a for a in articles}
    table = Sentences.of(sentences, list(ordered))
    chunk_table = Chunks.of(chunks, ordered)
    manifest["search"] = {"chunks": _kind(len(matrix), settings), "sentences": _kind(len(smatrix), settings)}
    index = Index(
        manifest,
        ordered,
        chunk_table,
        matrix,
        table,
        smatrix,
        faiss=make_faiss(matrix, settings),
        sentence_faiss=make_faiss(smatrix, settings),
        layout=None,  # type: ignore[arg-type]
    )
    vocabulary = Vocabulary()
    index.layout = layout.derive(index, vocabulary)
    # A forced rebuild starts afresh: it forgets the words removed articles took with them.
    earlier = layout.retired_of(previous.manifest.get("retired")) if previous is not None and reuse else {}
    gone = [
        previous.articles[a] for a in (*removed, *changed) if previous and reuse and a in previous.articles
    ]
    retired = layout.retired_words(gone, earlier, index.layout.lexical, vocabulary)
    if retired:
        manifest["retired"] = retired
    report = UpdateReport(
        articles=len(articles),
        chunks=len(chunks),
        added=added,
        changed=changed,
        removed=removed,
        unchanged=sum(1 for a in articles if a.id in old_hashes and a.id not in changed),
        embedded=len(todo),
        seconds=time.perf_counter() - began,
        retired=tuple(sorted(word for stem, (word, _) in retired.items() if stem not in earlier)),
    )
    return index, report


def save(index: Index, index_dir: Path, embedder: Embedder | None = None) -> Path:
    """Write `index` as a new build and make it live atomically; returns the build folder. The model
    `embedder` runs is stored in the build when it runs one of its own (ONNX), listed as `encoder`."""
    import faiss

    builds = index_dir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    _clean_leftovers(index_dir)
    name = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    tmp = builds / f".{name}.{_owner()}.tmp"
    tmp.mkdir()
    final = builds / name
    try:
        np.save(tmp / "chunk_spans.npy", np.asarray(index.chunks.spans), allow_pickle=False)
        (tmp / "chunk_headings.json").write_text(
            json.dumps(index.chunks.headings, ensure_ascii=False), encoding="utf-8"
        )
        np.save(tmp / "sentence_spans.npy", np.asarray(index.sentences.spans), allow_pickle=False)
        (tmp / "articles.json").write_text(
            json.dumps([_article_meta(a) for a in index.articles.values()], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
        np.save(tmp / "chunks.npy", index.vectors, allow_pickle=False)
        np.save(tmp / "sentences.npy", index.sentence_vectors, allow_pickle=False)
        faiss.write_index(index.faiss, str(tmp / "faiss.index"))
        faiss.write_index(index.sentence_faiss, str(tmp / "sentences.faiss"))
        layout.save(index.layout, tmp)
        encoder = store_model(embedder, tmp) if embedder is not None else None
        manifest = dict(index.manifest, files={f: _sha256(tmp / f) for f in FILES})
        manifest.pop("derived", None)  # derived caches belong to the build they were made for
        if encoder is not None:
            manifest["encoder"] = encoder
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _point(index_dir, name)
    index.manifest = manifest
    index.folder = final
    _prune(builds, keep={name})
    return final


def _point(index_dir: Path, name: str) -> None:
    """Make build `name` live by replacing CURRENT atomically, whatever stands in its place."""
    current = index_dir / "CURRENT"
    if current.is_dir() and not current.is_symlink():
        # A directory cannot be replaced by a file: move it aside, then drop it.
        aside = index_dir / f".CURRENT.broken-{uuid.uuid4().hex[:8]}"
        current.rename(aside)
        shutil.rmtree(aside, ignore_errors=True)
    pointer = index_dir / f".CURRENT.{uuid.uuid4().hex[:8]}"
    pointer.write_text(name + "\n", encoding="utf-8")
    os.replace(pointer, current)


def _owner() -> str:
    """This process, as written into the names of its temp builds: host and process id."""
    host = re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname())[:40].strip("-") or "host"
    return f"{host}-{os.getpid()}"


def _tmp_owner_alive(name: str) -> bool | None:
    """Whether the process that writes temp build `name` still runs (None: it cannot be told)."""
    parts = name.removeprefix(".").removesuffix(".tmp").split(".")
    host, _, pid = parts[-1].rpartition("-") if len(parts) > 1 else ("", "", "")
    if not pid.isdigit():
        return False  # written by a version that did not name its owner: not a build under way now
    if host != _owner().rpartition("-")[0] or os.name != "posix":
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _clean_leftovers(index_dir: Path) -> None:
    """Drop what killed runs left behind: temp builds whose process is gone (or, when that cannot be
    told, that are over an hour old), half-made CURRENT pointers, and the concern cache of earlier
    versions, which lived beside the index without a checksum."""
    now = time.time()
    for path in (index_dir / "builds").glob(".*.tmp"):
        alive = _tmp_owner_alive(path.name)
        try:
            old = now - path.stat().st_mtime > TMP_MAX_AGE
        except OSError:
            continue
        if alive is False or (alive is None and old):
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob(".CURRENT.*"):
        try:
            if now - path.lstat().st_mtime > 60:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
        except OSError:
            continue
    for pattern in ("concerns-*.npy", ".concerns-*.tmp.npy"):
        for path in index_dir.glob(pattern):
            path.unlink(missing_ok=True)


def _prune(builds: Path, keep: set[str]) -> None:
    """Drop old builds, keeping the live one and the one before it (a reader may still be loading it)."""
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True)
    for path in [p for p in done if p.name not in keep][1:]:
        shutil.rmtree(path, ignore_errors=True)


def _current_name(index_dir: Path) -> str:
    """The live build CURRENT names; raises `IndexUnusable` when CURRENT is missing or unreadable."""
    current = index_dir / "CURRENT"
    if not os.path.lexists(current):
        raise IndexUnusable(f"no index in {index_dir}")
    try:
        with current.open("rb") as fh:
            raw = fh.read(256)
    except OSError as exc:  # a directory, a dangling link, no permission
        raise IndexUnusable(f"the index pointer {current} is unreadable ({exc.strerror or exc})") from exc
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise IndexUnusable(f"the index pointer {current} is unreadable (not UTF-8 text)") from exc
    if not BUILD_NAME.fullmatch(name):
        raise IndexUnusable(f"the index pointer {current} does not name a build ({name[:40]!r})")
    return name


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _check_manifest(manifest: dict[str, Any]) -> None:
    """Refuse a manifest that does not vouch for every file, or lists its articles badly."""
    files = manifest.get("files")
    if not isinstance(files, dict) or not all(isinstance(files.get(name), str) for name in FILES):
        raise IndexUnusable("the index is damaged (its manifest does not list a checksum for every file)")
    articles = manifest.get("articles")
    if not isinstance(articles, dict) or not all(
        isinstance(meta, dict) and isinstance(meta.get("hash"), str) and isinstance(meta.get("chunks"), int)
        for meta in articles.values()
    ):
        raise IndexUnusable("the index is damaged (its manifest lists the articles badly)")


def load(index_dir: Path, model_id: str | None = None) -> Index:
    """The live index, verified against its manifest; raises `IndexUnusable` with the reason."""
    name = _current_name(index_dir)
    folder = index_dir / "builds" / name
    if not folder.is_dir():
        raise IndexUnusable(
            f"the index pointer {index_dir / 'CURRENT'} names a build that is not there ({name})"
        )
    return load_build(folder, model_id)


def load_build(folder: Path, model_id: str | None = None) -> Index:
    """The build in `folder`, verified against its manifest; raises `IndexUnusable` with the reason."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise IndexUnusable(f"the index manifest is unreadable ({exc})") from exc
    if not isinstance(manifest, dict):
        raise IndexUnusable("the index manifest is damaged (not a JSON object)")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnusable(
            f"the index has format {manifest.get('format_version')}, this version reads {FORMAT_VERSION}"
        )
    if model_id is not None and manifest.get("model") != model_id:
        raise IndexUnusable(f"the index was built with model {manifest.get('model')!r}, not {model_id!r}")
    _check_manifest(manifest)
    # The files are checked against their checksums on other threads while they are read (hashing
    # lets go of the GIL): a large build loads in the time of the longer of the two, not their sum.
    with ThreadPoolExecutor(max_workers=2) as pool:
        by_size = sorted(FILES, key=lambda name: -_size(folder / name))
        digests = {name: pool.submit(_sha256, folder / name) for name in by_size}
        try:
            index = _read_build(folder, manifest)
            problem: Exception | None = None
        except (
            IndexUnusable,
            OSError,
            EOFError,
            ValueError,
            KeyError,
            TypeError,
            RecursionError,
            RuntimeError,
        ) as exc:  # an empty .npy file raises EOFError
            problem = exc
        for name in FILES:
            try:
                digest = digests[name].result()
            except OSError as exc:
                raise IndexUnusable(f"the index file {name} is unreadable ({exc.strerror or exc})") from exc
            if digest != manifest["files"][name]:
                raise IndexUnusable(f"the index file {name} is damaged (checksum mismatch)")
    if isinstance(problem, IndexUnusable):
        raise problem
    if problem is not None:
        raise IndexUnusable(f"the index is damaged ({problem})") from problem
    return index


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_build(folder: Path, manifest: dict[str, Any]) -> Index:
    """The files of the build in `folder`, read (vectors memory-mapped) and checked for shape."""
    metas = json.loads((folder / "articles.json").read_text(encoding="utf-8"))
    articles = {m["id"]: Article(**dict(m, path=Path(m["path"]))) for m in metas}
    chunk_spans = np.asarray(np.load(folder / "chunk_spans.npy", mmap_mode="r", allow_pickle=False))
    headings = json.loads((folder / "chunk_headings.json").read_text(encoding="utf-8"))
    if (
        chunk_spans.ndim != 2
        or chunk_spans.shape[1] != 4
        or not isinstance(headings, list)
        or (len(chunk_spans) and not 0 <= chunk_spans[:, 0].min() <= chunk_spans[:, 0].max() < len(articles))
        or (len(chunk_spans) and not 0 <= chunk_spans[:, 3].min() <= chunk_spans[:, 3].max() < len(headings))
    ):
        raise IndexUnusable("the index is damaged (the chunk spans are misshapen)")
    chunks = Chunks(articles, chunk_spans, [str(h) for h in headings])
    spans = np.asarray(np.load(folder / "sentence_spans.npy", mmap_mode="r", allow_pickle=False))
    if (
        spans.ndim != 2
        or spans.shape[1] != 3
        or (len(spans) and not 0 <= spans[:, 0].min() <= spans[:, 0].max() < len(articles))
    ):
        raise IndexUnusable("the index is damaged (the sentence spans are misshapen)")
    sentences = Sentences(list(articles), spans)
    vectors = _vectors(folder / "chunks.npy")
    svectors = _vectors(folder / "sentences.npy")
    derived = layout.load(folder)
    dim = int(manifest.get("dimension") or 0)
    if vectors.shape != (len(chunks), dim) or svectors.shape != (len(sentences), dim):
        raise IndexUnusable("the index is damaged (vector and chunk counts disagree)")
    return Index(
        manifest,
        articles,
        chunks,
        vectors,
        sentences,
        svectors,
        faiss=_read_faiss(folder / "faiss.index", len(chunks), dim),
        sentence_faiss=_read_faiss(folder / "sentences.faiss", len(sentences), dim),
        layout=derived,
        folder=folder,
    )


def _load_any(index_dir: Path, model_id: str) -> tuple[Index | None, str | None]:
    """The live index, else the newest other build that verifies, with the reason the live one (or
    CURRENT) could not be used."""
    try:
        return load(index_dir, model_id), None
    except IndexUnusable as exc:
        reason = str(exc)
    try:
        live = _current_name(index_dir)
    except IndexUnusable:
        live = None
    try:
        folders = sorted((index_dir / "builds").iterdir(), reverse=True)
    except OSError:
        folders = []
    for folder in folders:
        if folder.name != live and BUILD_NAME.fullmatch(folder.name) and folder.is_dir():
            try:
                return load_build(folder, model_id), reason
            except IndexUnusable:
                continue
    return None, reason


def indexed_ids(index_dir: Path) -> set[str]:
    """Ids of the articles in the live index, read from its manifest alone (empty when unreadable)."""
    try:
        manifest = _read_manifest(index_dir / "builds" / _current_name(index_dir))
    except IndexUnusable:
        return set()
    articles = manifest.get("articles") if manifest else None
    return set(articles) if isinstance(articles, dict) else set()


def read_derived(index: Index, kind: str, name: str) -> np.ndarray | None:
    """The array `write_derived` stored with `index` as `name`, or None when there is none, it is
    another one, or it fails the checksum its manifest lists (the caller then recomputes it)."""
    if index.folder is None or not _derived_name(name):
        return None
    manifest = _read_manifest(index.folder) or index.manifest
    derived = manifest.get("derived")
    entry = derived.get(kind) if isinstance(derived, dict) else None
    if not isinstance(entry, dict) or entry.get("file") != name:
        return None
    path = index.folder / name
    try:
        if _sha256(path) != entry.get("sha256"):
            log.warning("%s is damaged (checksum mismatch); recomputing it", path)
            return None
        return np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError):
        return None


def write_derived(index: Index, kind: str, name: str, array: np.ndarray) -> bool:
    """Store `array` with the build of `index` and list it, with its checksum, in the build's manifest
    as the one `kind` file (replacing the one before). False when the folder cannot be written."""
    folder = index.folder
    if folder is None or not _derived_name(name):
        return False
    tmp = folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp.npy"
    pointer = folder / f".manifest.{uuid.uuid4().hex[:8]}.tmp"
    try:
        np.save(tmp, array, allow_pickle=False)
        digest = _sha256(tmp)
        manifest = _read_manifest(folder)
        if manifest is None:
            return False
        derived: dict[str, Any] = manifest["derived"] if isinstance(manifest.get("derived"), dict) else {}
        before: dict[str, Any] = derived[kind] if isinstance(derived.get(kind), dict) else {}
        derived = {**derived, kind: {"file": name, "sha256": digest}}
        os.replace(tmp, folder / name)
        pointer.write_text(json.dumps({**manifest, "derived": derived}, indent=1), encoding="utf-8")
        os.replace(pointer, folder / "manifest.json")
    except OSError:
        return False
    finally:
        for path in (tmp, pointer):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    index.manifest["derived"] = derived
    old = before.get("file")
    if isinstance(old, str) and old != name and _derived_name(old):
        with contextlib.suppress(OSError):
            (folder / old).unlink(missing_ok=True)
    return True


def _derived_name(name: str) -> bool:
    """A plain `.npy` file name that is none of the build's own files (a manifest is not trusted to say)."""
    return bool(DERIVED_NAME.fullmatch(name)) and name not in FILES


def _kind(count: int, settings: Settings) -> str:
    """Which FAISS index `make_faiss` builds for `count` vectors, as recorded in the manifest."""
    if count <= settings.exact_search_max:
        return "flat (exact)"
    nlist = settings.ann_nlist or int(4 * np.sqrt(count))
    return f"ivf-sq8 (nlist {nlist}, nprobe {min(nlist, settings.ann_nprobe)})"


def make_faiss(vectors: np.ndarray, settings: Settings) -> Any:
    """An inner-product FAISS index over `vectors` (unit rows), chosen by size: exact (`IndexFlatIP`)
    up to `exact_search_max` vectors, else IVF with 8-bit scalar codes (`ann_nlist` lists, 0: about
    4 sqrt(n); `ann_nprobe` searched), whose candidates the caller rescores with the exact vectors."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    count, dim = vectors.shape
    if count <= settings.exact_search_max:
        flat = faiss.IndexFlatIP(dim)
        if count:
            flat.add(vectors)
        return flat
    nlist = settings.ann_nlist or int(4 * np.sqrt(count))
    quantizer = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    sample = vectors[np.random.default_rng(0).choice(count, min(count, nlist * 64), replace=False)]
    ivf.train(sample)
    ivf.add(vectors)
    ivf.nprobe = min(nlist, settings.ann_nprobe)
    return ivf


def _read_faiss(path: Path, count: int, dim: int) -> Any:
    """The FAISS index in `path`, read whole (a memory-mapped IVF index searched six times slower)."""
    import faiss

    try:
        found = faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexUnusable(f"the FAISS index is damaged ({exc})") from exc
    if found.ntotal != count or found.d != dim:
        raise IndexUnusable("the FAISS index does not match the chunk store")
    return found


class DiskRows:
    """A matrix in a `.npy` file too large to hold whole (a large library's vectors): the rows asked
    for are read from the file, so memory does not grow with the library. (Memory-mapping it would
    count whole page-cache folios around every row read as this process's memory.)"""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as fh:
            version = np.lib.format.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
            self._offset = fh.tell()
        if fortran or len(shape) != 2 or dtype.hasobject:
            raise ValueError(f"{path.name} is not a row-major matrix")
        self.shape: tuple[int, int] = (int(shape[0]), int(shape[1]))
        self.dtype = dtype
        self.ndim = 2
        self._row_bytes = self.shape[1] * dtype.itemsize
        if path.stat().st_size < self._offset + self.shape[0] * self._row_bytes:
            raise ValueError(f"{path.name} is shorter than its header says")
        self._fd = os.open(path, os.O_RDONLY)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: Any) -> np.ndarray:
        wanted = np.arange(self.shape[0])[rows] if isinstance(rows, slice) else np.asarray(rows, np.int64)
        wanted = wanted.reshape(-1)
        out = np.empty((len(wanted), self.shape[1]), dtype=self.dtype)
        buffer = out.reshape(-1).view(np.uint8).data
        if len(wanted) and not 0 <= wanted.min() <= wanted.max() < self.shape[0]:
            raise IndexError("a row is out of range")
        size = self._row_bytes
        # One read per run of consecutive rows (a passage's sentences are neighbours).
        breaks = np.flatnonzero(np.diff(wanted) != 1) + 1
        for lo, hi in itertools.pairwise([0, *breaks.tolist(), len(wanted)]):
            os.preadv(self._fd, [buffer[lo * size : hi * size]], self._offset + int(wanted[lo]) * size)
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[slice(None)]
        return whole if dtype is None else whole.astype(dtype)

    def __matmul__(self, other: Any) -> np.ndarray:
        return np.asarray(self) @ other

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self._fd)


# Vector files from this size on are read row by row (`DiskRows`); smaller ones are memory-mapped (the
# chunk vectors of 10,000 articles are about 120 MB: at most that much is ever brought in, and the
# few hundred rows a question needs cost nothing to look up).
DISK_ROWS_BYTES = 256 * 1024 * 1024


def _vectors(path: Path) -> np.ndarray | DiskRows:
    if _size(path) >= DISK_ROWS_BYTES:
        return DiskRows(path)
    # Mapped, not read: a start does not wait for pages a question may never touch.
    return np.asarray(np.load(path, mmap_mode="r", allow_pickle=False))


def knowledge_state(folder: Path) -> dict[str, list[int]]:
    """Size, modification time and permissions of every file in the articles folder: cheap change
    detection (a file made unreadable is read again, and named, rather than served unnoticed)."""
    try:
        paths = sorted(folder.iterdir())
    except OSError:
        return {}
    state = {}
    for path in paths:
        try:
            info = path.stat()
        except OSError:  # removed while we looked, or a dangling link
            continue
        if stat.S_ISREG(info.st_mode) and not path.name.startswith("."):
            state[path.name] = [info.st_size, info.st_mtime_ns, stat.S_IMODE(info.st_mode)]
    return state


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

    `problems` lists the skipped files on every call, also when the index was already up to date. When
    the index folder cannot be written, the answer comes from the index it holds (or one built in
    memory), with a problem saying so. Raises `KnowledgeError` when the folder is missing or holds no
    readable article.
    """
    from bot.knowledge import FolderUnreadable, KnowledgeError, load_articles

    index_dir = settings.index_dir
    state = knowledge_state(settings.articles_dir)
    previous, reason = _load_any(index_dir, embedder.model_id)
    if previous is not None and reason is not None and previous.folder is not None:
        try:
            _point(index_dir, previous.folder.name)
            reason = f"{reason}; build {previous.folder.name} is live again"
        except OSError:
            reason = f"{reason}; answering from build {previous.folder.name}"
    stored = _stored_problems(previous.manifest) if previous is not None else None
    model_ready = use_stored_model(embedder, previous)  # else a new build stores the model, if it can
    if (
        previous is not None
        and not force
        and previous.manifest.get("knowledge_state") == state
        and (model_ready or _unwritable(index_dir) is not None)
    ):
        if stored is None:  # an index written before problems were stored: read them again
            keep = set(previous.manifest["articles"])
            stored = tuple(load_articles(settings.articles_dir, keep, settings.max_article_bytes)[1])
        return Refresh(previous, None, stored, reason)
    keep = set(previous.manifest["articles"]) if previous is not None else indexed_ids(index_dir)
    try:
        articles, problems = load_articles(settings.articles_dir, keep, settings.max_article_bytes)
    except FolderUnreadable as exc:
        if previous is None:
            raise
        # Members keep their answers while a maintainer fixes the folder's permissions.
        unread = Problem(settings.articles_dir, f"{exc}; answering from the last index until it can be read")
        return Refresh(previous, None, (unread,), reason)
    if previous is not None:
        articles, problems = last_good(articles, problems, previous)
    if not articles:
        raise KnowledgeError(f"no readable article in {settings.articles_dir}")
    if previous is not None and reason is None and not force:
        changed = previous.manifest.get("knowledge_state") != state
        reason = "the knowledge folder changed" if changed else "the ONNX model is now stored with it"
    blocked = _unwritable(index_dir)
    if blocked is not None and previous is not None:
        # Recorded in memory only, so a watcher does not retry (and warn) on every tick.
        previous.manifest["knowledge_state"] = state
        stale = Problem(
            index_dir,
            f"cannot be written ({blocked}): answering from the index built {previous.manifest.get('built_at')}, "
            "which may be stale; run `coach index` where the folder can be written",
        )
        return Refresh(previous, None, (*problems, stale), None)
    index, report = build(articles, embedder, settings, previous=previous, progress=progress, reuse=not force)
    index.manifest["knowledge_state"] = state
    index.manifest["problems"] = [{"path": str(p.path), "message": p.message} for p in problems]
    if blocked is None:
        try:
            save(index, index_dir, embedder)
            return Refresh(index, report, tuple(problems), reason)
        except OSError as exc:
            blocked = exc.strerror or str(exc)
    memory = Problem(
        index_dir, f"cannot be written ({blocked}): the index was built in memory for this run only"
    )
    return Refresh(index, report, (*problems, memory), reason)


def last_good(
    articles: list[Article], problems: list[Problem], previous: Index
) -> tuple[list[Article], list[Problem]]:
    """An indexed article whose file is still there but no longer loads (a bad byte, broken front
    matter, an unreadable file) stays as it was last indexed, with a problem saying so: one bad save
    must not take its answers, nor the words only it used, from the library. Deleting the file removes
    it; a copy of another article is skipped as before."""
    from bot.knowledge import SAME_TEXT

    loaded = {a.id for a in articles}
    kept: list[Article] = []
    out: list[Problem] = []
    for p in problems:
        old = previous.articles.get(p.path.stem)
        if old is None or old.id in loaded or p.message.startswith(SAME_TEXT) or not p.path.exists():
            out.append(p)
            continue
        kept.append(old)
        loaded.add(old.id)
        out.append(Problem(p.path, f"{p.message}; answering from its last indexed version until it is fixed"))
    return sorted([*articles, *kept], key=lambda a: a.id), out


def _stored_problems(manifest: dict[str, Any]) -> tuple[Problem, ...] | None:
    """The skipped files a build recorded (None: it recorded none, being older than that)."""
    items = manifest.get("problems")
    if not isinstance(items, list):
        return None
    return tuple(
        Problem(Path(item["path"]), item["message"])
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("path"), str)
        and isinstance(item.get("message"), str)
    )


def _unwritable(index_dir: Path) -> str | None:
    """Why a build cannot be saved in `index_dir` (None: it can), found by trying before embedding."""
    probe = index_dir / "builds" / f".probe-{uuid.uuid4().hex[:8]}.{_owner()}.tmp"
    pointer = index_dir / f".CURRENT.probe-{uuid.uuid4().hex[:8]}"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.mkdir()
        probe.rmdir()
        pointer.write_bytes(b"")
        pointer.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None
