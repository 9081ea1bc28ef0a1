"""The facade both front ends call: citations, exercises and red flags, refusals, conversations."""

from bot.coach import Coach, Conversation
from bot.config import Settings
from bot.embedding import HashEmbedder


def coach(settings: Settings) -> Coach:
    return Coach(settings, embedder=HashEmbedder(model_id="hash"))


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
    full = c.full_text(answer)
    for s in answer.exercises:  # in full, one Markdown list item per exercise, each on its own line
        assert f"\n- **{s.exercise.name}**: {s.reason}\n" in full
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
    # A follow-up carries the red flag of the turn before, and says so.
    later = c.ask("ok so what about glute bridges", ["my knee popped doing lunges and it's swollen"])
    assert later.safety is not None and later.exercises == ()
    assert "what you said earlier: “my knee popped doing lunges and it's swollen”" in later.text
    assert "earlier" not in hurt.text


def test_refused_questions_show_no_passage_and_no_exercise(settings: Settings) -> None:
    answer = coach(settings).ask("What time zone is Tokyo in?")
    assert not answer.answered
    assert answer.passages == () and answer.exercises == ()
    assert "don't cover" in answer.text


def test_a_misspelt_not_covered_topic_is_still_that_topic(settings: Settings) -> None:
    c = coach(settings)
    stretches = c.ask("should i hold my hamstring and quad streches before or after runs?")
    assert not stretches.answered and stretches.coverage.topic == "stretching"
    assert c.loaded.retriever.not_covered.found("how much proteen after a long run", typos=True) == [
        "protein"
    ]
    # A word the articles or any reader know is no misspelling, however close: "glutes" is not "gels".
    assert c.loaded.retriever.not_covered.found("weak glutes and hip drop", typos=True) == []


def test_follow_ups_use_the_conversation(settings: Settings) -> None:
    c = coach(settings)
    conversation = Conversation(max_turns=3)
    conversation.add("What is the runner deadlift?")
    assert c.query("how heavy should I go?", conversation.history).startswith("What is the runner deadlift?")
    assert c.query("Why do lunges beat squats for runners?", conversation.history).startswith("Why")
    easier = c.ask("is there an easier version?", ("How do I do a hip thrust?",))
    assert easier.exercises and easier.exercises[0].exercise.slug == "glute-bridge"
    # "else" and a closing "then" point back too.
    assert c.is_follow_up("Where else should I be looking, then?")
    assert c.is_follow_up("what should i do then?")
    # A follow-up to a follow-up goes on from the turn that set the subject.
    chain = ("what should beginners start with, glute bridges?", "how many sets of those")
    assert c.query("and when am i ready to move on from them?", chain).startswith(chain[0])
    # Chat words ("tho") are no topic: "they" are the squats of the turn before, which hurt.
    assert c.is_follow_up("they hurt my knees tho, what can i do instead")
    # "else" and "instead" are no topic either: "they" are the deadlifts, which hurt.
    assert c.is_follow_up("they kill my lower back tho, what can i do instead")
    assert c.is_follow_up("those make my lower back sore, anything else?")
    # "mine" is the member's own, no topic: "during it" is the runner deadlift they just asked about.
    assert c.is_follow_up("what do i do w my shoulders during it? mine kinda roll forward")
    # A harder version of an exercise it does not name is of the one before, however many words it takes.
    assert c.is_follow_up("how do i make it harder once the basic version gets easy")
    assert not c.is_follow_up("how do i make hip thrusts harder once the basic version gets easy")
    instead = c.ask("they hurt my knees tho, what can i do instead", ("are squats good for runners?",))
    assert not any("squat" in s.exercise.slug for s in instead.exercises)
    # "what about lunges?" asks the turn before's question of lunges; "they" still points back.
    moved = c.query("ok and what about lunges?", ("how many sets of hip thrusts?",))
    assert moved.startswith("how many sets of lunge") and "hip thrust" not in moved
    back = c.query("how are they different from squats?", ("are hip thrusts good for speed?",))
    assert back.startswith("are hip thrusts good for speed?")
    for turn in ["a", "b", "c", "d"]:
        conversation.add(turn)
    assert conversation.history == ("b", "c", "d")


def test_what_retrieval_derives_is_kept_with_the_index(settings: Settings, monkeypatch) -> None:
    """The layout, BM25 and the articles' own terms are worked out once per build, not at every start."""
    from bot import layout

    first = coach(settings).loaded.retriever
    monkeypatch.setattr(layout, "derive", lambda *a: (_ for _ in ()).throw(AssertionError("again")))
    again = coach(settings).loaded.retriever
    assert again._rare == first._rare and "hemipelvi" in again._rare
    assert again.search("what is the tfl?").windows == first.search("what is the tfl?").windows


def test_a_topic_leaves_with_the_article_that_covered_it(settings: Settings) -> None:
    """Once the only article on sprinting is removed, a question about sprints is refused, saying why;
    one that also names an exercise the other articles cover is still answered."""
    article = settings.articles_dir / "lower-body-exercises-for-runners.md"
    text = article.read_text(encoding="utf-8")
    assert coach(settings).ask("are hill sprints good for strength?").coverage.removed_article is None
    article.unlink()
    c = coach(settings)
    refused = c.ask("are hill sprints good for strength?")
    assert not refused.answered and not refused.passages and not refused.exercises
    assert refused.coverage.topic == "sprints"
    assert refused.coverage.removed_article == "4 Essential Lower-Body Exercises for Runners"
    assert (
        "No article speaks of “sprints” since “4 Essential Lower-Body Exercises for Runners”" in refused.text
    )
    assert c.ask("I sprint a lot, how heavy should my runner deadlift be?").answered
    other = settings.articles_dir / "weak-hips-and-glutes.md"  # a later, unrelated build remembers it
    other.write_text(other.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    assert coach(settings).ask("are hill sprints good for strength?").coverage.removed_article
    article.write_text(text, encoding="utf-8")  # back again: the word is covered again
    back = coach(settings).ask("are hill sprints good for strength?")
    assert back.coverage.removed_article is None


def test_a_damaged_record_of_removed_words_costs_no_answer(settings: Settings) -> None:
    """A hand-edited manifest with a malformed "retired" record: its bad entries are dropped."""
    import json

    article = settings.articles_dir / "lower-body-exercises-for-runners.md"
    coach(settings).ask("warm up")
    article.unlink()
    c = coach(settings)
    assert not c.ask("are hill sprints good for strength?").answered
    folder = c.loaded.index.folder
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["retired"] = {
        "sprint": 7,
        "hill": ["hill"],
        "glute": None,
        3: "x",
        "sprinter": ["sprinters", "Gone"],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    again = coach(settings)
    assert again.ask("are hill sprints good for strength?").answered  # the broken entries say nothing
    assert again.ask("do sprinters need strength?").coverage.removed_article == "Gone"


def test_answers_without_any_exercise_card_say_so(settings: Settings) -> None:
    import shutil

    shutil.rmtree(settings.exercises_dir)
    notes: list[str] = []
    c = Coach(settings, embedder=HashEmbedder(model_id="hash"), notify=notes.append)
    assert c.ask("how do I do the runner deadlift?").answered
    assert any("no exercise card could be loaded" in n for n in notes)


def test_a_broken_exercise_card_is_named_when_answering(settings: Settings) -> None:
    card = settings.exercises_dir / "hip-thrust.md"
    card.write_text(
        "".join(line for line in card.read_text().splitlines(True) if not line.startswith("cue:"))
    )
    notes: list[str] = []
    c = Coach(settings, embedder=HashEmbedder(model_id="hash"), notify=notes.append)
    answer = c.ask("are hip thrusts good for sprinters?")
    assert all(s.exercise.slug != "hip-thrust" for s in answer.exercises)
    assert "Warning: exercise card hip-thrust.md: is missing cue" in notes


def test_a_short_lived_draft_takes_no_word_from_the_library(settings: Settings) -> None:
    """A draft that used "cadence" (a runner word the synonyms map to "stride rate") is added and
    deleted: questions on cadence are not refused for its leaving; and `coach index --force` forgets
    every word removed articles took with them."""
    from bot.index import refresh

    draft = settings.articles_dir / "draft.md"
    draft.write_text('---\ntitle: "Draft notes"\n---\nTODO cadence drills and sprints.\n', encoding="utf-8")
    coach(settings).ask("why do my hips drop?")
    draft.unlink()
    c = coach(settings)
    assert c.ask("how do I improve my cadence?").coverage.removed_article is None
    (settings.articles_dir / "lower-body-exercises-for-runners.md").unlink()
    assert coach(settings).ask("are hill sprints good for strength?").coverage.removed_article
    refresh(settings, HashEmbedder(model_id="hash"), force=True)
    assert coach(settings).ask("are hill sprints good for strength?").coverage.removed_article is None


def test_a_paragraph_of_a_discord_message_is_read(settings: Settings) -> None:
    # A member's 600-character message is answered, not refused for its length.
    c = coach(settings)
    story = "been running for years, started lifting in the spring with squats and deadlifts. " * 6
    assert 500 < len(story + "why do my hips drop?") <= c.settings.max_question_chars
    assert c.ask(story + "why do my hips drop?").answered
