from dataclasses import replace
from pathlib import Path

from bot.coach import Coach
from bot.compose import MAX_TITLES, Templates, compose
from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.models import Article, Coverage, Passage, Safety, Sentence, Suggestion

ROOT = Path(__file__).resolve().parents[1]


def coach(settings: Settings) -> Coach:
    return Coach(settings, embedder=HashEmbedder(model_id="hash"))


def test_every_template_renders_with_realistic_data(settings: Settings) -> None:
    c = coach(settings)
    answer = c.ask("how do I do the runner deadlift?")
    assert answer.answered and answer.passages
    templates = Templates(ROOT / "prompts")
    ex = c.exercise("hip thrust")
    assert ex is not None
    safety = Safety(flags=("swelling or bruising",), level="see-professional")
    gone = Coverage(False, 0.41, "sprints", None, True, "Hill Sprints for Runners")
    data = {
        "question": answer.question,
        "sentences": answer.sentences,
        "see_also": (2, 3),
        "passages": answer.passages,
    }
    rendered = {
        "answer.md.j2": templates.render(
            "answer.md.j2",
            safety=safety,
            exercises=answer.exercises,
            **{**data, "see_also": answer.passages[1:], "passages": answer.shown},
            full=False,
        ),
        "answer.discord.j2": templates.render("answer.discord.j2", safety=None, **data),
        "passage.discord.j2": templates.render("passage.discord.j2", p=answer.passages[0]),
        "not_covered.md.j2": templates.render(
            "not_covered.md.j2", question="bread?", titles=["A", "B"], more=0, coverage=gone
        ),
        "not_covered.discord.j2": templates.render("not_covered.discord.j2", coverage=gone),
        "safety.md.j2": templates.render("safety.md.j2", safety=Safety(("chest pain",), "emergency")),
        "safety.discord.j2": templates.render("safety.discord.j2", safety=safety),
        "reason.j2": templates.render("reason.j2", concern="hip drop", citation=2, source=None)
        + templates.render("reason.j2", concern=None, named=False, discussed=True, citation=2, source=None),
        "disclaimer.discord.j2": templates.render("disclaimer.discord.j2"),
        "exercise_card.md.j2": c.card(ex),
        "exercise_card.discord.j2": c.card(ex, "discord", reason="For weak glutes."),
        "help.md.j2": c.help_text(),
        "help.discord.j2": c.help_text("discord"),
        "label.discord.j2": " | ".join(
            templates.render("label.discord.j2", key=key, **values)
            for key, values in {
                "source": {"p": answer.passages[0]},
                "open": {"article": answer.passages[0].article},
                "easier": {"ex": ex},
                "harder": {"ex": ex},
                "thread": {"question": answer.question},
                "more": {},
            }.items()
        ),
        "cooldown.discord.j2": templates.render("cooldown.discord.j2", seconds=12, rate=3, per="20"),
        "too_long.discord.j2": templates.render("too_long.discord.j2", length=612, limit=500),
        "empty_question.discord.j2": templates.render("empty_question.discord.j2"),
        "error.discord.j2": templates.render("error.discord.j2"),
        "exercise_not_found.discord.j2": templates.render("exercise_not_found.discord.j2", asked="plank"),
        "feedback.discord.j2": templates.render("feedback.discord.j2", vote="down"),
        "sources.discord.j2": templates.render(
            "sources.discord.j2", articles=list(c.loaded.index.articles.values())
        ),
        "reindex.discord.j2": templates.render(
            "reindex.discord.j2",
            error=None,
            report=c.last_refresh.report if c.last_refresh else None,
            problems=["broken.md: is missing a title in its front matter"],
            articles=5,
            chunks=40,
        ),
        "reindex_refused.discord.j2": templates.render("reindex_refused.discord.j2"),
        "sources_changed.discord.j2": templates.render("sources_changed.discord.j2"),
    }
    names = {p.name for p in (ROOT / "prompts").glob("*.j2") if not p.name.startswith("_")}
    assert names == set(rendered)
    assert all(text.strip() for text in rendered.values())
    assert "physiotherapist" in rendered["answer.md.j2"]
    assert "emergency" in rendered["safety.md.j2"]
    assert rendered["reason.j2"].endswith("The exercise we were discussing, in [2].")
    assert (
        "Glute Bridge" in rendered["exercise_card.md.j2"]
        and "club guidance" in rendered["exercise_card.md.j2"]
    )


def test_user_text_is_data_never_a_template(settings: Settings) -> None:
    c = coach(settings)
    for question in ["what is {{ 7*7 }} squats?", "{% for x in y %}bread{% endfor %} recipe"]:
        answer = c.ask(question)
        assert answer.question == question
        assert "49" not in answer.text
        if not answer.answered:
            assert question in answer.text


def test_a_refusal_names_a_few_articles_of_a_large_library(settings: Settings) -> None:
    articles = {
        f"a{i}": Article(f"a{i}", f"Article {i}", "Body.", Path(f"a{i}.md"), "hash") for i in range(2000)
    }
    answer = compose(Templates(settings.prompts_dir), "bread?", (), False, [], [], [], None, articles)
    assert "Article 4;" in answer.text and "Article 5;" not in answer.text
    assert f"and {2000 - MAX_TITLES:,} more" in answer.text and len(answer.text) < 600


def test_a_labelled_sentence_is_shown_after_its_heading() -> None:
    """A sentence opening the Pawback section on "This concept": both front ends show its heading."""
    templates = Templates(ROOT / "prompts")
    lead = Sentence("This concept was introduced in my last column.", 1, "a", 0, 47, label="The Pawback")
    data = {"question": "what is the pawback?", "sentences": [lead], "see_also": [], "passages": []}
    md = templates.render("answer.md.j2", safety=None, exercises=[], full=False, **data)
    assert md.startswith("**The Pawback**: This concept was introduced in my last column. [1]")
    discord = templates.render("answer.discord.j2", safety=None, **data)
    assert discord.startswith("**The Pawback**: This concept was introduced in my last column. **[1]**")


def test_a_pair_across_a_paragraph_break_reads_as_one_line() -> None:
    """A leaning pair is one verbatim slice of its article; a paragraph break inside it must not split
    the short answer into an uncited sentence and a new paragraph."""
    templates = Templates(ROOT / "prompts")
    pair = Sentence(
        "Strength work has clear benefits.\n\nHowever lunges help in other ways too.", 2, "a", 0, 71
    )
    lead = Sentence("A runner can never go wrong with a lunge.", 1, "a", 80, 121)
    data = {"question": "are lunges good?", "sentences": [lead, pair], "see_also": [], "passages": []}
    md = templates.render("answer.md.j2", safety=None, exercises=[], full=False, **data)
    expected = "lunge. [1] Strength work has clear benefits. However lunges help in other ways too. [2]"
    assert expected in md
    discord = templates.render("answer.discord.j2", safety=None, **data)
    assert "benefits. However lunges help in other ways too. **[2]**" in discord


def test_see_also_names_each_source_once_with_its_article() -> None:
    templates = Templates(ROOT / "prompts")
    deadlift = Article("rd", "The Runner Deadlift", "Body.", Path("rd.md"), "h")
    hips = Article("hips", "Weak Hips", "Body.", Path("hips.md"), "h")
    others = [
        Passage(2, "One.", deadlift, "Performing the Runner Deadlift", 1.0, 0, 4),
        Passage(3, "Two.", deadlift, "Performing the Runner Deadlift", 1.0, 5, 9),
        Passage(4, "Three.", hips, "Weak Hips", 1.0, 0, 6),
    ]
    lead = Sentence("The Runner Deadlift begins at the waist.", 1, "rd", 0, 40)
    data = {"question": "how?", "sentences": [lead], "see_also": others, "passages": []}
    md = templates.render("answer.md.j2", safety=None, exercises=[], full=False, **data)
    assert "_See also:_ [2], [3] The Runner Deadlift — Performing the Runner Deadlift; [4] Weak Hips" in md


def test_a_source_whose_excerpt_is_the_quote_says_so_instead_of_showing_nothing() -> None:
    templates = Templates(ROOT / "prompts")
    body = "When you are halfway up, pinch the glutes to finish."
    deadlift = Article("rd", "The Runner Deadlift", body, Path("rd.md"), "h")
    lead = Sentence(body, 1, "rd", 0, len(body))
    excerpt = Passage(1, body, deadlift, "Performing the Runner Deadlift", 1.0, 0, len(body))
    data = {"question": "how?", "sentences": [lead], "see_also": [], "passages": [excerpt]}
    md = templates.render("answer.md.j2", safety=None, exercises=[], full=False, **data)
    assert "[1] **The Runner Deadlift** — _Performing the Runner Deadlift_ (quoted above)" in md
    assert md.count(body) == 1
    full = templates.render("answer.md.j2", safety=None, exercises=[], full=True, **data)
    assert "(quoted above)" not in full and full.count(body) == 2


def test_a_left_out_part_is_said_in_both_front_ends() -> None:
    templates = Templates(ROOT / "prompts")
    lead = Sentence("A runner can never go wrong with a lunge.", 1, "a", 0, 41)
    data = {"question": "lunges? and shoes?", "sentences": [lead], "see_also": [], "passages": []}
    note = "The club's articles don't cover shoes, so that part of the question is not answered."
    md = templates.render("answer.md.j2", safety=None, exercises=[], full=False, left_out=("shoes",), **data)
    assert f"_{note}_" in md
    discord = templates.render("answer.discord.j2", safety=None, left_out=("shoes",), **data)
    assert f"*{note}*" in discord


def test_sets_and_reps_no_passage_gives_come_from_the_card_said_to_be_the_clubs(settings: Settings) -> None:
    """ "How many sets and reps?" that no passage answers with a number: the first card's dose, named
    as the club's card, in Markdown and in Discord; a passage with numbers needs no such line."""
    c = coach(settings)
    ex = c.exercise("hip thrust")
    assert ex is not None and ex.dose
    article = next(iter(c.loaded.index.articles.values()))
    words = Passage(1, "Hip Thrusts require horizontal force.", article, "", 1.0, 0, 37)
    lead = Sentence("Hip Thrusts require horizontal force.", 1, article.id, 0, 37)
    templates = Templates(ROOT / "prompts")
    args = (
        templates,
        "how many sets and reps for hip thrusts?",
        (),
        True,
        [words],
        [lead],
        [Suggestion(ex)],
        None,
        {},
    )
    answer = compose(*args)
    assert answer.card_dose is not None
    note = f"the club's card for **Hip Thrust** suggests {ex.dose}"
    assert note in answer.text
    discord = templates.render(
        "answer.discord.j2", safety=None, sentences=[lead], see_also=[], card_dose=answer.card_dose
    )
    assert note in discord
    counted = replace(words, text="Do three sets of eight hip thrusts.")
    assert compose(templates, *args[1:4], [counted], *args[5:]).card_dose is None
    assert compose(templates, "why do hip thrusts help?", *args[2:]).card_dose is None
    # A dose that opens a sentence is told in the middle of one: "suggests a few easy reps".
    warm = replace(ex, dosage="A few easy reps (about 10–15) just before you run")
    few = compose(templates, "how many reps?", *args[2:6], [Suggestion(warm)], *args[7:])
    assert "suggests a few easy reps" in few.text
    # "How many of those?" asks the same; "how many times a week?" asks how often, which a dose does not say.
    assert compose(templates, "how many of those?", *args[2:]).card_dose is not None
    assert compose(templates, "how many times a week should i do them?", *args[2:]).card_dose is None
