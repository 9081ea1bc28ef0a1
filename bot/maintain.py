"""Maintainers' tools: add an article safely, lint the knowledge folder."""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.config import Settings
from bot.index import IndexUnusable, indexed_ids, last_good, load
from bot.knowledge import (
    MAX_ARTICLE_BYTES,
    SAME_TEXT,
    KnowledgeError,
    load_article,
    load_articles,
    load_catalog,
    normalise_text,
    not_utf8,
)
from bot.models import Article, Problem

NEAR_DUPLICATE = 0.8


class AddError(Exception):
    """An article that cannot be added, with the reason."""


@dataclass(frozen=True)
class Draft:
    """An article ready to be written into the knowledge folder."""

    source: Path
    target: Path
    text: str
    title: str


def slugify(text: str) -> str:
    """A clean file name stem: lower-case ASCII words joined by hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].rstrip("-") or "article"


def _shingles(text: str, size: int = 5) -> set[tuple[str, ...]]:
    words = normalise_text(text).split()
    return {tuple(words[i : i + size]) for i in range(max(len(words) - size + 1, 1))}


def similarity(a: str, b: str) -> float:
    """Share of the smaller text's five-word runs that also occur in the other (0..1)."""
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / max(min(len(sa), len(sb)), 1)


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_source(path: Path, max_bytes: int = MAX_ARTICLE_BYTES) -> tuple[str, str | None]:
    """The file's text, and the title a .txt file proposes (its first line)."""
    if "://" in str(path) or str(path).startswith(("http:/", "https:/")):
        raise AddError(f"{path}: is a web address; save the article as a .md or .txt file and add that")
    if path.is_dir():
        raise AddError(f"{path}: is a folder; add the article files in it one by one")
    if not path.is_file():
        raise AddError(f"{path}: no such file")
    if path.suffix.lower() not in (".md", ".txt"):
        raise AddError(f"{path.name}: only .md (with front matter) and .txt files can be added")
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise AddError(f"{path.name}: cannot be read ({exc.strerror or exc})") from exc
    if len(raw) > max_bytes:
        raise AddError(f"{path.name}: is over {max_bytes:,} bytes, the limit (COACH_MAX_ARTICLE_BYTES)")
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise AddError(f"{path.name}: is not UTF-8 text ({not_utf8(raw, exc)}); save it as UTF-8") from exc
    if path.suffix.lower() == ".txt":
        first, _, _ = text.strip().partition("\n")
        return text, first.strip() or None
    if path.suffix.lower() != ".md":
        raise AddError(f"{path.name}: only .md (with front matter) and .txt files can be added")
    return text, None


def draft(path: Path, settings: Settings, title: str | None = None, force: bool = False) -> Draft:
    """Validate `path` against the knowledge folder and prepare it; raises `AddError` with the reason."""
    text, proposed = read_source(path, settings.max_article_bytes)
    if path.suffix.lower() == ".txt":
        title = (title or proposed or "").strip()
        if not title:
            raise AddError(f"{path.name}: the first line should be the title")
        body = text.strip().partition("\n")[2].strip() if proposed == title else text.strip()
        text = f"---\ntitle: {_yaml_string(title)}\n---\n\n{body}\n"
    checked = _validate(text, path, settings.max_article_bytes)
    existing, _ = (
        load_articles(settings.articles_dir, indexed_ids(settings.index_dir), settings.max_article_bytes)
        if settings.articles_dir.is_dir()
        else ([], [])
    )
    target = (
        settings.articles_dir / f"{slugify(checked.title if path.suffix.lower() == '.txt' else path.stem)}.md"
    )
    for article in existing:
        same_file = article.path.name == target.name
        score = similarity(checked.body, article.body)
        if score >= 0.999 and not same_file:
            raise AddError(f"{path.name}: {SAME_TEXT} {article.path.name}")
        if score >= NEAR_DUPLICATE and not same_file and not force:
            raise AddError(
                f"{path.name}: is a near-duplicate of {article.path.name} ({score:.0%} shared); use --force to add it anyway"
            )
        if article.title.lower() == checked.title.lower() and not same_file and not force:
            raise AddError(
                f"{path.name}: the title {checked.title!r} is already used by {article.path.name}; use --force"
            )
    if target.exists() and not force:
        there = next((a for a in existing if a.path.name == target.name), None)
        if (
            there is not None
            and there.title.lower() != checked.title.lower()
            and similarity(checked.body, there.body) < EDITED
        ):
            # A new article that happens to share a file name would replace an unrelated one.
            raise AddError(
                f"{target.name} already exists in {settings.articles_dir} as another article "
                f"({there.title!r}); rename {path.name} to add it beside that one, or use --force to replace it"
            )
        raise AddError(f"{target.name} already exists in {settings.articles_dir}; use --force to replace it")
    return Draft(source=path, target=target, text=text, title=checked.title)


# Shared text from which a file of the same name is an edit of the article there, not another one.
EDITED = 0.5


def _validate(text: str, path: Path, max_bytes: int) -> Article:
    """Run the loader's own checks on the text as it will be written."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / (path.stem + ".md")
        probe.write_text(text, encoding="utf-8")
        loaded = load_article(probe, max_bytes)
    if isinstance(loaded, Problem):
        raise AddError(f"{path.name}: {loaded.message}")
    return loaded


def write(d: Draft) -> None:
    """Write the article atomically (a reader never sees half a file)."""
    d.target.parent.mkdir(parents=True, exist_ok=True)
    tmp = d.target.with_name(f".{d.target.name}.tmp")
    tmp.write_text(d.text, encoding="utf-8")
    os.replace(tmp, d.target)


def check(settings: Settings) -> list[Problem]:
    """Every problem in the knowledge folder: articles, exercise cards, links and quotes."""
    problems: list[Problem] = []
    articles: list[Article] = []
    if not settings.articles_dir.is_dir():
        problems.append(Problem(settings.articles_dir, "articles folder not found"))
    else:
        # The articles already indexed keep their place against a copy, as `coach index` does.
        keep = indexed_ids(settings.index_dir)
        try:
            articles, article_problems = load_articles(
                settings.articles_dir, keep, settings.max_article_bytes
            )
        except KnowledgeError as exc:  # the folder cannot be listed
            article_problems = [Problem(settings.articles_dir, str(exc))]
        if keep:
            # An indexed article that no longer loads is answered from its last indexed version: the
            # cards quoting it are checked against that, not reported as citing an unknown article.
            with contextlib.suppress(IndexUnusable, OSError):
                articles, article_problems = last_good(articles, article_problems, load(settings.index_dir))
        problems.extend(article_problems)
        problems.extend(_shared_titles(articles))
        if not articles and not any(p.path == settings.articles_dir for p in article_problems):
            problems.append(Problem(settings.articles_dir, "holds no readable article"))
    _, catalog_problems = load_catalog(settings.exercises_dir, articles)
    problems.extend(catalog_problems)
    problems.extend(_check_word_lists(settings))
    problems.extend(covered_topics(settings, articles))
    return problems


# An article covers a topic when a heading (or its title) names it, or this many of its sentences do.
COVERING_MENTIONS = 3
NOT_COVERED = "not-covered.yaml"


def covered_topics(settings: Settings, articles: Sequence[Article]) -> list[Problem]:
    """Topics knowledge/not-covered.yaml still lists although an article now covers them: questions
    about them would go on being refused ("how long should I hold a stretch?" after an article on
    stretching is added)."""
    path = settings.knowledge_dir / NOT_COVERED
    return [
        Problem(
            path,
            f"lists {topic!r}, but {a.path.name} (“{a.title}”) covers it: remove it from the list, "
            "or questions naming it are refused",
        )
        for topic, a in topics_covered(settings, articles)
    ]


def topics_covered(settings: Settings, articles: Sequence[Article]) -> list[tuple[str, Article]]:
    """(topic, article) for each listed not-covered topic an article's title or a heading names, or
    `COVERING_MENTIONS` of its sentences do."""
    from collections import Counter

    from bot.chunking import sections, sentence_spans
    from bot.lexical import Topics, Vocabulary

    try:
        topics = Topics.load(Vocabulary(), settings.knowledge_dir / NOT_COVERED)
    except (OSError, ValueError):
        return []  # a broken list is reported by _check_word_lists
    out: list[tuple[str, Article]] = []
    for a in articles:
        counts: Counter[str] = Counter()
        for heading in {a.title, *(sec.heading for sec in sections(a.body) if sec.heading)}:
            for topic in topics.found(heading):
                counts[topic] += COVERING_MENTIONS
        for span in sentence_spans(a.body):
            counts.update(set(topics.found(a.body[span.start : span.end])))
        out.extend((topic, a) for topic, n in counts.items() if n >= COVERING_MENTIONS)
    return out


def remove_topics(settings: Settings, topics: Sequence[str]) -> list[str]:
    """Take `topics` off knowledge/not-covered.yaml, keeping its comments and order; returns those
    removed. The file is replaced atomically."""
    import os

    path = settings.knowledge_dir / NOT_COVERED
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    wanted = {t.strip().lower() for t in topics}
    removed, kept = [], []
    for line in lines:
        item = line.strip()
        value = item[1:].strip().strip("\"'").lower() if item.startswith("-") else None
        if value is not None and value in wanted:
            removed.append(value)
            continue
        kept.append(line)
    if removed:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        os.replace(tmp, path)
    return removed


def _shared_titles(articles: Sequence[Article]) -> list[Problem]:
    """Articles whose title another article already has (`coach add` refuses them; a file copied into
    the folder by hand is caught here): a member could not tell the two sources apart."""
    first: dict[str, Article] = {}
    out = []
    for a in sorted(articles, key=lambda a: a.path.name):
        key = " ".join(a.title.lower().split())
        if key in first:
            out.append(Problem(a.path, f"has the same title as {first[key].path.name} ({a.title!r})"))
        else:
            first[key] = a
    return out


def _check_word_lists(settings: Settings) -> list[Problem]:
    """knowledge/synonyms.yaml must map words to lists; knowledge/not-covered.yaml must list topics."""
    from bot.lexical import NOT_COVERED_FILE, WORD_LISTS, load_word_list

    out = []
    for name in WORD_LISTS:
        path = settings.knowledge_dir / name
        data, problem = load_word_list(path, name)
        if problem:
            out.append(Problem(path, problem))
        elif name == NOT_COVERED_FILE and not data:
            # Without it no question is refused by topic: "which shoes for deadlifts?" gets answered.
            out.append(Problem(path, "is missing or lists no topic: no question is refused by its topic"))
    return out


def newly_covered(settings: Settings, path: Path) -> list[tuple[str, Article]]:
    """`topics_covered` for the one article just written to `path`."""
    from bot.knowledge import load_article

    article = load_article(path, settings.max_article_bytes)
    return [] if isinstance(article, Problem) else topics_covered(settings, [article])
