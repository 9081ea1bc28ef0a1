from dataclasses import replace
from pathlib import Path

from bot.knowledge import load_articles, load_catalog, normalise_text
from bot.models import Article

GOOD = "---\ntitle: Hip Hinge Basics\n---\nThe hip hinge is the isolated movement of a stable trunk at the hip.\n"


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def test_project_articles_load_cleanly(knowledge: Path) -> None:
    articles, problems = load_articles(knowledge / "articles")
    assert problems == []
    assert len(articles) == 5
    assert all(a.title and a.body.strip() for a in articles)


def test_front_matter_never_invents_metadata(knowledge: Path) -> None:
    articles, _ = load_articles(knowledge / "articles")
    for article in articles:
        for value in (article.author, article.url, article.published):
            # Any stated author, link or date must come from the article's own text.
            assert value is None or normalise_text(value) in normalise_text(article.body)


def test_each_bad_file_gets_one_clear_problem_and_the_rest_load(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    write(folder, "good.md", GOOD)
    write(folder, "no-title.md", "---\nauthor: Someone\n---\nText about squats.\n")
    write(folder, "empty.md", "---\ntitle: Empty\n---\n\n")
    write(folder, "broken.md", "---\ntitle: [unclosed\n---\nBody.\n")
    write(folder, "latin1.md", "---\ntitle: Caf\xe9\n---\nBody.\n".encode("latin-1"))
    write(folder, "notes.txt", "just text")
    write(folder, "copy.md", GOOD.replace("Hip Hinge Basics", "Another Title"))
    write(folder, "no-front-matter.md", "Just a body.\n")

    articles, problems = load_articles(folder)

    # good.md and copy.md hold the same text: the first in name order loads, the other is reported.
    assert [a.id for a in articles] == ["copy"]
    messages = {p.path.name: p.message for p in problems}
    assert set(messages) == {
        "no-title.md",
        "empty.md",
        "broken.md",
        "latin1.md",
        "notes.txt",
        "good.md",
        "no-front-matter.md",
    }
    assert "missing a title" in messages["no-title.md"]
    assert "empty body" in messages["empty.md"]
    assert "broken front matter" in messages["broken.md"]
    assert "not UTF-8" in messages["latin1.md"] and "on line " in messages["latin1.md"]
    assert "looks like Latin-1" in messages["latin1.md"]
    assert "not a Markdown file" in messages["notes.txt"]
    assert "same text as copy.md" in messages["good.md"]
    assert all(str(p).startswith(p.path.name) for p in problems)


def test_catalog_links_and_quotes_hold(knowledge: Path) -> None:
    articles, _ = load_articles(knowledge / "articles")
    catalog, problems = load_catalog(knowledge / "exercises", articles)
    assert problems == []
    required = [
        "runner deadlift",
        "pawback",
        "100-up",
        "power raise",
        "hip airplane",
        "single-leg deadlift",
        "lunge",
        "air squat",
        "box squat",
        "bouncy bodyweight squats",
        "squat",
        "deadlift",
        "glute bridge",
        "hip thrust",
        "single-leg hip thrust",
        "glute hamstring raise",
        "eccentric glute hamstring raise",
        "foam rolling",
    ]
    assert all(catalog.find(name) is not None for name in required)
    assert catalog.find("glute bridge").harder == "hip-thrust"
    assert catalog.find("hip thrust").harder == "single-leg-hip-thrust"
    assert catalog.find("air squat").harder == "box-squat"


def test_catalog_forgives_aliases_and_typos(knowledge: Path) -> None:
    catalog, _ = load_catalog(knowledge / "exercises")
    assert catalog.find("hip thrusts").slug == "hip-thrust"
    assert catalog.find("hip airplain").slug == "hip-airplane"
    assert catalog.find("bread recipe") is None
    assert catalog.find("[free shoes](https://example.com) **now**") is None
    assert catalog.find("single leg deadlfit").slug == "single-leg-deadlift"


def test_catalog_reports_broken_links_and_unknown_quotes(knowledge: Path) -> None:
    folder = knowledge / "exercises"
    card = (folder / "glute-bridge.md").read_text(encoding="utf-8")
    (folder / "glute-bridge.md").write_text(
        card.replace('harder: "hip-thrust"', 'harder: "moon-jump"'), "utf-8"
    )
    articles, _ = load_articles(knowledge / "articles")
    catalog, problems = load_catalog(folder, articles)
    assert any("unknown exercise 'moon-jump'" in p.message for p in problems)
    assert catalog.exercises["glute-bridge"].harder is None


def test_a_copied_card_never_hides_the_real_one_and_a_made_up_quote_is_never_shown(knowledge: Path) -> None:
    folder = knowledge / "exercises"
    bridge = (folder / "glute-bridge.md").read_text(encoding="utf-8")
    # A copy saved under another file name, with aliases taken from other cards.
    copy = bridge.replace("aliases: [", 'aliases: ["hip thrust", "deadlift", ')
    (folder / "a-copy.md").write_text(copy, "utf-8")
    made_up = bridge.replace('name: "Glute Bridge"', 'name: "Moon Curl"')
    (folder / "moon-curl.md").write_text(
        made_up.replace(
            "sources:\n", 'sources:\n  - article: "runner-deadlift"\n    quote: "No article says this."\n', 1
        ),
        "utf-8",
    )
    articles, _ = load_articles(knowledge / "articles")
    catalog, problems = load_catalog(folder, articles)
    assert "a-copy" not in catalog.exercises
    assert any("name 'Glute Bridge' is already used by glute-bridge.md" in p.message for p in problems)
    assert (
        catalog.find("glute bridge").slug == "glute-bridge"
        and catalog.find("hip thrust").slug == "hip-thrust"
    )
    moon = catalog.exercises["moon-curl"]
    assert moon.sources and all("No article says this" not in s.quote for s in moon.sources)
    assert any("quote not found" in p.message for p in problems)


def test_a_card_quote_is_found_by_one_rule_whatever_its_punctuation() -> None:
    from bot.knowledge import find_quote

    body = "Intro.\n\nThe Runner Deadlift — done slowly — builds the posterior chain.\nMore."
    start, end = find_quote("the runner deadlift, done slowly, builds the posterior chain", body)
    assert body[start:end] == "The Runner Deadlift — done slowly — builds the posterior chain"
    assert find_quote("builds the posterior chain", body) == (body.index("builds"), body.index(".\nMore"))
    assert find_quote("squats build the posterior chain", body) is None and find_quote("…", body) is None


def test_the_matcher_finds_names_in_any_form_the_longest_first(knowledge: Path) -> None:
    from bot.knowledge import Matcher

    catalog, _ = load_catalog(knowledge / "exercises", load_articles(knowledge / "articles")[0])
    names = Matcher(catalog)
    text = "Squats, squatting, the Single-Leg Hip Thrust and runner deadlifts; then deadlifting. Squatted?"
    assert names.all(text) == ["squat", "squat", "single-leg-hip-thrust", "runner-deadlift", "deadlift"]
    assert names("hip thrusts or hip thrust") == ["hip-thrust"] and names("squatter") == []


def test_a_link_to_nothing_or_a_folder_named_like_an_article_is_reported(knowledge: Path) -> None:
    articles_dir = knowledge / "articles"
    (articles_dir / "gone.md").symlink_to(articles_dir / "nowhere.md")
    (articles_dir / "drafts.md").mkdir()
    articles, problems = load_articles(articles_dir)
    assert len(articles) == 5
    assert {(p.path.name, p.message) for p in problems} >= {
        ("gone.md", "is a link to nothing"),
        ("drafts.md", "is not a file"),
    }


def test_an_article_of_headings_only_is_reported(knowledge: Path) -> None:
    (knowledge / "articles" / "outline.md").write_text(
        '---\ntitle: "Outline"\n---\n## One\n\n## Two\n', "utf-8"
    )
    articles, problems = load_articles(knowledge / "articles")
    assert len(articles) == 5
    assert ("outline.md", "has only headings: the article text goes under them") in {
        (p.path.name, p.message) for p in problems
    }


def test_a_dosage_is_shown_only_when_it_is_a_dose() -> None:
    from bot.models import Exercise

    card = Exercise("x", "X", (), (), ("Stand.",), "Brace.")
    assert replace(card, dosage="2–3 sets of 8–12 reps").dose == "2–3 sets of 8–12 reps"
    assert replace(card, dosage="30–60 seconds per area").dose is not None
    # A cue or a piece of advice is no dose.
    assert replace(card, dosage="Hold this position for two to three breaths.").dose is None
    assert replace(card, dosage="Hamstrings are best trained using low reps and heavy weights.").dose is None


def test_a_key_given_twice_in_front_matter_is_named(tmp_path: Path) -> None:
    """Two "title:" lines would silently keep the second; the file is refused, naming the key."""
    from bot.knowledge import load_article

    path = tmp_path / "twice.md"
    path.write_text('---\ntitle: "Hill Strength"\ntitle: "Hills"\n---\nClimb.\n', encoding="utf-8")
    problem = load_article(path)
    assert not isinstance(problem, Article) and "gives 'title' twice (line 3)" in problem.message
