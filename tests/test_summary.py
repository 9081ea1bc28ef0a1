"""The short answer: question kinds, sentence roles, leaning sentences, trimming."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bot import summary
from bot.chunking import sentence_spans
from bot.models import Article, Passage, Sentence
from bot.summary import Kind

WORD = re.compile(r"[a-z0-9]+")


def words() -> summary.Lexicon:
    """Plain lower-case words, every word weighing the same."""
    stop = {"the", "a", "is", "do", "i", "my", "how", "what", "why", "should", "and", "of", "to", "it"}
    return summary.Lexicon(
        stems=lambda text: [w for w in WORD.findall(text.lower()) if w not in stop],
        terms=lambda text: frozenset(w for w in WORD.findall(text.lower()) if w not in stop),
        weight=lambda stem: 1.0,
    )


def article(body: str) -> tuple[Article, list[tuple[str, int, int]]]:
    a = Article(id="a", title="A", body=body, path=Path("a.md"), content_hash="a" * 64)
    return a, [("a", s.start, s.end) for s in sentence_spans(body)]


def whole(a: Article, rank: int = 1) -> Passage:
    return Passage(rank, a.body, a, "", 1.0, 0, len(a.body))


def pool_of(body: str, scores: np.ndarray) -> list[summary.Candidate]:
    """The candidates of a one-passage article, its sentences scored `scores` in order."""
    a, spans = article(body)
    return summary.candidates([whole(a)], spans, scores, limit=500)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("what's a hip airplane", Kind.DEFINE),
        ("wtf is the posterior chain", Kind.DEFINE),
        ("whats the diff between the runner deadlift and a normal one", Kind.CONTRAST),
        ("how many times a week should i lift", Kind.AMOUNT),
        ("how heavy should I go?", Kind.AMOUNT),
        ("how do I start deadlifting?", Kind.HOW),
        ("why do my hips drop?", Kind.WHY),
        ("should I squat before a run?", Kind.SHOULD),
        ("which exercise helps hip drop?", Kind.WHICH),
        ("glute ham raises are getting too easy, how do i make them harder", Kind.VERSION),
        ("ok and once those get easy?", Kind.VERSION),
        ("if i could only do ONE strength exercise what should it be", Kind.WHICH),
        ("ghr's are starting to feel easy, hows the best way to level them up", Kind.VERSION),
        ("ok bridges are getting kinda easy now, whats next", Kind.VERSION),
        ("nice and when i wanna start loading it up?", Kind.VERSION),
        ("my grip gives out on long runs, anything that builds it up", Kind.WHICH),
        ("is there a more advanced version?", Kind.VERSION),
        ("ok and once thats easy whats the next step up?", Kind.VERSION),
        ("if i'm not sure what to do at the gym, whats a safe go-to move", Kind.WHICH),
        ("whats the diff between the runner version of the deadlift and a normal one", Kind.CONTRAST),
        # What it costs is what follows from it.
        ("late in ultras i get all hunched over, does that actually cost me anything", Kind.WHY),
        ("my knees cave in when i squat, does that matter?", Kind.WHY),
        ("is there an easier version of hip thrusts?", Kind.VERSION),
        ("glutes are sore after my first hip thrusts. should i start with something easier?", Kind.VERSION),
        ("I've never set foot in a gym. How do I work up to hip thrusts?", Kind.VERSION),
        # "set foot in a gym" asks for no sets.
        ("never set foot in a gym. how do i learn to squat properly?", Kind.HOW),
        # Easy runs feeling harder is no question about a version of an exercise.
        ("my deadlift is going up but my easy runs feel harder, should i worry?", Kind.SHOULD),
    ],
)
def test_question_kinds(question: str, kind: Kind) -> None:
    assert summary.question_kind(question) is kind


def test_a_leaning_sentence_brings_the_one_it_leans_on() -> None:
    a, spans = article(
        "Sort of. In a traditional running population, you see weak hips all the time. "
        "This often leads to hip drop and a host of other issues. Hip drop is common in runners."
    )
    scores = np.array([0.0, 1.0, 5.0, 1.0])
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    [picked, *_] = summary.select("why do my hips drop?", pool, words())
    # The best sentence leans on "weak hips": the answer opens on the pair, never on "This".
    assert picked.text == (
        "In a traditional running population, you see weak hips all the time. "
        "This often leads to hip drop and a host of other issues."
    )
    assert a.body[picked.start : picked.end] == picked.text
    assert not summary.leans_back(picked.text)


def test_a_sentence_opening_its_section_on_this_is_shown_under_its_heading() -> None:
    a, spans = article(
        "Drills such as the Pawback–aim to mimic running.\n\n## The Pawback\n\n"
        "This concept means pulling the leg back from a flexed-forward position. It is the glue.\n\n"
        "## Next\n\nBut that is not all of it, says the coach."
    )
    scores = np.array([4.0, -np.inf, 5.0, 1.0, -np.inf, 4.0])
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    labelled = [c for c in pool if c.label]
    # "This concept" speaks of the heading's subject: shown as "The Pawback: This concept...", it
    # stands alone; "But" goes on from the section before, so no heading makes it stand.
    assert {(c.label, c.text[:12]) for c in labelled} == {("The Pawback", "This concept")}
    [picked, *_] = summary.select("what is the pawback?", pool, words())
    assert (picked.label, picked.text) == ("The Pawback", a.body[picked.start : picked.end])
    [sentence] = summary.as_sentences([picked])
    assert sentence.label == "The Pawback" and sentence.text.startswith("This concept means")


def test_fragments_asides_and_leaning_sentences_never_stand_alone() -> None:
    a, spans = article(
        "Sort of. How does this even make sense? It gets worse with fatigue. Once tired, they drop more.\n\n"
        "Weak glutes let the pelvis drop on the swing side during stance."
    )
    scores = np.array([9.0, 9.0, 9.0, 9.0, 1.0])
    # Only the last sentence stands on its own, however high the others score.
    pool = [c for c in summary.candidates([whole(a)], spans, scores, limit=40) if not c.pair]
    picked = summary.select("why does my pelvis drop?", pool, words())
    assert [c.text for c in picked] == ["Weak glutes let the pelvis drop on the swing side during stance."]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("how many sets of hip thrusts should I do?", "Do three sets of eight hip thrusts each week."),
        (
            "what's the difference between a hip thrust and a squat?",
            "Unlike a squat, the hip thrust pushes the weight horizontally rather than vertically.",
        ),
        (
            "how do I do a hip thrust?",
            "For a hip thrust, keep your chin tucked and drive through your heels.",
        ),
    ],
)
def test_the_sentence_that_answers_the_kind_of_question_leads(question: str, answer: str) -> None:
    a, spans = article(
        "Hip thrusts and squats build the glutes of runners. "
        "Do three sets of eight hip thrusts each week. "
        "Unlike a squat, the hip thrust pushes the weight horizontally rather than vertically. "
        "For a hip thrust, keep your chin tucked and drive through your heels."
    )
    scores = np.full(len(spans), 3.0)  # equally relevant: the question's kind decides
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    assert summary.select(question, pool, words())[0].text == answer


def test_an_instruction_with_an_adverb_before_its_verb_answers_how() -> None:
    a, spans = article(
        "Hip thrusts build the glutes. "
        "Sprinters finish races faster with a strong hip thrust. "
        "When you reach the top of a hip thrust, firmly pinch the glutes to finish."
    )
    scores = np.full(len(spans), 3.0)  # equally relevant: the instruction answers "how"
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    assert summary.select("how do i finish a hip thrust?", pool, words())[0].text.startswith("When you reach")


def test_the_sentence_after_the_one_closest_to_the_question_answers_it() -> None:
    """The sentence closest to a question often restates it; the one right after it answers."""
    a, spans = article(
        "Strength coaches see this every season. "
        "Plenty of runners squat double their bodyweight, yet their glutes stay weak. "
        "Strength is not the problem but activation, so wake the glutes before you load them. "
        "Hamstrings grow stronger over many weeks of slow curls."
    )
    scores = np.array([1.0, 3.6, 3.4, 2.0])
    pool = [c for c in summary.candidates([whole(a)], spans, scores, limit=500) if not c.pair]
    picked = summary.select("how can that be?", pool, words())
    assert picked[0].text.startswith("Strength is not the problem")
    # Without the sentence's place after the closest one, the restatement leads.
    plain = summary.select("how can that be?", pool, words(), weights=summary.Weights(follows=0.0))
    assert plain[0].text.startswith("Plenty of runners")


# An article that asks itself the member's question right after the sentence closest to it.
ASKS_ITSELF = (
    "Plenty of runners squat double their bodyweight, yet their glutes stay weak. "
    "How does this even make sense?\n\n"
    "First possibility: it is about activation, not load.\n\n"
    "Second possibility: the trouble starts further down the chain at the feet. "
    "Hamstrings grow stronger over many weeks of slow curls."
)
# Relevances of its sentences: the restatement closest, the answer after the question far.
ASKS_ITSELF_SCORES = np.array([3.6, 0.0, 1.0, 2.5, 2.0])


def test_what_follows_a_question_the_article_asks_itself_answers_it() -> None:
    """ "...yet their glutes stay weak. How does this even make sense?" The article asks the member's
    question right after the sentence closest to it; the answer comes after its question, however far
    it scored from the member's question on its own."""
    a, spans = article(ASKS_ITSELF)
    scores = ASKS_ITSELF_SCORES
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    picked = summary.select("i squat heavy but my glutes are weak, how?", pool, words())
    assert picked[0].text.startswith("First possibility")
    # Under another heading, what follows the article's question answers something else.
    c, headed_spans = article(a.body.replace("First possibility", "## Feet\n\nFirst possibility"))
    headed = summary.candidates([whole(c)], headed_spans, np.array([3.6, 0.0, 0.0, 1.0, 2.5, 2.0]), limit=500)
    assert summary.select("i squat heavy but my glutes are weak, how?", headed, words())[0].text.startswith(
        "Plenty of runners"
    )
    # With no question of the article's own in between, the closest sentence leads.
    plain_body = a.body.replace("How does this even make sense?", "Coaches see this often.")
    b, plain_spans = article(plain_body)
    plain = summary.candidates([whole(b)], plain_spans, scores, limit=500)
    assert summary.select("i squat heavy but my glutes are weak, how?", plain, words())[0].text.startswith(
        "Plenty of runners"
    )


def test_each_part_of_a_question_is_answered_after_the_articles_own_question() -> None:
    """In a question of two parts ("...my glutes stay weak?? how does that even work"), each part's
    own candidates are read the same way: the answer after the article's question, not the
    sentence that restates the member's."""
    a, spans = article(ASKS_ITSELF)
    question = "i squat heavy but my glutes stay weak?? how does that even work"
    assert len(summary.question_parts(question)) == 2
    pool = summary.candidates([whole(a)], spans, ASKS_ITSELF_SCORES, limit=500)
    picked = summary.select(question, pool, words(), part_pools=[pool, pool])
    assert any(c.text.startswith("First possibility") for c in picked)


def test_an_exclamation_sets_up_the_point_and_does_not_lead() -> None:
    """ "What a double-edged sword a steep hill climb becomes...!" exclaims; the statement beside it
    makes the point, so it leads though it scores a little lower."""
    body = (
        "What a double-edged sword a steep hill climb becomes if you also lose trunk neutral and cannot "
        "fully breathe! Being too upright, or too rounded restricts ribcage mobility and prevents the "
        "diaphragm from fully expanding the lungs."
    )
    pool = pool_of(body, np.array([7.0, 4.5]))
    [lead, *_] = summary.select("does hunching on climbs mess with my breathing", pool, words())
    assert lead.text.startswith("Being too upright")


def test_the_authors_aside_under_a_heading_still_defines_it() -> None:
    """ "The Pawback: This concept was introduced in my last column..." speaks of its heading's subject:
    the author's "my" there tells no story, so it defines the Pawback before a passing mention does."""
    a, spans = article(
        "Drills such as the 100-Up and the Pawback–aim to mimic running.\n\n## The Pawback\n\n"
        "This concept was introduced in my last column–pulling the leg from a flexed-forward position."
    )
    scores = np.array([4.0, -np.inf, 4.5])
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    [picked, *_] = summary.select("what even is the pawback?", pool, words())
    assert picked.label == "The Pawback" and picked.text.startswith("This concept was introduced")


def test_how_low_is_answered_by_where_the_movement_stops_not_by_a_weight() -> None:
    """ "How low should I take the bar?" asks how far the lift goes: "Lower as far as you can..."
    answers it, not "A standard weight bar is 45 pounds" (a number, what "how heavy" asks)."""
    a, spans = article(
        "A standard weight bar is 45 pounds. "
        "Lower as far as you can with a neutral trunk. "
        "Grip the bar with both hands."
    )
    scores = np.array([4.2, 4.0, 3.0])
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    assert summary.question_kind("How low should I take the bar?") is summary.Kind.EXTENT
    low = summary.select("How low should I take the bar?", pool, words())
    assert low[0].text.startswith("Lower as far as you can")


@pytest.mark.parametrize(
    ("body", "questions", "kind", "lead", "closer"),
    [
        # "do i pause at the bottom or just come straight back up?" asks whether to stay put: "Hold this
        # position for two breaths" answers it, not "When you can no longer keep the back arched, stop".
        (
            "When you can no longer keep the back lightly arched, stop. "
            "Hold this position for two to three breaths. "
            "Grip the bar with both hands.",
            [
                "do i pause at the bottom or just come straight back up?",
                "ok and once im at the bottom do i just come straight back up or what",
                "do u just hold the bottom position or go straight back up",
            ],
            Kind.HOLD,
            "Hold this position",
            4.5,
        ),
        # "my quads are huge but my glutes are weak, does that matter?" asks what it leads to, as "why"
        # does: "Relying on one muscle leads to injury" answers it, not a sentence merely on quads.
        (
            "Quads are the muscles cyclists build most. "
            "Relying too heavily on one muscle leads to injury. "
            "Grip the bar with both hands.",
            [
                "my quads are huge but my glutes are weak, does that matter?",
                "my quads are huge from cycling, is that a problem for running",
            ],
            Kind.WHY,
            "Relying",
            4.2,
        ),
    ],
)
def test_a_kind_is_answered_by_its_role_over_a_closer_sentence(
    body: str, questions: list[str], kind: Kind, lead: str, closer: float
) -> None:
    """The first sentence sits a little closer to the question (`closer` against 4.0); the second
    plays the role the question's kind asks for, and leads."""
    pool = pool_of(body, np.array([closer, 4.0, 3.0]))
    for question in questions:
        assert summary.question_kind(question) is kind, question
        assert summary.select(question, pool, words())[0].text.startswith(lead), question


@pytest.mark.parametrize(
    ("question", "lead"),
    [
        ("cool and once those feel too easy whats next", "Experienced"),
        ("bridges are getting easy, how do i make it harder", "Experienced"),
        ("hip thrusts are too hard for me, anything easier?", "Runners new"),
    ],
)
def test_a_version_one_way_is_answered_by_a_step_that_way(question: str, lead: str) -> None:
    """Where to start answers an easier version, not "what's next" once that got easy: the step on
    leads even from further off (the sentence after the closest also counts a little more)."""
    closer = 6.5 if lead == "Experienced" else 4.0
    pool = pool_of(
        "Runners new to the gym can start out performing glute bridges. "
        "Experienced lifters can move on to hip thrusts with a barbell. "
        "Grip the bar with both hands.",
        np.array([closer, 4.0, 3.0]),
    )
    assert summary.question_kind(question) is Kind.VERSION
    assert summary.select(question, pool, words())[0].text.startswith(lead)


def test_the_lead_comes_with_the_sentence_that_leans_on_it() -> None:
    """ "If this happens, ..." finishes the lead it leans on; the member reads the two together, unless
    the two would not fit."""
    pool = pool_of(
        "Inadequate hinge results in the bar touching the knees or thighs. "
        "If this happens, the butt and knees need to move back further. "
        "Grip the bar with both hands.",
        np.array([5.0, 2.0, 1.0]),
    )
    question = "the bar keeps bumping my knees on the way down, what am i doing wrong"
    lead = summary.select(question, pool, words())[0]
    assert lead.text.startswith("Inadequate hinge") and lead.text.endswith("move back further.")
    short = summary.select(question, pool, words(), max_chars=80)[0]
    assert short.text == "Inadequate hinge results in the bar touching the knees or thighs."


def test_two_sentences_in_a_row_after_the_lead_keep_the_articles_order() -> None:
    """Behind the lead, "At all times the head should remain level. | A simple cue is the sunglasses
    frames..." reads as written, not backwards, whichever of the two scored higher."""
    pool = pool_of(
        "Runners lose their posture on steep climbs late in long races. "
        "At all times, the head and neck should remain level on a climb. "
        "A simple cue is to keep the frames of your sunglasses parallel to the waist.",
        np.array([6.0, 3.0, 5.0]),
    )
    picked = summary.select("where should my head be on climbs?", pool, words())
    assert [c.text[:12] for c in picked] == ["Runners lose", "At all times", "A simple cue"]


def test_a_sentence_sending_the_reader_elsewhere_does_not_lead() -> None:
    """ "For more information on selecting exercises please refer to chapter 9 of the book" shares the
    question's words but answers nothing: the sentence that does leads."""
    pool = pool_of(
        "For more information on selecting the right strength exercises please refer to chapter 9 of the book. "
        "When in doubt, a runner can never go wrong with a well-executed lunge.",
        np.array([6.0, 3.5]),
    )
    picked = summary.select("if i only had time for ONE strength exercise which should it be", pool, words())
    assert picked[0].text.startswith("When in doubt")


def test_which_exercise_is_answered_by_a_sentence_naming_one() -> None:
    """ "Which exercises build the strength to hold a bent-knee posture?" is answered by "Exercises
    such as bridging and squats help build...", not by a closer sentence on holding a posture."""
    pool = pool_of(
        "Posture matters for runners. "
        "Exercises such as bridging and squats help build the strength required to adopt these postures. "
        "Strength training lets you practice holding a posture with the knees bent.",
        np.array([1.0, 3.4, 4.4]),
    )
    question = "Which exercises build the strength to hold a bent-knee posture?"
    assert summary.select(question, pool, words())[0].text.startswith("Exercises such as")


def test_a_surer_role_outweighs_a_closer_sentence() -> None:
    """A substitute answers "how do I make them harder?" even when a sentence naming the exercise
    sits closer to the question; for a plain "should I?" closeness decides."""
    a, spans = article(
        "Glute ham raises are a versatile exercise for runners. "
        "Eccentric raises can be substituted for basic raises to build strength faster. "
        "You should always warm up before lifting."
    )
    scores = np.array([5.0, 3.0, 4.0])
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    harder = summary.select("glute ham raises getting easy, how do i make them harder?", pool, words())
    assert harder[0].text.startswith("Eccentric raises")
    flat = summary.Weights(roles={})
    plain = summary.select(
        "glute ham raises getting easy, how do i make them harder?", pool, words(), weights=flat
    )
    assert plain[0].text.startswith("Glute ham raises")
    assert summary.select("should i do glute ham raises?", pool, words())[0].text.startswith("Glute ham")


def test_a_negation_is_no_contrast() -> None:
    """ "What's the difference?" is answered by the sentence setting the two apart ("different from the
    vertical movement"), not by one that merely says "not a" of one of them."""
    pool = pool_of(
        "Sprinters ask this often. "
        "Because speed is not a bilateral issue, hip thrusts are a good place for single-leg work. "
        "Hip thrusts send your weight in a horizontal motion, different from the vertical movement of squats.",
        np.array([1.0, 5.0, 3.5]),
    )
    picked = summary.select("whats the difference between hip thrusts and squats?", pool, words())
    assert picked[0].text.startswith("Hip thrusts send your weight")


def test_low_reps_and_heavy_weights_are_an_amount() -> None:
    a, spans = article(
        "Heavy curling raises work the hamstrings hard at the knee.\n\n"
        "Hamstrings are best trained using low reps and heavy weights."
    )
    pool = summary.candidates([whole(a)], spans, np.full(len(spans), 3.0), limit=500)
    picked = summary.select("how heavy for hamstrings?", pool, words())
    assert picked[0].text == "Hamstrings are best trained using low reps and heavy weights."


def test_a_question_in_several_parts_gets_a_sentence_per_part() -> None:
    a, spans = article(
        "Lower the bar until your back can no longer stay flat. "
        "Runners do two sets of five reps. "
        "A sore lower back means the hinge came from the spine, not the hips."
    )
    scores = np.array([3.0, 2.0, 1.0])
    pool = summary.candidates([whole(a)], spans, scores, limit=500)
    question = "runner deadlift: how low do I go, how many sets, and why is my lower back sore?"
    assert len(summary.question_parts(question)) == 3
    picked = summary.select(question, pool, words())
    assert [c.text for c in picked] == [a.body[s:e] for _, s, e in spans]


def test_trimming_keeps_whole_sentences_around_the_cited_one() -> None:
    a, spans = article(
        "One. The first point is here. It matters a lot. Another idea starts now. The cited fact is this one. "
        "It has a reason. Then more text follows. And the end."
    )
    at = next(k for k, (_, s, e) in enumerate(spans) if a.body[s:e].startswith("The cited"))
    _, s, e = spans[at]
    cited = Sentence(a.body[s:e], 1, "a", s, e)
    plain = [(s, e) for _, s, e in spans]
    [excerpt] = summary.trimmed(whole(a), [cited], plain, before=0, after=1)
    # The cited sentence and the one after it, cut at sentence ends, not opening mid-thought.
    assert excerpt.text == "The cited fact is this one. It has a reason."
    assert (excerpt.start, excerpt.end) in {(s, e2) for s, _ in plain for _, e2 in plain}
    [leaning] = summary.trimmed(whole(a), [Sentence("It has a reason.", 1, "a", *plain[at + 1])], plain)
    assert leaning.text.startswith("The cited fact is this one.")


def test_an_excerpt_does_not_end_on_a_lead_in_to_what_it_leaves_out() -> None:
    a, spans = article(
        "Begin with the lightest bar you can find. A standard bar is 45 pounds.\n\nTo perform:\n\n- Lift."
    )
    plain = [(s, e) for _, s, e in spans]
    _, s, e = spans[1]
    [excerpt] = summary.trimmed(whole(a), [Sentence(a.body[s:e], 1, "a", s, e)], plain, after=1)
    assert excerpt.text == "A standard bar is 45 pounds."


def test_a_label_is_the_subject_and_a_list_of_three_makes_parts() -> None:
    question = "runner deadlift: how low, how many sets, sore lower back?"
    assert summary.question_parts(question) == ["how low", "how many sets", "sore lower back"]
    assert summary.question_subject(question) == "runner deadlift"
    # A list of exercises inside one question is not a list of parts.
    assert summary.question_parts("how do i do a squat, deadlift and lunge?") == [
        "how do i do a squat, deadlift and lunge?"
    ]
    # A statement beside the question is what it is about, not a part to answer on its own.
    for question in [
        "what actually is the runner deadlift? saw it mentioned in the strength thread",
        "sprinter here (200/400), which exercise should i do for explosive power",
        "doing the runner deadlift, how far down am i meant to go? my hamstrings are super tight",
        # A statement of the same kind as the question says what it asks about.
        "glute ham raises are getting kinda easy, how do i make them harder",
    ]:
        assert summary.question_parts(question) == [question]
    assert summary.question_subject("sprinter here, which lift and how many sets?") == "sprinter here"
    assert summary.question_parts("sprinter here, which lift and how many sets?") == [
        "which lift",
        "how many sets",
    ]
    # "and also what..." starts a part of its own.
    assert summary.question_parts("what is the pawback and also how do i do it?") == [
        "what is the pawback",
        "how do i do it",
    ]


def test_a_sentence_on_another_form_of_the_exercise_gives_way_unless_the_two_are_contrasted() -> None:
    pool = pool_of(
        "The formal deadlift involves lifting a bar from the ground to the waist. "
        "The runner deadlift begins at the waist and lowers slowly.",
        np.array([5.3, 5.0]),
    )
    pool = [replace(c, other_form=c.text.startswith("The formal")) for c in pool]
    picked = summary.select("how do I do the runner deadlift?", pool, words())
    assert picked[0].text.startswith("The runner deadlift")
    # Asked for the difference, the other form is what the answer needs: no penalty.
    formal = next(c for c in pool if c.other_form)
    plain = replace(formal, other_form=False)
    w, lexicon = summary.Weights(), words()
    contrast = summary.Focus.of(
        "what's the difference between the runner deadlift and a normal one?", lexicon
    )
    assert summary.answering(formal, contrast, lexicon, w) == summary.answering(plain, contrast, lexicon, w)
    how = summary.Focus.of("how do I do the runner deadlift?", lexicon)
    assert (
        summary.answering(formal, how, lexicon, w) == summary.answering(plain, how, lexicon, w) - w.other_form
    )


def test_a_condition_about_what_came_before_leans_on_it() -> None:
    # "If this happens" needs the sentence that says what happens; "When it comes to..." needs nothing.
    assert summary.leans_back("If this happens, the butt and knees need to move rearward.")
    assert summary.leans_back("If these were the only benefits there would be ample reason to lift.")
    assert not summary.leans_back("When it comes to strength training the benefits are many.")
    # An invitation to try what the sentence before said leans on it.
    assert summary.leans_back("You can try this simply - while running, swing your arms faster.")
    assert not summary.leans_back("You can try a lunge with a dumbbell in each hand.")
    assert not summary.leans_back("If you lack hip rotation, you may rotate the pelvis instead.")


def test_a_sentence_recommending_an_exercise_answers_which_exercise_to_do() -> None:
    """ "anything in the gym for grip?" asks which exercise: "...the Runner Deadlift strengthens the
    muscles of the entire arm" answers it (the coach marks it as recommending an exercise), though the
    musing before it is a little closer to the question."""
    pool = pool_of(
        "Ultrarunners carry things for hours. "
        "Who would think that grip matters for ultrarunning with a bottle in hand. "
        "By virtue of grasping the heavy bar, the Runner Deadlift strengthens the muscles of the arm.",
        np.array([3.0, 5.6, 4.9]),
    )
    which = "which exercise helps my grip when i carry a bottle?"
    assert summary.select(which, pool, words())[0].text.startswith("Who would think")
    marked = [replace(c, recommends=c.text.startswith("By virtue")) for c in pool]
    assert summary.select(which, marked, words())[0].text.startswith("By virtue")
    # Asked why, a recommendation is no cause.
    why = "why does grip matter when i carry a bottle?"
    assert summary.select(why, marked, words())[0].text.startswith("Who would think")


def test_what_a_member_says_beside_a_question_is_not_asked() -> None:
    asking, said = summary.asking_and_said("wil lifting make my legs bulky? dont want to carry extra muscle")
    assert asking == ["wil lifting make my legs bulky"] and said == ["dont want to carry extra muscle"]
    # A question without a piece that asks is all asking.
    assert summary.asking_and_said("hip drop fix") == (["hip drop fix"], [])
    # A statement in a sentence of its own is said, however it reads ("outkicked" is race tactics).
    asking, said = summary.asking_and_said(
        "i get outkicked at every parkrun. which lift is best for the sprint?"
    )
    assert asking == ["which lift is best for the sprint"] and said == ["i get outkicked at every parkrun."]
    assert summary.asking_and_said("is a 5.5 km run enough?") == (["is a 5.5 km run enough"], [])
    # However it tells of amounts: "a week" is no question in a sentence that ends on a full stop.
    miles = "I'm running about 50 miles a week. How many gym sessions should I fit in on top?"
    assert summary.asking_and_said(miles)[1] == ["I'm running about 50 miles a week."]
