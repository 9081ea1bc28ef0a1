"""Load and validate the knowledge folder: articles and the exercise catalog.

Loading never raises on a bad file: each problem becomes one `Problem` naming the file, and the
remaining files still load, so one broken article never takes the bot down.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.models import Article, Exercise, Problem, SourceQuote
from bot.text import printable

ARTICLE_FIELDS = ("title", "author", "source", "url", "published")
# What a copy of another article is told: it is skipped, never kept in the original's place.
SAME_TEXT = "has the same text as"
LEVELS = ("beginner", "intermediate", "advanced")
MAX_ARTICLE_BYTES = 200_000  # the default of Settings.max_article_bytes
# Front matter is a few key: value lines. Aliases and deep nesting are refused while the YAML is
# composed, before anything is built from it, so an alias bomb costs milliseconds, not gigabytes.
MAX_YAML_ALIASES = 10
MAX_YAML_DEPTH = 20


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Where a file stops being UTF-8, as a maintainer finds it in an editor, and what it looks like."""
    line = raw.count(b"\n", 0, exc.start) + 1
    column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    guess = ""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or raw[1:2] == b"\x00":
        guess = "; it looks like UTF-16"
    elif b"\x00" not in raw:
        guess = "; it looks like Latin-1 or Windows-1252"
    return f"bad byte 0x{raw[exc.start]:02x} on line {line}, column {column}{guess}"


class KnowledgeError(Exception):
    """The knowledge folder itself cannot be used (missing, or no readable article)."""


class FolderUnreadable(KnowledgeError):
    """The articles folder is there, but the coach may not list it (its permissions)."""


@dataclass(frozen=True)
class Catalog:
    """The exercise catalog by slug, with lookups by name or alias."""

    exercises: dict[str, Exercise]

    def names(self) -> dict[str, str]:
        """Every lower-cased name and alias mapped to its slug."""
        out: dict[str, str] = {}
        for slug, ex in self.exercises.items():
            for name in (ex.name, slug.replace("-", " "), *ex.aliases):
                out.setdefault(name.lower(), slug)
        return out

    def find(self, name: str) -> Exercise | None:
        """The exercise called `name` (slug, name or alias; small typos forgiven)."""
        from rapidfuzz import fuzz, process, utils

        key = name.strip().lower()
        if not key:
            return None
        names = self.names()
        if key in names:
            return self.exercises[names[key]]
        if key.replace(" ", "-") in self.exercises:
            return self.exercises[key.replace(" ", "-")]
        # Plain edit-distance similarity: forgives typos ("hip airplain") without matching any long
        # text that merely contains a short name somewhere.
        match = process.extractOne(key, list(names), scorer=fuzz.ratio, processor=utils.default_process)
        if match and match[1] >= 80:
            return self.exercises[names[match[0]]]
        return None


def content_hash(*parts: str | None) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update((part or "").encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:16]


def normalise_text(text: str) -> str:
    """Lower case, letters and digits only, single spaces: for duplicate and quote checks."""
    return " ".join(re.sub(r"[^\w]+", " ", text.lower()).split())


class FrontMatterRefused(ValueError):
    """Front matter that would cost far more to load than its size suggests (aliases, nesting)."""


def yaml_loader() -> type:
    """A `yaml.SafeLoader` that refuses more than `MAX_YAML_ALIASES` aliases, an alias to a node that
    holds itself, and nesting deeper than `MAX_YAML_DEPTH`: each is found while composing, before any
    value is built, so a "billion laughs" file is refused at once. Refusals raise `FrontMatterRefused`
    (a `ValueError`); suits any small YAML file of the knowledge folder."""
    import yaml

    class BoundedLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self.aliases = 0
            self.open_anchors: list[str | None] = []

        def compose_node(self, parent: Any, index: Any) -> Any:
            event = self.peek_event()
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_YAML_ALIASES:
                    raise FrontMatterRefused(
                        f"uses more than {MAX_YAML_ALIASES} YAML aliases (*name, line {line})"
                    )
                if event.anchor in self.open_anchors:
                    raise FrontMatterRefused(f"has a YAML alias inside its own anchor (line {line})")
                return super().compose_node(parent, index)
            if len(self.open_anchors) >= MAX_YAML_DEPTH:
                raise FrontMatterRefused(f"nests deeper than {MAX_YAML_DEPTH} levels (line {line})")
            self.open_anchors.append(getattr(event, "anchor", None))
            try:
                return super().compose_node(parent, index)
            finally:
                self.open_anchors.pop()

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            # A key given twice ("title:" on two lines) would silently keep the second.
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, str) and key in seen:
                    raise FrontMatterRefused(f"gives {key!r} twice (line {key_node.start_mark.line + 1})")
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return BoundedLoader


def _front_matter_handler() -> Any:
    from frontmatter.default_handlers import YAMLHandler

    loader = yaml_loader()

    class BoundedYAMLHandler(YAMLHandler):
        def load(self, fm: str, **kwargs: object) -> Any:
            import yaml

            return yaml.load(fm, Loader=loader)  # a SafeLoader subclass: no arbitrary objects

    return BoundedYAMLHandler()


def _read_markdown(
    path: Path, max_bytes: int = MAX_ARTICLE_BYTES, first_key: str = "title"
) -> tuple[dict[str, Any], str] | Problem:
    """Front matter and body of one Markdown file, or the problem that stops it loading (`first_key`:
    the key its front matter must at least hold, named when it has none)."""
    import frontmatter
    import yaml

    if path.suffix.lower() != ".md":
        return Problem(path, "not a Markdown file: knowledge files end in .md")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return Problem(path, f"is {size:,} bytes; the limit is {max_bytes:,} (COACH_MAX_ARTICLE_BYTES)")
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)  # the file may grow between stat and read
    except OSError as exc:
        return Problem(path, f"cannot be read ({exc.strerror or exc})")
    if len(raw) > max_bytes:
        return Problem(path, f"is over {max_bytes:,} bytes, the limit (COACH_MAX_ARTICLE_BYTES)")
    try:
        text = printable(raw.decode("utf-8"))  # a terminal escape in an article never reaches a terminal
    except UnicodeDecodeError as exc:
        return Problem(path, f"is not UTF-8 text ({not_utf8(raw, exc)}); save it as UTF-8")
    if not text.lstrip("\ufeff").startswith("---"):
        what = "is empty" if not text.strip("\ufeff \t\r\n") else "has no front matter"
        return Problem(path, f"{what}: start the file with a '---' block holding at least {first_key}:")
    try:
        # parse, not loads: a Post is built with **metadata, which fails on keys that are not text.
        metadata, content = frontmatter.parse(text.lstrip("\ufeff"), handler=_front_matter_handler())
    except FrontMatterRefused as exc:
        return Problem(path, f"has front matter that was refused: it {exc}")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        return Problem(path, f"has broken front matter{where}: {getattr(exc, 'problem', None) or exc}")
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        return Problem(path, f"has broken front matter: {exc}")
    if not isinstance(metadata, dict):
        return Problem(path, "has broken front matter: it must be key: value pairs")
    return dict(metadata), content


def load_article(path: Path, max_bytes: int = MAX_ARTICLE_BYTES) -> Article | Problem:
    """Read and validate one article file (`max_bytes`: the largest file read)."""
    read = _read_markdown(path, max_bytes)
    if isinstance(read, Problem):
        return read
    meta, body = read
    title = meta.get("title")
    if title is not None and not isinstance(title, str):
        return Problem(path, f'has a title that is not text ({title!r}): quote it, title: "..."')
    if not isinstance(title, str) or not title.strip():
        if not meta and body.lstrip("\ufeff \n").startswith("---"):  # the block never closed
            return Problem(path, "has front matter with no closing '---' line")
        return Problem(path, "is missing a title in its front matter")
    fields: dict[str, str | None] = {}
    for name in ARTICLE_FIELDS[1:]:
        value = meta.get(name)
        if value is not None and not isinstance(value, str):
            value = str(value)
        fields[name] = value.strip() if value else None
    url = fields["url"]
    if url and not re.match(r"https?://\S+$", url):
        return Problem(path, f"has a url that is not an http(s) link: {url!r}")
    body = body.strip("\n")
    if not body.strip():
        return Problem(path, "has an empty body: the article text goes below the front matter")
    from bot.chunking import HEADING

    if not HEADING.sub("", body).strip():
        return Problem(path, "has only headings: the article text goes under them")
    return Article(
        id=path.stem,
        title=title.strip(),
        body=body,
        path=path,
        content_hash=content_hash(title.strip(), *fields.values(), body),
        **fields,
    )


def load_articles(
    folder: Path, keep: Collection[str] = (), max_bytes: int = MAX_ARTICLE_BYTES
) -> tuple[list[Article], list[Problem]]:
    """All valid articles in `folder` (sorted by id) and one problem per file that failed.

    Of several files holding the same text, the one whose id is in `keep` (the articles already
    indexed) stays, else the first by file name; each other copy is reported as skipped.
    """
    if not folder.is_dir():
        raise KnowledgeError(f"knowledge folder not found: {folder} (set COACH_KNOWLEDGE_DIR)")
    loaded: list[Article] = []
    problems: list[Problem] = []
    try:
        paths = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError as exc:
        raise FolderUnreadable(f"cannot read the knowledge folder {folder} ({exc.strerror or exc})") from exc
    for path in paths:
        if not path.is_file():
            if path.suffix.lower() in (".md", ".txt"):  # named like an article, but not one to read
                why = "is a link to nothing" if path.is_symlink() and not path.exists() else "is not a file"
                problems.append(Problem(path, why))
            continue
        article = load_article(path, max_bytes)
        if isinstance(article, Problem):
            problems.append(article)
        else:
            loaded.append(article)
    original: dict[str, Article] = {}
    for article in sorted(loaded, key=lambda a: (a.id not in keep, a.path.name)):
        original.setdefault(normalise_text(article.body), article)
    articles: list[Article] = []
    for article in loaded:
        first = original[normalise_text(article.body)]
        if first is article:
            articles.append(article)
        else:
            problems.append(Problem(article.path, f"{SAME_TEXT} {first.path.name}; skipped"))
    problems.sort(key=lambda p: p.path.name)
    return articles, problems


def _strings(value: Any) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    return None


def load_exercise(path: Path) -> Exercise | Problem:
    """Read and validate one exercise card (links and quotes are checked by `load_catalog`)."""
    read = _read_markdown(path, first_key="name")
    if isinstance(read, Problem):
        return read
    meta, body = read
    missing = [key for key in ("name", "concerns", "steps", "cue") if not meta.get(key)]
    if missing:
        return Problem(path, f"is missing {', '.join(missing)}")
    lists = {}
    for key in ("aliases", "concerns", "steps", "faults", "equipment"):
        value = _strings(meta.get(key))
        if value is None:
            return Problem(path, f"{key} must be a list of text lines")
        lists[key] = value
    level = str(meta.get("level", "beginner")).lower()
    if level not in LEVELS:
        return Problem(path, f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    sources = []
    for item in meta.get("sources") or []:
        if not isinstance(item, dict) or not item.get("article") or not item.get("quote"):
            return Problem(path, "each source needs an article id and a quote")
        sources.append(SourceQuote(str(item["article"]), str(item["quote"]).strip()))
    return Exercise(
        slug=path.stem,
        name=str(meta["name"]).strip(),
        aliases=lists["aliases"],
        concerns=lists["concerns"],
        steps=lists["steps"],
        cue=str(meta["cue"]).strip(),
        faults=lists["faults"],
        dosage=str(meta["dosage"]).strip() if meta.get("dosage") else None,
        dosage_is_quote=bool(meta.get("dosage_quote", False)),
        equipment=lists["equipment"],
        level=level,
        easier=str(meta["easier"]) if meta.get("easier") else None,
        harder=str(meta["harder"]) if meta.get("harder") else None,
        sources=tuple(sources),
        notes=body.strip(),
    )


WORDS = re.compile(r"\w+")
# The other forms of a name's last word that still name it ("deadlifts", "RDLs", "squatting").
FORMS = ("s", "es", "ing", "ting")


def find_quote(quote: str, body: str) -> tuple[int, int] | None:
    """Where `quote` stands in `body`, compared as `normalise_text` compares (case, punctuation and
    spacing aside): the one rule by which a card's quote is found."""
    at = body.find(quote)
    if at >= 0:
        return at, at + len(quote)
    words = normalise_text(quote).split()
    if not words:
        return None
    m = re.search(r"\W+".join(re.escape(w) for w in words), body, re.IGNORECASE)
    return (m.start(), m.end()) if m else None


# "the runner version of the deadlift", "an eccentric variation of the glute ham raise": the words
# before "version of" go with the name after it.
VERSION_OF = re.compile(
    r"\b([a-z]+(?:[ -][a-z]+)?)\s+(?:version|variation|variant|style)s?\s+of\s+(?:the\s+|a\s+|an\s+)?"
)


class Matcher:
    """The one exercise matcher: catalog names and aliases in text (one compiled pattern; the longest
    name wins; "RDLs" is the RDL, "deadlifting" the deadlift), and where each card's quotes stand in
    the articles. Retrieval, the suggester and `coach check` all use it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.slugs = {normalise_text(name): slug for name, slug in catalog.names().items()}
        alternation = "|".join(re.escape(n) for n in sorted(self.slugs, key=len, reverse=True) if n)
        # "deadlifts", "RDLs", "deadlifting", "squatting": the name in another form is the name.
        self.pattern = re.compile(rf"(?<!\w)({alternation})(?:e?s|t?ing)?(?!\w)") if alternation else None
        # The same names as word tuples by first word, for `all`, which scans words, not characters.
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for name in sorted(self.slugs, key=len, reverse=True):
            words = tuple(name.split())
            if words:
                self._by_first.setdefault(words[0], []).append(words)
        self._singles = {name for name in self.slugs if " " not in name}
        self._one_word = self._singles | {name + end for name in self._singles for end in FORMS}
        longer = [name.split() for name in self.slugs if " " in name]
        self._first = {words[0] for words in longer}
        self._second = {words[1] + end for words in longer for end in ("", *FORMS)}
        self._name_words: frozenset[str] | None = None  # for `mended`, worked out on first use

    def all(self, text: str) -> list[str]:
        """Slugs of every mention in `text`, repeats included (what `pattern` finds, word by word);
        "the runner version of the deadlift" is the Runner Deadlift."""
        words = WORDS.findall(VERSION_OF.sub(r"\1 ", text.lower()))  # the words of `normalise_text(text)`
        one, first, second = self._one_word, self._first, self._second
        # Where a name may start: a one-word name (in any form), or a longer name's first two words.
        starts = [
            i
            for i, word in enumerate(words)
            if word in one or (word in first and i + 1 < len(words) and words[i + 1] in second)
        ]
        out: list[str] = []
        after = 0  # mentions do not overlap
        for i in starts:
            found = self._at(words, i) if i >= after else None
            if found is not None:
                out.append(self.slugs[" ".join(found)])
                after = i + len(found)
        return out

    def _at(self, words: list[str], i: int) -> tuple[str, ...] | None:
        """The longest name starting at word `i` (its last word may be a plural or -ing form)."""
        word = words[i]
        options = self._by_first.get(word, [])
        if word[-1] in "sg":  # a one-word name in another form: "squats", "deadlifting"
            bare = [word[: -len(end)] for end in FORMS if word.endswith(end) and len(word) > len(end)]
            singles = [(name,) for name in bare if name in self._singles]
            if singles:
                options = sorted([*options, *singles], key=lambda n: -len(" ".join(n)))
        for name in options:
            k = len(name)
            if k > 1 and (i + k > len(words) or tuple(words[i + 1 : i + k - 1]) != name[1:-1]):
                continue
            last = words[i + k - 1]
            if last == name[-1] or (last.startswith(name[-1]) and last[len(name[-1]) :] in FORMS):
                return name
        return None

    def __call__(self, text: str) -> list[str]:
        """Slugs named in `text`, in order of first mention."""
        return list(dict.fromkeys(self.all(text)))

    def without(self, text: str, instead: str = " ") -> str:
        """`text` (normalised) with the exercise names it holds taken out ("power raise" names a card,
        not a wish for power), or each put `instead` of another name."""
        norm = normalise_text(text)
        return self.pattern.sub(instead, norm) if self.pattern is not None else norm

    def mended(self, text: str) -> str:
        """`text` with the misspelt words of exercise names spelt right ("hip thursts" is hip thrusts):
        a word no reader knows, one letter off exactly one word of the catalog's names."""
        from bot.lexical import MIN_TYPO, misspelt

        if self._name_words is None:
            self._name_words = frozenset(w for name in self.slugs for w in name.split() if len(w) >= MIN_TYPO)
        known = self._name_words

        def spelt(m: re.Match[str]) -> str:
            word = m.group().lower()
            near = [] if word in known else misspelt(word, word, known)
            return near[0] if len(near) == 1 else m.group()

        return re.sub(r"[A-Za-z]+", spelt, text)

    def quotes(self, articles: Mapping[str, Article]) -> list[tuple[str, str, int, int]]:
        """(slug, article id, start, end) of every card quote found in `articles`."""
        return [
            (slug, src.article_id, *span)
            for slug, ex in self.catalog.exercises.items()
            for src in ex.sources
            if (a := articles.get(src.article_id)) is not None and (span := find_quote(src.quote, a.body))
        ]


def _mended(
    ex: Exercise, slugs: Collection[str], by_id: Mapping[str, Article]
) -> tuple[Exercise, list[Problem]]:
    """`ex` without what does not hold (a link to an unknown card or to itself, a source quote no
    article holds: nothing points nowhere, and no made-up quote is shown as an article's words), with
    the problems to report. With no articles read there is nothing to check quotes against."""
    path = Path(f"{ex.slug}.md")
    problems = []
    for kind, target in (("easier", ex.easier), ("harder", ex.harder)):
        if target and target not in slugs:
            problems.append(Problem(path, f"{kind} links to unknown exercise {target!r}"))
    held = []
    for src in ex.sources if by_id else ():
        article = by_id.get(src.article_id)
        if article is None:
            problems.append(Problem(path, f"cites unknown article {src.article_id!r}"))
        elif find_quote(src.quote, article.body) is None:
            problems.append(Problem(path, f"quote not found in {src.article_id}: {src.quote[:60]!r}"))
        else:
            held.append(src)
    if ex.dosage and ex.dosage_is_quote and not any(find_quote(ex.dosage, a.body) for a in by_id.values()):
        problems.append(Problem(path, "dosage is marked as a quote but no article says it"))
    easier = ex.easier if ex.easier in slugs and ex.easier != ex.slug else None
    harder = ex.harder if ex.harder in slugs and ex.harder != ex.slug else None
    sources = tuple(held) if by_id else ex.sources
    if (easier, harder, sources) != (ex.easier, ex.harder, ex.sources):
        ex = replace(ex, easier=easier, harder=harder, sources=sources)
    return ex, problems


def load_catalog(folder: Path, articles: Iterable[Article] = ()) -> tuple[Catalog, list[Problem]]:
    """The exercise catalog in `folder`; entries with broken links or quotes are reported."""
    exercises: dict[str, Exercise] = {}
    problems: list[Problem] = []
    if not folder.is_dir():
        return Catalog({}), [Problem(folder, "exercise folder not found")]
    cards: list[Exercise] = []
    try:
        paths = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    except OSError as exc:
        return Catalog({}), [
            Problem(folder, f"cannot be read ({exc.strerror or exc}); no exercise card loads")
        ]
    for path in paths:
        loaded = load_exercise(path)
        if isinstance(loaded, Problem):
            problems.append(loaded)
        else:
            cards.append(loaded)
    owner: dict[str, str] = {}  # each name and alias taken (normalised) -> the card that holds it
    for card in _own_names_first(cards):
        kept, clash = _unclashed(card, owner)
        if clash:
            problems.append(clash)
        if kept is not None:
            exercises[kept.slug] = kept
            owner.update((normalise_text(n), kept.slug) for n in (kept.name, *kept.aliases))
    by_id = {a.id: a for a in articles}
    slugs = set(exercises)
    for slug, ex in list(exercises.items()):
        exercises[slug], mended = _mended(ex, slugs, by_id)  # a card with a broken link still loads
        problems.extend(mended)
    return Catalog(exercises), problems


def _own_names_first(cards: list[Exercise]) -> list[Exercise]:
    """Cards whose file is named after the exercise ("glute-bridge.md": "Glute Bridge") first: when
    two cards claim a name, the one it belongs to keeps it."""
    own = [c for c in cards if normalise_text(c.slug.replace("-", " ")) == normalise_text(c.name)]
    return own + [c for c in cards if c not in own]


def _unclashed(card: Exercise, owner: Mapping[str, str]) -> tuple[Exercise | None, Problem | None]:
    """`card` without the aliases another card already uses (`owner`: each name and alias taken, as
    `normalise_text` gives it, and its card), or None when its name is another card's (a copied card
    must not hide the real one); with the problem to report."""
    path = Path(f"{card.slug}.md")
    if (other := owner.get(normalise_text(card.name))) is not None:
        return None, Problem(path, f"name {card.name!r} is already used by {other}.md; the card is skipped")
    clashes = [a for a in card.aliases if normalise_text(a) in owner]
    if not clashes:
        return card, None
    aliases = tuple(a for a in card.aliases if a not in clashes)
    named = ", ".join(f"{a!r} ({owner[normalise_text(a)]}.md)" for a in clashes)
    return replace(card, aliases=aliases), Problem(
        path, f"aliases already used by other cards are ignored: {named}"
    )
