from dataclasses import replace
from pathlib import Path

import pytest

from bot.chunking import sentence_spans
from bot.exercises import Suggester, speaks_well
from bot.knowledge import load_articles, load_catalog
from bot.models import Passage


@pytest.fixture
def suggester(knowledge: Path) -> Suggester:
    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    words = lambda text: [w.rstrip("s") for w in text.lower().replace("?", " ").split()]  # noqa: E731
    return Suggester(catalog, words, limit=3, articles=articles)


def passage(suggester: Suggester, knowledge: Path, article_id: str, needle: str, rank: int = 1) -> Passage:
    articles, _ = load_articles(knowledge / "articles")
    article = next(a for a in articles if a.id == article_id)
    start = article.body.index(needle)
    end = min(len(article.body), start + 400)
    return Passage(rank, article.body[start:end], article, "", 1.0, start, end)


def slugs(found) -> list[str]:
    return [s.exercise.slug for s in found]


def test_a_named_exercise_comes_first(suggester: Suggester) -> None:
    assert slugs(suggester.suggest("how do I do a hip thrust?", (), []))[0] == "hip-thrust"


def test_beginners_are_not_sent_to_advanced_cards(suggester: Suggester) -> None:
    plain = slugs(suggester.suggest("what helps weak glutes?", (), []))
    newbie = slugs(suggester.suggest("total newbie: what helps weak glutes?", (), []))
    levels = {s: suggester.catalog.exercises[s].level for s in newbie}
    assert newbie and "advanced" not in levels.values()
    assert any(suggester.catalog.exercises[s].level == "advanced" for s in plain) or plain != newbie


def test_no_gym_prefers_cards_without_equipment(suggester: Suggester) -> None:
    found = suggester.suggest("no gym, what strength work can I do at home?", (), [])
    assert found
    for s in found:
        assert all("optional" in item for item in s.exercise.equipment), s.exercise.slug
    # Strength work, not the warm-up drill done just before a run.
    assert "bouncy-bodyweight-squat" not in slugs(found)


def test_asking_whether_a_gym_is_needed_names_the_no_kit_cards_concern(suggester: Suggester) -> None:
    """ "Do I need a gym and heavy weights?" asks for what the cards kept for strength work with no gym
    are for: all three (Air Squat, Glute Bridge, Lunge) are shown, though the question names no concern
    in their words."""
    found = slugs(
        suggester.suggest("Do I need a gym and heavy weights to strength train for running?", (), [])
    )
    assert set(found) == {"air-squat", "glute-bridge", "lunge"}


def test_a_beginner_asking_where_to_start_gets_the_card_kept_for_beginners(suggester: Suggester) -> None:
    """ "she's never set foot in a gym, where should she start?" names what the Glute Bridge is kept for
    ("new to strength training"), though not in its words: it is shown."""
    history = ("my daughter runs the 200m, which strength exercise is best for sprint power?",)
    found = slugs(
        suggester.suggest("she's never set foot in a gym though, where should she start?", history, [])
    )
    assert "glute-bridge" in found


def test_a_short_name_means_the_article_s_own_exercise(suggester: Suggester, knowledge: Path) -> None:
    p = passage(suggester, knowledge, "runner-deadlift", "The deadlift is the perfect hip-hinge")
    found = suggester.suggest("should I lean from my ankles or hinge at the hips?", (), [p])
    # The passage says "the deadlift"; in this article that is the Runner Deadlift, cited from it.
    assert slugs(found)[0] == "runner-deadlift"
    assert found[0].citation == 1


def test_easier_follow_up_swaps_in_the_regression(suggester: Suggester) -> None:
    found = suggester.suggest("is there an easier version?", ("how do I do a hip thrust?",), [])
    assert slugs(found)[0] == "glute-bridge"


def test_a_plural_of_a_name_is_the_name(suggester: Suggester) -> None:
    assert suggester.names("how low should my RDLs go?") == ["runner-deadlift"]
    assert suggester.names("box squats or lunges?") == ["box-squat", "lunge"]
    assert suggester.names("how many sets of eccentric hamstring raises?") == [
        "eccentric-glute-hamstring-raise"
    ]


def test_a_version_of_an_exercise_is_named_by_its_words(suggester: Suggester) -> None:
    # "the runner version of the deadlift" is the Runner Deadlift, which goes first.
    question = "how much weight for my first go at the runner version of the deadlift?"
    assert suggester.names(question) == ["runner-deadlift"]
    assert slugs(suggester.suggest(question, (), []))[0] == "runner-deadlift"
    # A version no card is called leaves the name as it is.
    assert suggester.names("is there an easier version of the squat?") == ["squat"]


def test_a_misspelt_name_is_read_as_meant(suggester: Suggester) -> None:
    mended = suggester.names.mended("how many reps n sets for hip thursts? and my runner dedlift form")
    assert mended == "how many reps n sets for hip thrusts? and my runner deadlift form"
    assert suggester.names(mended) == ["hip-thrust", "runner-deadlift"]
    # Words a reader knows stay as they are, however close to a name ("thirsts", "bridges").
    assert suggester.names.mended("it thirsts, it bridges") == "it thirsts, it bridges"


def test_a_passage_under_an_exercise_heading_suggests_that_exercise(
    suggester: Suggester, knowledge: Path
) -> None:
    question = "the bar keeps bumping my knee"
    under = passage(suggester, knowledge, "runner-deadlift", "Ideal alignment has the bar lowering")
    plain = slugs(suggester.suggest(question, (), [under]))
    headed = Passage(
        1, under.text, under.article, "Performing the Runner Deadlift", 1.0, under.start, under.end
    )
    found = suggester.suggest(question, (), [headed])
    # "knee" alone is no "knee stability": the passage alone names nothing; under its heading it is about
    # doing the Runner Deadlift.
    assert "runner-deadlift" not in plain
    assert slugs(found)[0] == "runner-deadlift" and found[0].citation == 1


def test_one_leg_asks_for_the_single_leg_version(suggester: Suggester) -> None:
    assert slugs(suggester.suggest("should I do my hip thrusts one leg at a time?", (), []))[:2] == [
        "single-leg-hip-thrust",
        "hip-thrust",
    ]
    follow_up = suggester.suggest("is it worth doing them on one leg?", ("are hip thrusts good?",), [])
    assert slugs(follow_up)[0] == "single-leg-hip-thrust"
    # Without a single-leg card, the exercise named stays.
    assert slugs(suggester.suggest("can I do box squats on one leg?", (), []))[0] == "box-squat"


def test_a_card_needs_support_not_a_passing_mention(suggester: Suggester, knowledge: Path) -> None:
    # Each passage only names the Runner Deadlift in passing ("the deadlift"): however many there
    # are, a mention is not a recommendation, so no card for it.
    question = "what does it mean if the bar hits my knees?"
    found = [
        passage(suggester, knowledge, "runner-deadlift", needle, rank)
        for rank, needle in enumerate(
            ["This latter element", "All runners unfamiliar", "This is where the true beauty"], start=1
        )
    ]
    assert "runner-deadlift" not in slugs(suggester.suggest(question, (), found))
    # Nothing in a question about arm swing, and no passage recommending a card: no filler cards.
    assert suggester.suggest("my arms cross my body when i run", (), []) == []


def test_a_card_the_member_says_troubles_them_is_never_first(suggester: Suggester) -> None:
    tight = slugs(suggester.suggest("heavy squats n deads, my hip flexors are crazy tight", (), []))
    assert tight and tight[0] not in {"squat", "deadlift"}
    # Even asking about its form: the card of what hurts is not the first thing to do.
    form = slugs(suggester.suggest("my back aches after squats, is my squat form wrong?", (), []))
    assert form and form[0] != "squat"
    # A complaint the member negates is none; one they want to be rid of still is.
    assert (
        slugs(suggester.suggest("no swelling or pain, just want to know how many lunges to do", (), []))[0]
        == "lunge"
    )
    after = slugs(
        suggester.suggest("what should i do after squats so my hips dont get all locked up", (), [])
    )
    assert "squat" not in after
    # Soreness the member calls ordinary is no complaint about the exercise.
    doms = (
        "quads still sore from my squat session (normal doms i think). do my knees caving on squats matter?"
    )
    assert slugs(suggester.suggest(doms, (), []))[0] == "squat"
    # "Why bother with X?" asks what X is for: no complaint about it.
    assert (
        slugs(suggester.suggest("why bother with hip thrusts if i already squat?", (), []))[0] == "hip-thrust"
    )
    # Nor does "should I still bother with X?" (take the trouble); "X bothers my back" is one.
    assert slugs(suggester.suggest("should i still bother with deadlifts?", (), []))[0] == "deadlift"
    assert slugs(suggester.suggest("deadlifts bother my lower back, what else?", (), []))[:1] != ["deadlift"]


def test_a_card_a_passage_ties_to_the_members_complaint_is_never_first(
    suggester: Suggester, knowledge: Path
) -> None:
    """The passage tells of the deadlift going up while the hip flexors get tight: the member who says
    just that is not told to deadlift first."""
    question = "my deadlift pb keeps going up but my hip flexors feel locked, what should i do"
    item = passage(suggester, knowledge, "tale-of-two-hemipelvi", "Monitor your running")
    end = item.start + item.text.index("no bueno.") + len("no bueno.")
    warns = replace(item, text=item.article.body[item.start : end], end=end)
    found = slugs(suggester.suggest(question, (), [warns]))
    assert found and found[0] != "deadlift"
    # Without that passage, the member's words alone don't say the deadlift is to blame.
    assert slugs(suggester.suggest(question, (), []))[0] == "deadlift"
    # "why does that happen?" goes on from the complaint of the turn before.
    why = slugs(
        suggester.suggest(
            "why does that happen?", ("my deadlift is going up but my hip flexors feel locked",), [warns]
        )
    )
    assert why and why[0] != "deadlift"


def test_a_beginner_naming_an_exercise_starts_on_its_easiest_version(suggester: Suggester) -> None:
    """ "brand new to squatting": the Air Squat, then the Box Squat, before the Squat named."""
    new = slugs(suggester.suggest("brand new to squatting, where should i begin?", (), []))
    assert new[:3] == ["air-squat", "box-squat", "squat"]
    for never in [
        "never done a squat in my life, where do i even begin",
        "never really tried squats, how do i start",
    ]:
        assert slugs(suggester.suggest(never, (), []))[:1] == ["air-squat"], never
    # "Too advanced" asks for the easier version, not the harder one.
    assert slugs(suggester.suggest("first time in a gym, are hip thrusts too advanced for me?", (), []))[
        :1
    ] == ["glute-bridge"]
    # Once the member says the exercise is getting easy, they are past its easier versions.
    past = slugs(suggester.suggest("new to the gym but box squats are getting easy now, whats next?", (), []))
    assert past[:1] == ["squat"]


def test_the_version_the_best_passage_recommends_goes_before_the_one_named(
    suggester: Suggester, knowledge: Path
) -> None:
    question = "is it worth doing a couple squats before heading out for a run?"
    assert slugs(suggester.suggest(question, (), []))[0] == "squat"
    warm_up = passage(suggester, knowledge, "strength-training-and-running-technique", "One example I use")
    assert slugs(suggester.suggest(question, (), [warm_up]))[:2] == ["bouncy-bodyweight-squat", "squat"]
    # Only the best passage counts: the same passage third does not outrank the exercise named.
    third = replace(warm_up, rank=3)
    assert (
        slugs(
            suggester.suggest(question, (), [passage(suggester, knowledge, "runner-deadlift", "The"), third])
        )[0]
        == "squat"
    )


def test_doing_an_exercise_to_avoid_a_problem_is_no_warning_against_it(
    suggester: Suggester, knowledge: Path
) -> None:
    """ "Powerfully pinch the glutes... to avoid overusing lumbar muscles, which causes back pain" is how
    the Runner Deadlift spares the back, not a warning against it."""
    finish = passage(suggester, knowledge, "runner-deadlift", "When you’re halfway up")
    headed = replace(finish, heading="Performing the Runner Deadlift")
    found = slugs(
        suggester.suggest("lower back aches after deadlifting, what am i doing wrong", (), [headed])
    )
    assert found[0] == "runner-deadlift"


def test_named_exercises_are_the_setting_of_a_question_asking_what_else(suggester: Suggester) -> None:
    missing = slugs(suggester.suggest("my gym day is back squats and deadlifts, anything missing?", (), []))
    assert not {"squat", "deadlift"} & set(missing[:1])
    after = slugs(
        suggester.suggest("what should i do after them so i dont get stiff", ("squats n deads?",), [])
    )
    assert after and after[0] not in {"squat", "deadlift"}
    # "them" are the exercises of the latest turn that named any, not of a "how many reps?" between.
    later = slugs(
        suggester.suggest(
            "what should i do after them so i dont get stiff", ("squats n deads?", "how many reps?"), []
        )
    )
    assert not {"squat", "deadlift"} & set(later)
    # "the heavy stuff" and "the heavy lifts" stand for them too, however the question is put.
    for question in [
        "ok so what should i do straight after the heavy stuff",
        "what should i be doing after the heavy lifts",
    ]:
        stuff = slugs(
            suggester.suggest(question, ("is it fine to keep heavy squats and deadlifts in my plan?",), [])
        )
        assert not {"squat", "deadlift"} & set(stuff), question


def test_what_the_member_says_they_already_do_is_the_setting(suggester: Suggester, knowledge: Path) -> None:
    """ "i squat like 2x bodyweight but my hips drop" and "my routine is back squats and deadlifts, is
    that enough?" ask about something else: the exercises they already do are not the cards, in a
    follow-up neither; an exercise they ask about beside such a statement still is."""
    drop = "i squat like 2x bodyweight but my gait analysis says hip drop. how does that make sense"
    assert "squat" not in slugs(suggester.suggest(drop, (), []))
    squats = [passage(suggester, knowledge, "lower-body-exercises-for-runners", "Squats are also great")]
    fix = slugs(suggester.suggest("ok so what exercises would fix that", (drop,), squats))
    # Nor are its easier versions, a step back from what they lift, though the passage names them.
    assert not {"squat", "box-squat", "air-squat"} & set(fix)
    routine = "my whole gym routine is back squats and deadlifts. is that enough for running?"
    assert not {"squat", "deadlift"} & set(slugs(suggester.suggest(routine, (), [])))
    assert slugs(suggester.suggest("i squat 100kg, should i add lunges?", (), []))[0] == "lunge"
    group = "coach here. my group's gym plan is back squats and deadlifts. anything wrong with that?"
    assert not {"squat", "deadlift"} & set(slugs(suggester.suggest(group, (), [])))
    sesh = "lol my whole gym sesh is just back squats and deadlifts, is that dumb for a runner"
    assert not {"squat", "deadlift"} & set(slugs(suggester.suggest(sesh, (), [])))


def test_an_exercise_asked_about_one_leg_at_a_time_earlier_is_its_single_leg_version(
    suggester: Suggester,
) -> None:
    """ "should i be doing hip thrusts one leg at a time?" then "doesnt that take twice as long tho,
    worth it?": the talk is of the Single-Leg Hip Thrust, not the two-legged one."""
    history = ("should i be doing hip thrusts one leg at a time?",)
    assert slugs(suggester.suggest("doesnt that take twice as long tho, worth it?", history, []))[0] == (
        "single-leg-hip-thrust"
    )


def test_one_leg_at_a_time_after_two_exercises_means_the_one_with_a_single_leg_version(
    suggester: Suggester,
) -> None:
    history = ("whats the difference between a glute bridge and a hip thrust?",)
    found = slugs(suggester.suggest("is it worth doing them one leg at a time?", history, []))
    assert found[0] == "single-leg-hip-thrust"


def test_one_leg_at_a_time_of_the_exercise_under_discussion_is_its_single_leg_version(
    suggester: Suggester,
) -> None:
    history = ("sprinter here, which lift carries over best to top speed?",)
    asked = "both legs at once or one leg at a time?"
    assert slugs(suggester.suggest(asked, history, [], focus="hip-thrust"))[0] == "single-leg-hip-thrust"


def test_one_leg_or_both_weighs_the_two_legged_version_too(suggester: Suggester) -> None:
    """ "single leg hip thrusts take forever, any point vs both legs?" asks about the Hip Thrust too:
    its card comes right after the single-leg one, before exercises the member never raised."""
    asked = "single leg hip thrusts take forever. is there any point vs just doing both legs?"
    assert slugs(suggester.suggest(asked, (), []))[:2] == ["single-leg-hip-thrust", "hip-thrust"]
    history = ("which lift carries over best to top speed, hip thrusts?",)
    follow_up = slugs(
        suggester.suggest("should i do em one leg at a time or both legs together?", history, [])
    )
    assert follow_up[:2] == ["single-leg-hip-thrust", "hip-thrust"]


def test_single_leg_work_as_such_asks_for_single_leg_cards(suggester: Suggester) -> None:
    """ "why all the single leg stuff instead of normal squats?" asks about single-leg work: the cards
    for it (Lunge, Single-Leg Deadlift, Single-Leg Hip Thrust, Hip Airplane) come before the Squat it
    contrasts them with; the single-leg version of a named exercise is still what "on one leg" asks."""
    single = {"lunge", "single-leg-deadlift", "single-leg-hip-thrust", "hip-airplane"}
    for asked in [
        "why all the single leg stuff instead of normal squats? seems harder for no reason",
        "should most of my gym exercises be single-leg?",
        "unilateral vs bilateral stuff, whats the difference for runners?",
        # The lifts the member does are the setting: "one leg" is not about a single-leg deadlift.
        "should most of my gym stuff be on one leg or two? currently just doing back squats and deadlifts",
    ]:
        found = slugs(suggester.suggest(asked, (), []))
        assert found and set(found) <= single, asked
    assert slugs(suggester.suggest("can I do box squats on one leg?", (), []))[0] == "box-squat"
    asked = "are hip thrusts worth it, and is it worth doing them one leg at a time?"
    assert slugs(suggester.suggest(asked, (), []))[:2] == ["single-leg-hip-thrust", "hip-thrust"]


def test_feeling_fine_and_adding_weight_asks_for_the_harder_version(suggester: Suggester) -> None:
    """ "bodyweight squats feel fine now, i wanna start adding weight" asks for the Box Squat, the Air
    Squat's progression, not for the Air Squat it names."""
    ready = "ok bodyweight squats feel fine now, i wanna start adding weight. which variation?"
    assert slugs(suggester.suggest(ready, (), []))[0] == "box-squat"
    # Asking when to load the exercise under discussion asks for its loaded version too.
    for later in [
        "ok and when i want to start adding weight?",
        "cool, can i put some weight on it?",
        "nice and when i wanna start loading it up?",
    ]:
        assert (
            slugs(suggester.suggest(later, ("how do i learn to squat?",), [], focus="air-squat"))[0]
            == "box-squat"
        )
    # What is getting easier wants its harder version, however it is said.
    for easy in [
        "GHRs are getting easier, how do i make em harder?",
        "glute ham raises are starting to feel easy, hows the best way to level them up",
    ]:
        assert slugs(suggester.suggest(easy, (), []))[0] == "eccentric-glute-hamstring-raise", easy
    assert (
        slugs(suggester.suggest("ok bridges are getting kinda easy now, whats next", (), []))[0]
        == "hip-thrust"
    )
    # Graduating from one of two exercises named before is moving on to the harder of them.
    graduate = "ok and when do i graduate to the barbell ones"
    named_both = ("just started going to the gym, should i do bridges or hip thrusts",)
    assert slugs(suggester.suggest(graduate, named_both, []))[0] == "hip-thrust"
    # A version that builds strength faster is the harder one.
    quicker = "is there a version of that that builds strength quicker?"
    history = ("whats a decent exercise that hits hamstrings and glutes together",)
    assert (
        slugs(suggester.suggest(quicker, history, [], focus="glute-hamstring-raise"))[0]
        == "eccentric-glute-hamstring-raise"
    )


def test_a_single_leg_version_is_something_else_than_the_two_legged_lift(
    suggester: Suggester, knowledge: Path
) -> None:
    """ "my gym day is squats and deadlifts, anything missing?" may be answered with the single-leg
    deadlift a passage recommends: one leg at a time is what two-legged lifts leave out, unlike the
    Box Squat."""
    single = [passage(suggester, knowledge, "weak-hips-and-glutes", "I recommend pairing it with")]
    found = slugs(suggester.suggest("my gym day is squats and deadlifts, anything missing?", (), single))
    assert "single-leg-deadlift" in found and "box-squat" not in found


def test_a_bare_name_is_read_as_the_best_passage_s_article_reads_it(
    suggester: Suggester, knowledge: Path
) -> None:
    """Answered from the Runner Deadlift article, "how do I come back up from a deadlift?" is about the
    Runner Deadlift, the article's deadlift; "the formal deadlift" and an answer from elsewhere keep
    the Deadlift."""
    rd = [passage(suggester, knowledge, "runner-deadlift", "To return, begin by first pushing")]
    up = "how do i come back up from a deadlift without my lower back doing the work?"
    assert slugs(suggester.suggest(up, (), rd))[0] == "runner-deadlift"
    formal = "how do i come back up from a formal deadlift without my lower back doing the work?"
    assert slugs(suggester.suggest(formal, (), rd))[0] == "deadlift"
    other = [passage(suggester, knowledge, "lower-body-exercises-for-runners", "Form is essential")]
    assert slugs(suggester.suggest(up, (), other))[0] == "deadlift"


def test_short_names_of_deadlifts_name_the_right_card(suggester: Suggester) -> None:
    assert slugs(suggester.suggest("single leg dl worth it?", (), []))[0] == "single-leg-deadlift"
    assert slugs(suggester.suggest("how low on the runner DL?", (), []))[0] == "runner-deadlift"
    assert slugs(suggester.suggest("how heavy should my DLs be?", (), []))[0] == "deadlift"


def test_what_to_do_instead_of_an_exercise_is_something_else(suggester: Suggester, knowledge: Path) -> None:
    lunge = [passage(suggester, knowledge, "tale-of-two-hemipelvi", "When in doubt")]
    instead = slugs(suggester.suggest("squats hurt my knees, what can i do instead?", (), lunge))
    assert instead and not any("squat" in slug for slug in instead)  # nor a version of squats
    cant = slugs(
        suggester.suggest("i can't do the eccentric glute ham raise, what should i do instead?", (), [])
    )
    assert "eccentric-glute-hamstring-raise" not in cant
    # "they" are the squats of the turn before: they hurt, so they are neither first nor "instead".
    later = slugs(
        suggester.suggest("they hurt my knees, what can i do instead", ("are squats good for runners?",), [])
    )
    assert not any("squat" in slug for slug in later)
    hurt = slugs(suggester.suggest("they hurt my knees, is my form off?", ("how do i do squats?",), []))
    assert not hurt or hurt[0] != "squat"


def test_reasons_use_the_members_words(suggester: Suggester) -> None:
    [first, *_] = suggester.suggest("whats a hip airplane", (), [])
    assert first.exercise.slug == "hip-airplane" and first.named and first.concern is None
    [drop, *_] = suggester.suggest("why do my hips drop, any exercises for hip drop?", (), [])
    assert drop.concern == "hip drop"


def test_what_to_do_after_an_exercise_suggests_something_else(suggester: Suggester) -> None:
    after = slugs(suggester.suggest("what should I do after heavy squats to stay loose?", (), []))
    assert not any("squat" in slug for slug in after)  # nor a version of it (air squat, box squat)
    both = slugs(suggester.suggest("what should I do after squats and deadlifts?", (), []))
    assert both and not {"squat", "deadlift"} & set(both)
    for listed in ("after a heavy squat/deadlift session?", "after squats, deadlifts?"):
        assert not {"squat", "deadlift"} & set(slugs(suggester.suggest(f"what can i do {listed}", (), [])))
    # Only a request for what to do, and only for the name that follows "after".
    assert "squat" in slugs(suggester.suggest("is my squat wrong? my back aches the day after", (), []))
    assert slugs(suggester.suggest("what should I do after a run: squats?", (), []))[0] == "squat"
    # "anything i should do after...", and what the member "just finished", are asked the same way.
    squat_day = slugs(
        suggester.suggest("anything i should do after heavy squat day so my hips dont get stiff?", (), [])
    )
    assert squat_day and not any("squat" in slug for slug in squat_day)
    finished = "just finished heavy squats n deads. anything i should do after to not feel locked up"
    assert not {"squat", "deadlift"} & set(slugs(suggester.suggest(finished, (), [])))
    # Chat spelling, and what the member says they did, read the same way.
    for asked in (
        "what shld i do after heavy squat day so my hips dont lock up",
        "did heavy squats tonight. anything i should do after lifting so my hips dont lock up?",
        "what do u guys do after a heavy squat day so ur hips dont feel locked up",  # what others do
    ):
        assert not any("squat" in slug for slug in slugs(suggester.suggest(asked, (), [])))


def test_the_weights_come_from_settings(knowledge: Path) -> None:
    from bot.config import Settings
    from bot.exercises import Weights

    strict = Weights.of(Settings(_env_file=None, suggest_min_score=100.0))
    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    words = lambda text: [w.rstrip("s") for w in text.lower().replace("?", " ").split()]  # noqa: E731
    question = "why do my hips drop, any exercises for hip drop?"
    assert Suggester(catalog, words, limit=3, articles=articles).suggest(question, (), [])
    picky = Suggester(catalog, words, limit=3, articles=articles, weights=strict)
    assert picky.suggest(question, (), []) == []


def test_the_first_exercise_named_is_the_subject(suggester: Suggester) -> None:
    question = "how is the runner deadlift different from a normal deadlift?"
    assert slugs(suggester.suggest(question, (), []))[:2] == ["runner-deadlift", "deadlift"]


def test_a_card_cites_a_passage_recommending_it_not_one_holding_it_up_as_the_contrast(
    knowledge: Path,
) -> None:
    """ "Unlike a rear squat, the bar grasped in front of the body helps..." recommends no squat: a
    Squat card the member's concern asks for is not "recommended in" that passage (the coach then cites
    the passage its card quotes)."""
    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    spans = [(a.id, s.start, s.end) for a in articles for s in sentence_spans(a.body)]
    words = lambda text: [w.rstrip("s") for w in text.lower().replace("?", " ").split()]  # noqa: E731
    suggester = Suggester(catalog, words, limit=3, articles=articles, sentences=spans)
    hinge = passage(suggester, knowledge, "runner-deadlift", "The deadlift is the perfect hip-hinge")
    assert "Unlike a rear squat" in hinge.text
    found = {s.exercise.slug: s for s in suggester.suggest("how do i get better knee stability", (), [hinge])}
    assert "squat" in found and found["squat"].citation is None


def test_the_exercise_under_discussion_is_not_one_the_member_named(suggester: Suggester) -> None:
    """ "how many reps?" after a Power Raise card asks about it, but the member never named it."""
    [first, *_] = suggester.suggest("how many reps?", ("my hips drop when i run",), [], focus="power-raise")
    assert first.exercise.slug == "power-raise" and first.discussed and not first.named
    [named, *_] = suggester.suggest(
        "how many reps of power raises?", ("my hips drop",), [], focus="power-raise"
    )
    assert named.named and not named.discussed


def test_a_sentence_speaks_well_of_an_exercise_only_where_it_recommends_it() -> None:
    named = {"deadlift", "squat"}
    names = lambda text: {n for n in named if n in text.lower()}  # noqa: E731
    assert speaks_well("The deadlift is the best lift for the posterior chain.", {"deadlift"}, names)
    # "at best" is no praise; a contrast is not what is recommended.
    assert not speaks_well(
        "The Deadlift is a lift runners neglect, because it is difficult at best.", {"deadlift"}, names
    )
    hips = "Hip thrusts build speed, different from the vertical movement required for squats and deadlifts."
    assert not speaks_well(hips, named, names)
    # Drills that mimic the running pattern, reinforcing strength, are recommended by it.
    drills = "Drills such as the squat aim to mimic the precise pattern of running, reinforcing strength."
    assert speaks_well(drills, {"squat"}, names) == {"squat"}


def test_what_the_member_already_does_without_result_is_not_the_answer(suggester: Suggester) -> None:
    """ "I can squat 2x bodyweight but my hips still drop": the squat is what they do; the answer is
    something else."""
    found = slugs(suggester.suggest("i can squat 2x bodyweight but my hips still drop when i run", (), []))
    assert found and not any("squat" in slug for slug in found)
    # Asking about squats themselves still puts them first.
    assert slugs(suggester.suggest("are squats still worth doing for runners?", (), []))[0] == "squat"


def test_a_card_for_more_of_the_members_concerns_comes_first(suggester: Suggester) -> None:
    """ "hip drop and weak glutes": a card for both comes before one for weak glutes alone."""
    [first, *_] = suggester.suggest("my hips drop and i have weak glutes", (), [])
    concerns = set(first.exercise.concerns)
    assert {"hip drop", "weak glutes"} <= concerns


def test_a_concern_is_named_only_by_words_that_stand_together(suggester: Suggester) -> None:
    """ "my hip flexors feel tight" then "should I drop deadlifts?" says "hip" and "drop", but names no
    hip drop: the hip-drop cards do not come first; "my hips drop" still names it."""
    found = suggester.suggest(
        "so should i just drop deadlifts altogether then?",
        ("my deadlift went up but my hip flexors feel crazy tight. could lifting be doing that?",),
        [],
    )
    assert all(s.concern != "hip drop" for s in found)
    assert slugs(found)[0] == "deadlift"
    assert suggester.suggest("why do my hips drop when i run?", (), [])[0].concern in {
        "hip drop",
        "hips drop",
    }


def test_the_version_for_what_the_member_says_goes_before_the_exercise_named(suggester: Suggester) -> None:
    """Squats named, then "once I want to add weight?": the Box Squat's card is for adding weight to
    squats, so it goes first; "how do I learn to squat?" gets the Air Squat's."""
    heavier = slugs(
        suggester.suggest("and once i want to start adding weight?", ("how do i do squats?",), [])
    )
    assert heavier[0] == "box-squat"
    learn = slugs(suggester.suggest("never done a squat, how do i go about learning to squat?", (), []))
    assert learn[0] == "air-squat"


def test_a_card_chosen_for_the_question_is_no_step_from_the_version_wanted(knowledge: Path) -> None:
    """ "and when i want to add some weight to it?" after a beginner's squat question that names no
    exercise: the Box Squat is chosen for adding weight, so it is the one, not a step on from it to
    the Squat. Learning and adding weight asked at once: the Air Squat, then its harder version."""
    from bot.lexical import Vocabulary

    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    real = Suggester(catalog, Vocabulary().topic, limit=3, articles=articles)
    before = ("never squatted in my life, where do i start",)
    heavier = slugs(real.suggest("ok and when i want to add some weight to it?", before, []))
    assert heavier[:2] == ["box-squat", "squat"]
    both = slugs(real.suggest("how do i learn to squat, and once i want to add weight what version", (), []))
    assert both[:2] == ["air-squat", "box-squat"]
    # Loading said another way ("putting weight on") is adding weight.
    putting = slugs(
        real.suggest("wanna start putting weight on my squats, which kind shd i start with", (), [])
    )
    assert putting[0] == "box-squat"


def test_three_cards_are_three_exercises_unless_versions_are_asked_for(knowledge: Path) -> None:
    """ "is once a week enough for the posterior chain stuff?": the passage on the Glute Hamstring Raise
    quotes both it and its eccentric version, but the member reads three different exercises; a
    version asked for ("an easier version of hip thrusts?") still comes."""
    from bot.lexical import Vocabulary

    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    real = Suggester(catalog, Vocabulary().topic, limit=3, articles=articles)
    found = passage(
        real, knowledge, "lower-body-exercises-for-runners", "The Glute Hamstring Raise is a versatile"
    )
    shown = slugs(real.suggest("is once a week enough for the posterior chain stuff?", (), [found]))
    assert len(shown) == 3
    assert not {"glute-hamstring-raise", "eccentric-glute-hamstring-raise"} <= set(shown)
    assert slugs(real.suggest("is there an easier version of hip thrusts?", (), []))[0] == "glute-bridge"


def test_equal_evidence_goes_to_the_card_the_passage_brings_up_first(
    suggester: Suggester, knowledge: Path
) -> None:
    # The power raise, the hip airplane and the single-leg deadlift are all for weak hips, and the
    # passage quotes the cards of all three: the one it recommends first leads, not the first by name.
    p = passage(suggester, knowledge, "weak-hips-and-glutes", "Dr Uhan recommends the power raise")
    found = suggester.suggest("what can i do for weak hips", (), [p])
    assert slugs(found)[:3] == ["power-raise", "hip-airplane", "single-leg-deadlift"]


def test_a_negated_concern_is_claimed_only_by_what_it_negates(knowledge: Path) -> None:
    """Read as a question, "glutes not firing" would lose "firing" to its negation and be named by any
    question about glutes: "how many sets for glute bridges" was given "For glutes not firing"."""
    from bot.lexical import Vocabulary

    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    real = Suggester(catalog, Vocabulary().topic, limit=3, articles=articles)
    [bridge, *_] = real.suggest("how many sets for glute bridges", (), [])
    assert bridge.exercise.slug == "glute-bridge" and bridge.concern is None
    for question in ["my glutes are not firing", "my glutes dont fire"]:
        found = real.suggest(question, (), [])
        assert "glutes not firing" in {s.concern for s in found}, question


def test_weighing_two_exercises_gets_one_of_them_not_a_version(suggester: Suggester, knowledge: Path) -> None:
    # The best passage recommends single-leg hip thrusts; a member choosing between glute bridges and
    # hip thrusts still gets one of the two first.
    found = [
        replace(
            passage(suggester, knowledge, "lower-body-exercises-for-runners", needle, rank),
            heading="Hip Thrusts",
        )
        for rank, needle in enumerate(["Because speed is not a bilateral", "Many great butt exercises"], 1)
    ]
    chosen = slugs(suggester.suggest("hip thrusts or glute bridges first?", (), found))
    assert chosen[0] in {"glute-bridge", "hip-thrust"}


def test_what_to_pair_an_exercise_with_is_the_one_the_passage_pairs_it_with(
    suggester: Suggester, knowledge: Path
) -> None:
    # After "what's a power raise", the power raise is what to go with, shown after what the passage
    # pairs it with; and the words
    # of its name are no wish for "explosive power" (a concern of the squat, deadlift and hip thrust).
    p = passage(suggester, knowledge, "weak-hips-and-glutes", "Dr Uhan recommends the power raise")
    paired = slugs(suggester.suggest("cool, what should i pair it with?", ("what's a power raise",), [p]))
    assert paired[:2] == ["hip-airplane", "single-leg-deadlift"] and "power-raise" in paired
    # What another passage recommends on its own comes after it: it is no mate of the power raise.
    other = passage(
        suggester, knowledge, "lower-body-exercises-for-runners", "Squats are a good place", rank=2
    )
    paired = slugs(
        suggester.suggest("cool, what should i pair it with?", ("what's a power raise",), [p, other])
    )
    assert paired == ["hip-airplane", "single-leg-deadlift", "power-raise"]
    # "what goes well with it" pairs too; "how far down do i go with it" asks how to do it.
    goes = slugs(suggester.suggest("nice, what goes well with it?", ("what's a power raise",), [p]))
    assert goes[:2] == ["hip-airplane", "single-leg-deadlift"]
    down = slugs(suggester.suggest("ok and how far down do i go with it", ("whats a power raise",), [p]))
    assert down[0] == "power-raise"


def test_an_exercise_named_in_a_follow_up_is_its_subject(suggester: Suggester) -> None:
    # "what about lunges?" moves on to lunges; "how are they different from squats" still asks of
    # the exercise of the turn before.
    moved = slugs(suggester.suggest("ok and what about lunges?", ("how many sets of hip thrusts?",), []))
    assert moved[0] == "lunge" and "hip-thrust" not in moved
    back = slugs(suggester.suggest("how are they different from squats", ("are hip thrusts good?",), []))
    assert "hip-thrust" in back


def test_a_sentence_on_the_general_form_of_the_exercise_asked_about(suggester: Suggester) -> None:
    from bot.exercises import another_form

    formal = "The formal deadlift quite simply involves lifting a bar from the ground position to the waist."
    assert another_form(suggester.names, formal, ["runner-deadlift"])
    assert not another_form(suggester.names, formal, ["deadlift"])  # the one asked about
    # A bare "deadlift" in the Runner Deadlift's article may mean it; and an unrelated exercise is no form.
    assert not another_form(suggester.names, "The deadlift is among the three lifts.", ["runner-deadlift"])
    assert not another_form(suggester.names, "Squats build the quads.", ["runner-deadlift"])


def test_a_sentence_naming_an_exercise_and_speaking_well_of_it_recommends_it(knowledge: Path) -> None:
    """What the short answer asks of a sentence for "which exercise...?": the same judgement the cards
    use for a passage."""
    articles, _ = load_articles(knowledge / "articles")
    catalog, _ = load_catalog(knowledge / "exercises", articles)
    spans = [(a.id, s.start, s.end) for a in articles for s in sentence_spans(a.body)]
    suggester = Suggester(catalog, str.split, limit=3, articles=articles, sentences=spans)
    body = next(a for a in articles if a.id == "lower-body-exercises-for-runners").body
    for needle, recommends in [
        ("Squats are also great", True),
        ("Deadlifts are performed not by pulling", False),
    ]:
        start = body.index(needle)
        end = body.index(".", start) + 1
        assert suggester.recommends("lower-body-exercises-for-runners", start, end) is recommends


def test_a_body_part_alone_names_no_concern(suggester: Suggester) -> None:
    """Most cards have a concern on the glutes ("weak glutes", "glutes not firing"): a question that
    only names them, with no passage recommending anything, gets no card rather than every glute card
    claiming half a match; naming the whole concern still brings its cards."""
    assert suggester.suggest("do my glutes even matter for running?", (), []) == []
    weak = suggester.suggest("what helps weak glutes?", (), [])
    assert weak and all(s.concern == "weak glutes" for s in weak)


@pytest.fixture
def warm_up(suggester: Suggester, knowledge: Path) -> Passage:
    """The passage on "a few bouncy body weight squats" before a run, second in the search."""
    return passage(
        suggester, knowledge, "strength-training-and-running-technique", "One example I use", rank=2
    )


def test_the_passage_the_short_answer_quotes_speaks_first_for_a_card(
    suggester: Suggester, knowledge: Path, warm_up: Passage
) -> None:
    # The search ranked the hip-thrust passage first; the short answer quotes the warm-up passage
    # ("a few bouncy body weight squats") first, so its card leads and cites it.
    searched = passage(suggester, knowledge, "lower-body-exercises-for-runners", "Runners new to the gym")
    assert slugs(suggester.suggest("any tips?", (), [searched, warm_up])) == ["glute-bridge"]
    found = suggester.suggest("any tips?", (), [searched, warm_up], quoted=[2])
    assert slugs(found)[0] == "bouncy-bodyweight-squat" and found[0].citation == 2


def test_a_general_name_beside_its_named_version_goes_after_it(suggester: Suggester) -> None:
    contrast = suggester.suggest(
        "whats the difference between a normal deadlift and the runner deadlift?", (), []
    )
    assert slugs(contrast)[:2] == ["runner-deadlift", "deadlift"]
    which = slugs(suggester.suggest("total newbie to squatting. air squats or box squats first?", (), []))
    assert which[:2] == ["air-squat", "box-squat"]


def test_the_best_passage_for_a_named_exercise_s_version_is_the_one_the_short_answer_quotes_first(
    suggester: Suggester, knowledge: Path, warm_up: Passage
) -> None:
    # The search ranked a squat passage first; the short answer quotes the warm-up passage first, whose
    # version of the squat (the Bouncy Bodyweight Squat) then goes before the Squat named.
    squats = passage(suggester, knowledge, "lower-body-exercises-for-runners", "Squats are a good place")
    question = "a couple of squats, as a warm-up?"
    assert slugs(suggester.suggest(question, (), [squats, warm_up]))[0] == "squat"
    assert (
        slugs(suggester.suggest(question, (), [squats, warm_up], quoted=[2]))[0] == "bouncy-bodyweight-squat"
    )


def test_what_comes_after_so_is_no_exercise_that_troubles_the_member(suggester: Suggester) -> None:
    # The hamstrings are tight; the Runner Deadlift is what they ask about, not what troubles them.
    question = "my hamstrings are super tight so how far down am i meant to go on the runner deadlift?"
    assert slugs(suggester.suggest(question, (), []))[0] == "runner-deadlift"
    assert "squat" not in slugs(
        suggester.suggest("squats make my knees ache so what can i do instead?", (), [])
    )


def test_drills_that_copy_running_are_the_drills_not_the_article_s_lift(
    suggester: Suggester, knowledge: Path
) -> None:
    """ "any drills that copy the running motion?" finds the Runner Deadlift article's opening ("Drills
    and routines–such as the 100-Up and The Pawback–aim to mimic the precise pattern of running"): the
    drills it names come first, not the lift the article is about."""
    found = passage(suggester, knowledge, "runner-deadlift", "In my physical-therapy practice")
    opening = replace(found, heading=found.article.title)
    question = "planks and clamshells bore me to death, any drills that actually copy the running motion?"
    assert slugs(suggester.suggest(question, (), [opening]))[0] in {"100-up", "pawback"}


def test_the_card_whose_source_the_short_answer_opens_on_comes_first(
    suggester: Suggester, knowledge: Path
) -> None:
    # One passage quotes the Lunge's source ("asymmetrical stances") before the Foam Rolling's ("Foam
    # rolling... performed AFTER big lifts"); when the short answer opens on the latter, the member
    # reads about foam rolling first, and its card leads.
    articles, _ = load_articles(knowledge / "articles")
    article = next(a for a in articles if a.id == "tale-of-two-hemipelvi")
    body = article.body
    start = body.index("Ensure that most of your gym work")
    lead_start = body.index("Foam rolling, light activity")
    end = body.index("smooth-ness.", lead_start) + len("smooth-ness.")
    found = Passage(1, body[start:end], article, "", 1.0, start, end)
    assert slugs(suggester.suggest("any tips?", (), [found])) == ["lunge", "foam-rolling"]
    lead = (article.id, lead_start, end)
    assert slugs(suggester.suggest("any tips?", (), [found], lead=lead)) == ["foam-rolling", "lunge"]


def test_a_bare_instead_asks_for_something_other_than_what_was_named(suggester: Suggester) -> None:
    # "instead" points back at the squats and deadlifts of the turn before, with no "them" to say so.
    history = ("are squats and deadlifts actually good for runners?",)
    found = slugs(suggester.suggest("so what should most of my gym work look like instead?", history, []))
    assert found and found[0] not in {"squat", "deadlift"}


def test_an_exercise_the_member_is_sick_of_is_not_first(suggester: Suggester) -> None:
    # What bores them is what they want away from, as what they doubt is.
    assert slugs(suggester.suggest("what helps weak glutes? squats?", (), []))[0] == "squat"
    found = slugs(suggester.suggest("what helps weak glutes? squats bore me to tears", (), []))
    assert found and found[0] != "squat"
