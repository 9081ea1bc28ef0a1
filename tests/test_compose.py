from pathlib import Path

from bot.coach import Coach, Conversation
from bot.compose import Templates
from bot.config import Settings
from bot.embedding import HashEmbedder
from bot.models import Safety

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
        "not_covered.md.j2": templates.render("not_covered.md.j2", question="bread?", titles=["A", "B"]),
        "not_covered.discord.j2": templates.render("not_covered.discord.j2"),
        "safety.md.j2": templates.render("safety.md.j2", safety=Safety(("chest pain",), "emergency")),
        "safety.discord.j2": templates.render("safety.discord.j2", safety=safety),
        "reason.j2": templates.render("reason.j2", concern="hip drop", citation=2, source=None),
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


def test_citations_run_in_order_and_point_at_listed_passages(settings: Settings) -> None:
    c = coach(settings)
    answer = c.ask("why do my hips drop when I run?")
    assert answer.answered
    used = [
        *(s.citation for s in answer.sentences),
        *answer.see_also,
        *(s.citation for s in answer.exercises if s.citation),
    ]
    first_use = list(dict.fromkeys(used))
    assert first_use == list(range(1, len(first_use) + 1))
    assert {p.rank for p in answer.passages} == set(first_use)
    for s in answer.sentences:
        passage = answer.passages[s.citation - 1]
        assert s.text in passage.text
        assert f"{s.text} [{s.citation}]" in answer.text


def test_suggestions_end_with_a_disclaimer_and_are_suppressed_by_red_flags(settings: Settings) -> None:
    c = coach(settings)
    answer = c.ask("my hips drop when I run, which exercises help?")
    assert len(answer.exercises) >= 2
    for s in answer.exercises:  # in full, one Markdown list item per exercise, each on its own line
        assert f"\n- **{s.exercise.name}**: {s.reason}\n" in answer.full_text
        assert f"**{s.exercise.name}**" in answer.text  # compact: the first with its cue, the others named
    first = answer.exercises[0]
    assert f"- **{first.exercise.name}**: {first.reason} {first.exercise.cue}" in answer.text
    assert answer.text.rstrip().endswith("see a professional for an injury._")
    hurt = c.ask("my hip is swollen and I heard a pop, which exercises help my hip drop?")
    assert hurt.safety is not None and hurt.exercises == ()
    assert hurt.text.startswith("**Please see a physiotherapist")
    # A red flag stands alone: why it was flagged, and no training passage under the referral.
    assert hurt.passages == () and hurt.sentences == () and hurt.shown == ()
    assert "swelling or bruising" in hurt.text and "an audible pop" in hurt.text
    assert "[1]" not in hurt.text and "Exercises to try" not in hurt.text


def test_refused_questions_show_no_passage_and_no_exercise(settings: Settings) -> None:
    answer = coach(settings).ask("What time zone is Tokyo in?")
    assert not answer.answered
    assert answer.passages == () and answer.exercises == ()
    assert "don't cover" in answer.text


def test_follow_ups_use_the_conversation(settings: Settings) -> None:
    c = coach(settings)
    conversation = Conversation(max_turns=3)
    conversation.add("What is the runner deadlift?")
    assert c.query("how heavy should I go?", conversation.history).startswith("What is the runner deadlift?")
    assert c.query("Why do lunges beat squats for runners?", conversation.history).startswith("Why")
    easier = c.ask("is there an easier version?", ("How do I do a hip thrust?",))
    assert easier.exercises and easier.exercises[0].exercise.slug == "glute-bridge"
    for turn in ["a", "b", "c", "d"]:
        conversation.add(turn)
    assert conversation.history == ("b", "c", "d")
