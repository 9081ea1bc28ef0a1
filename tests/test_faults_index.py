"""Fault tests for the index folder: it heals, it never loads what its manifest does not vouch for."""

import builtins
import errno
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bot.coach import Coach
from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.index import IndexUnusable, load, load_build, refresh

QUESTION = "my hips drop when I run"  # its exercise suggestions depend on the concern vectors


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__(model_id="hash")
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


def coach(settings: Settings) -> Coach:
    return Coach(settings, embedder=HashEmbedder(model_id="hash"))


def live(settings: Settings) -> Path:
    return settings.index_dir / "builds" / (settings.index_dir / "CURRENT").read_text().strip()


def edit_manifest(folder: Path, change: Callable[[dict], object]) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def read_only(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """Make a folder behave as on a read-only file system (the tests run as root, so chmod is no help)."""

    def make(root: Path) -> None:
        root = root.resolve()

        def inside(path: object) -> bool:
            return not isinstance(path, int) and Path(os.fsdecode(path)).resolve().is_relative_to(root)

        def refuse(path: object) -> None:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), os.fsdecode(path))

        def one(real: Callable) -> Callable:
            def fake(path, *args, **kwargs):
                if inside(path):
                    refuse(path)
                return real(path, *args, **kwargs)

            return fake

        def two(real: Callable) -> Callable:
            def fake(src, dst, *args, **kwargs):
                if inside(src) or inside(dst):
                    refuse(dst)
                return real(src, dst, *args, **kwargs)

            return fake

        for name in ("mkdir", "rmdir", "unlink", "remove"):
            monkeypatch.setattr(os, name, one(getattr(os, name)))
        for name in ("rename", "replace"):
            monkeypatch.setattr(os, name, two(getattr(os, name)))
        real_open = builtins.open

        def fake_open(file, mode="r", *args, **kwargs):
            if any(c in mode for c in "wax+") and inside(file):
                refuse(file)
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", fake_open)
        monkeypatch.setattr(io, "open", fake_open)

    return make


@pytest.mark.parametrize("name", ["sentences.npy", "chunk_spans.npy", "layout/section.npy"])
def test_an_empty_array_file_is_damage_that_heals_not_an_abort(settings: Settings, name: str) -> None:
    """A zero-byte .npy (a full disk, a crash mid-write) makes numpy raise EOFError, which the command
    line would turn into a bare "Aborted.": it is damage like any other, and the next ask heals it."""
    c = coach(settings)
    assert c.ask(QUESTION).answered
    (live(settings) / name).write_bytes(b"")
    with pytest.raises(IndexUnusable, match="damaged"):
        load(settings.index_dir, "hash")
    assert coach(settings).ask(QUESTION).answered
    assert load(settings.index_dir, "hash").chunks


@pytest.mark.parametrize("damage", ["bad-bytes", "directory", "empty", "outside", "dangling-name"])
def test_an_unreadable_current_is_replaced_and_the_next_two_asks_answer(
    settings: Settings, damage: str
) -> None:
    assert coach(settings).ask(QUESTION).answered
    current = settings.index_dir / "CURRENT"
    current.unlink()
    if damage == "bad-bytes":
        current.write_bytes(b"\xff\xfe\x80caf\xe9\x00\n")
    elif damage == "directory":
        current.mkdir()
        (current / "junk").write_text("x")
    elif damage == "empty":
        current.write_bytes(b"")
    elif damage == "outside":
        current.write_text("../../../etc\n")
    else:
        current.write_text("20990101T000000-gone\n")

    first = coach(settings)
    assert first.ask(QUESTION).answered
    assert first.last_refresh is not None and "CURRENT" in (first.last_refresh.reason or "")
    assert current.is_file() and load(settings.index_dir, "hash").chunks
    second = coach(settings)
    assert second.ask(QUESTION).answered and second.last_refresh.reason is None  # type: ignore[union-attr]


def test_healing_current_reuses_the_last_good_build_without_embedding(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    build = live(settings).name
    (settings.index_dir / "CURRENT").write_bytes(b"\xff\xff")
    embedder = CountingEmbedder()
    healed = refresh(settings, embedder)
    assert healed.report is None and embedder.seen == []
    assert healed.reason is not None and f"build {build} is live again" in healed.reason
    assert live(settings).name == build


def test_current_without_any_good_build_is_rebuilt(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    (live(settings) / "chunks.npy").write_bytes(b"garbage")
    (settings.index_dir / "CURRENT").unlink()
    (settings.index_dir / "CURRENT").mkdir()
    rebuilt = refresh(settings, HashEmbedder(model_id="hash"))
    assert rebuilt.report is not None and rebuilt.report.articles == 5
    assert load(settings.index_dir, "hash").chunks


def stale_and_read_only(settings: Settings, read_only: Callable[[Path], None]) -> None:
    """An index built, then an article changed, then the index folder made read-only."""
    refresh(settings, HashEmbedder(model_id="hash"))
    article = settings.articles_dir / "weak-hips-and-glutes.md"
    article.write_text(
        article.read_text(encoding="utf-8") + "\nA brand new closing line.\n", encoding="utf-8"
    )
    read_only(settings.index_dir)


def test_a_read_only_folder_with_a_stale_index_answers_with_a_warning(
    settings: Settings, read_only: Callable[[Path], None]
) -> None:
    stale_and_read_only(settings, read_only)

    embedder = CountingEmbedder()
    c = Coach(settings, embedder=embedder)
    answer = c.ask(QUESTION)
    assert answer.answered and answer.text
    fresh = c.last_refresh
    assert fresh is not None and fresh.report is None
    [warning] = [str(p) for p in fresh.problems]
    assert warning.startswith(
        "index: cannot be written (Read-only file system): answering from the index built"
    )
    assert "\n" not in warning and "stale" in warning
    assert all("brand new closing line" not in t for t in embedder.seen)  # nothing was rebuilt
    assert "brand new closing line" not in c.loaded.index.articles["weak-hips-and-glutes"].body
    assert c.ask("how do I do a hip airplane?").answered


def test_a_read_only_folder_without_an_index_answers_from_memory(
    settings: Settings, read_only: Callable[[Path], None]
) -> None:
    settings.index_dir.mkdir()
    read_only(settings.index_dir)
    c = coach(settings)
    assert c.ask(QUESTION).answered
    assert [str(p) for p in c.last_refresh.problems] == [  # type: ignore[union-attr]
        "index: cannot be written (Read-only file system): the index was built in memory for this run only"
    ]
    assert not any(settings.index_dir.iterdir())


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_a_really_read_only_folder_answers(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    (settings.articles_dir / "tale-of-two-hemipelvi.md").unlink()
    folders = [settings.index_dir, settings.index_dir / "builds", live(settings)]
    for folder in folders:
        folder.chmod(0o555)
    try:
        c = coach(settings)
        assert c.ask(QUESTION).answered and "cannot be written" in str(c.last_refresh.problems[-1])  # type: ignore[union-attr]
    finally:
        for folder in folders:
            folder.chmod(0o755)


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temp_builds_of_a_killed_run_are_cleaned_at_the_next_build(settings: Settings) -> None:
    import socket

    refresh(settings, HashEmbedder(model_id="hash"))
    builds = settings.index_dir / "builds"
    host = socket.gethostname()
    killed = builds / f".20990101T000000-dead0000.{host}-{dead_pid()}.tmp"
    legacy = builds / ".20990101T000000-legacy00.tmp"
    running = builds / f".20990101T000000-live0000.{host}-{os.getppid()}.tmp"
    remote_new = builds / ".20990101T000000-remote00.elsewhere-1.tmp"
    remote_old = builds / ".20990101T000000-remote01.elsewhere-2.tmp"
    for path in (killed, legacy, running, remote_new, remote_old):
        path.mkdir()
        (path / "chunks.npy").write_bytes(b"half")
    hours_ago = time.time() - 2 * 3600
    os.utime(remote_old, (hours_ago, hours_ago))
    (settings.index_dir / "concerns-0123456789abcdef.npy").write_bytes(b"old cache")

    refresh(settings, HashEmbedder(model_id="hash"), force=True)

    left = {p.name for p in builds.iterdir() if p.name.startswith(".")}
    assert left == {running.name, remote_new.name}
    assert not list(settings.index_dir.glob("concerns-*.npy"))


def test_a_tampered_concern_cache_is_detected_and_recomputed(settings: Settings) -> None:
    first = coach(settings)
    expected = [s.exercise.slug for s in first.ask(QUESTION).exercises]
    assert expected
    folder = live(settings)
    [path] = folder.glob("concerns-*.npy")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["derived"]["concerns"]["file"] == path.name
    good = np.load(path)
    noise = np.random.default_rng(0).standard_normal(good.shape).astype(np.float32)
    np.save(path, noise / np.linalg.norm(noise, axis=1, keepdims=True))

    again = coach(settings)
    assert [s.exercise.slug for s in again.ask(QUESTION).exercises] == expected
    assert np.array_equal(np.load(path), good)  # rewritten, and listed again with its checksum
    assert json.loads((folder / "manifest.json").read_text())["derived"] == manifest["derived"]


def test_a_concern_cache_the_manifest_does_not_list_is_not_used(settings: Settings) -> None:
    first = coach(settings)
    expected = [s.exercise.slug for s in first.ask(QUESTION).exercises]
    folder = live(settings)
    [path] = folder.glob("concerns-*.npy")
    good = np.load(path)
    np.save(path, np.zeros_like(good))
    edit_manifest(folder, lambda m: m.pop("derived"))
    assert [s.exercise.slug for s in coach(settings).ask(QUESTION).exercises] == expected


@pytest.mark.parametrize(
    "damage",
    [
        lambda m: m.pop("files"),
        lambda m: m.update(files=None),
        lambda m: m.update(files={"chunk_spans.npy": m["files"]["chunk_spans.npy"]}),
        lambda m: m.update(articles={"x": "not a dict"}),
    ],
    ids=["no-files", "null-files", "some-files", "bad-articles"],
)
def test_a_manifest_that_does_not_vouch_for_every_file_is_rebuilt(settings: Settings, damage) -> None:
    built = refresh(settings, HashEmbedder(model_id="hash"))
    folder = live(settings)
    np.save(folder / "chunks.npy", np.ones_like(built.index.vectors))  # unchecked vectors must not load
    edit_manifest(folder, damage)
    with pytest.raises(IndexUnusable, match="damaged"):
        load(settings.index_dir, "hash")
    rebuilt = refresh(settings, HashEmbedder(model_id="hash"))
    assert rebuilt.report is not None and "damaged" in (rebuilt.reason or "")
    assert np.array_equal(load(settings.index_dir, "hash").vectors, built.index.vectors)


@pytest.mark.parametrize(
    "text", ["[1, 2]", "[" * 100_000 + "]" * 100_000, "caf\xe9 {"], ids=["a-list", "deep", "latin-1"]
)
def test_a_manifest_that_is_not_an_object_is_unusable_not_a_traceback(settings: Settings, text: str) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    (live(settings) / "manifest.json").write_text(text, encoding="latin-1")
    with pytest.raises(IndexUnusable):
        load_build(live(settings), "hash")
    assert refresh(settings, HashEmbedder(model_id="hash")).report is not None


def test_a_read_only_folder_is_a_warning_not_a_skipped_file(
    settings: Settings, read_only: Callable[[Path], None]
) -> None:
    settings.index_dir.mkdir()
    read_only(settings.index_dir)
    notes: list[str] = []
    c = Coach(settings, embedder=HashEmbedder(model_id="hash"), notify=notes.append)
    assert c.ask(QUESTION).answered
    assert any(n.startswith("Warning: index: cannot be written") for n in notes)
    assert not any(n.startswith("Skipped index") for n in notes)


def test_coach_index_on_a_read_only_stale_index_says_it_could_not_update(
    env: Settings, read_only: Callable[[Path], None]
) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    stale_and_read_only(env, read_only)
    result = CliRunner().invoke(app, ["index"])
    assert result.exit_code == 1 and "up to date" not in result.stdout
    assert "Warning: index: cannot be written" in result.stderr
    assert "could not be updated" in result.stderr and "Traceback" not in result.output
