import json
from pathlib import Path

import pytest

from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.index import FORMAT_VERSION, IndexUnusable, load, refresh


class CountingEmbedder(HashEmbedder):
    """Remembers every text it embedded, to prove what was (not) re-embedded."""

    def __init__(self) -> None:
        super().__init__(model_id="hash")
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return super().encode(texts)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_build_then_load_round_trips(settings: Settings) -> None:
    built = refresh(settings, HashEmbedder(model_id="hash"))
    assert built.report is not None and built.report.articles == 5
    loaded = load(settings.index_dir, "hash")
    assert [c.id for c in loaded.chunks] == [c.id for c in built.index.chunks]
    assert loaded.vectors.shape == built.index.vectors.shape
    manifest = loaded.manifest
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"] == "hash" and manifest["dimension"] == 256
    assert set(manifest["articles"]) == {a.id for a in loaded.articles.values()}
    assert all("hash" in meta for meta in manifest["articles"].values())
    folder = settings.index_dir / "builds" / (settings.index_dir / "CURRENT").read_text().strip()
    assert not list(folder.glob("*.pkl")) and (folder / "chunk_spans.npy").is_file()
    # What retrieval derives from the articles is saved with the build, under the manifest's checksums.
    assert (folder / "layout" / "lexical" / "data.csc.index.npy").is_file()
    assert "layout/context/data.csc.index.npy" in manifest["files"] and "sentences.faiss" in manifest["files"]
    assert manifest["search"] == {"chunks": "flat (exact)", "sentences": "flat (exact)"}


def test_update_is_incremental(settings: Settings) -> None:
    embedder = CountingEmbedder()
    refresh(settings, embedder)
    articles = settings.articles_dir

    embedder.seen.clear()
    again = refresh(settings, embedder)
    assert again.report is None and embedder.seen == []

    edit(articles / "weak-hips-and-glutes.md", "quick hitter", "quick-hitting note")
    (articles / "tale-of-two-hemipelvi.md").unlink()
    embedder.seen.clear()
    changed = refresh(settings, embedder)
    report = changed.report
    assert report is not None
    assert report.changed == ("weak-hips-and-glutes",) and report.removed == ("tale-of-two-hemipelvi",)
    assert report.unchanged == 3
    assert embedder.seen and all("Hemipelvi" not in t and "Runner Deadlift" not in t for t in embedder.seen)
    assert all(c.article_id != "tale-of-two-hemipelvi" for c in changed.index.chunks)
    assert any("quick-hitting note" in c.text for c in load(settings.index_dir, "hash").chunks)


def test_an_interrupted_build_leaves_the_previous_index_usable(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    before = load(settings.index_dir, "hash")
    # A build that died half way leaves a temp folder behind and CURRENT untouched.
    (settings.index_dir / "builds" / ".20990101T000000-dead.tmp").mkdir()
    after = load(settings.index_dir, "hash")
    assert [c.id for c in after.chunks] == [c.id for c in before.chunks]


def test_force_embeds_every_article_again(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    counting = CountingEmbedder()
    same = refresh(settings, counting)
    assert same.report is None and not counting.seen  # up to date: nothing embedded
    forced = refresh(settings, counting, force=True)
    assert forced.report is not None and forced.report.embedded == forced.report.articles
    assert forced.report.unchanged == forced.report.articles and not forced.report.changed
    assert len(counting.seen) >= forced.report.chunks


def test_damage_and_other_models_are_detected_and_rebuilt(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    with pytest.raises(IndexUnusable, match="model"):
        load(settings.index_dir, "another-model")
    folder = settings.index_dir / "builds" / (settings.index_dir / "CURRENT").read_text().strip()
    with (folder / "layout" / "lexical" / "data.csc.index.npy").open("ab") as fh:
        fh.write(b"\x00" * 8)
    with pytest.raises(IndexUnusable, match="damaged"):
        load(settings.index_dir, "hash")
    rebuilt = refresh(settings, HashEmbedder(model_id="hash"))
    assert rebuilt.reason and "damaged" in rebuilt.reason
    assert load(settings.index_dir, "hash").chunks


def test_an_older_format_is_rebuilt(settings: Settings) -> None:
    refresh(settings, HashEmbedder(model_id="hash"))
    folder = settings.index_dir / "builds" / (settings.index_dir / "CURRENT").read_text().strip()
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["format_version"] = 0
    (folder / "manifest.json").write_text(json.dumps(manifest))
    rebuilt = refresh(settings, HashEmbedder(model_id="hash"))
    assert rebuilt.report is not None and "format" in (rebuilt.reason or "")


def test_an_article_that_no_longer_loads_keeps_its_last_indexed_version(settings: Settings) -> None:
    """A bad byte saved into an article must not cost members its answers, nor make the coach refuse
    questions on the words only it used ("no article speaks of ... since it was removed")."""
    embedder = CountingEmbedder()
    first = refresh(settings, embedder)
    path = settings.articles_dir / "runner-deadlift.md"
    good = first.index.articles["runner-deadlift"].body
    raw = path.read_bytes()
    at = raw.index(b"Most trail")
    path.write_bytes(raw[:at] + b"\x96" + raw[at:])
    embedder.seen.clear()
    broken = refresh(settings, embedder)
    assert broken.index.articles["runner-deadlift"].body == good
    assert embedder.seen == []  # nothing changed, nothing re-embedded
    [problem] = [p for p in broken.problems if p.path == path]
    assert "not UTF-8" in problem.message and "last indexed version" in problem.message
    assert "retired" not in broken.index.manifest
    # Deleting the file is what removes an article.
    path.unlink()
    gone = refresh(settings, embedder)
    assert "runner-deadlift" not in gone.index.articles
    assert gone.report is not None and gone.report.removed == ("runner-deadlift",)


def test_a_file_made_unreadable_is_read_again_not_served_unnoticed(settings: Settings) -> None:
    from bot.index import knowledge_state

    before = knowledge_state(settings.articles_dir)
    (settings.articles_dir / "runner-deadlift.md").chmod(0)
    try:
        assert knowledge_state(settings.articles_dir) != before
    finally:
        (settings.articles_dir / "runner-deadlift.md").chmod(0o644)
