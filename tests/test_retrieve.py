"""Retrieval on a tiny in-memory corpus with the deterministic hashing embedder (no model needed)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from bot import index as ix
from bot.config import Settings
from bot.coverage import covered
from bot.embedding import HashEmbedder
from bot.knowledge import Catalog
from bot.lexical import Lexical, Synonyms, Vocabulary
from bot.models import Article, Exercise, SourceQuote
from bot.retrieve import Retriever, fuse, standardise, stats_of

HIPS = (
    "Weak glutes often lead to hip drop when you run. The pelvis sags on the side of the swinging leg. "
    "Single leg work such as the hip airplane trains the glutes to hold the pelvis level. "
    "Keep the standing knee over the foot and move slowly. "
    "Power raises load the calves and feet so the hip above them can work. "
) * 3
DEADLIFT = (
    "# Performing the deadlift\n\n"
    "Begin by lifting and holding the bar at the waist with straight arms. "
    "Hinge at the hips and let the bar lower straight down in front of the knees. "
    "Hold the end position for two to three breaths before you return. "
    "To return, push with the quads and squeeze the glutes to finish the lift.\n\n"
    "## Grip\n\n"
    "Holding the heavy bar strengthens the forearm and the hand gripping muscles. "
    "Ultrarunners who carry a bottle all day need that grip strength."
)


def article(aid: str, title: str, body: str) -> Article:
    return Article(id=aid, title=title, body=body, path=Path(f"{aid}.md"), content_hash=aid)


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Retriever, Settings]:
    settings = Settings(_env_file=None, knowledge_dir=tmp_path / "knowledge", index_dir=tmp_path / "index")
    articles = [
        article("hips", "Weak hips", HIPS),
        article("deadlift", "The deadlift", DEADLIFT),
        # The same paragraph twice in another article: a near-duplicate of the first one.
        article("copy", "Notes", "A note on hips.\n\n" + HIPS[: len(HIPS) // 3]),
    ]
    embedder = HashEmbedder(model_id="hash")
    index, _ = ix.build(articles, embedder, settings)
    return Retriever(index, embedder, settings), settings


def test_standardise_is_a_z_score_over_the_mask_and_zero_when_constant() -> None:
    values = np.array([1.0, 2.0, 3.0, 100.0])
    mask = np.array([True, True, True, False])
    z = standardise(values, mask)
    assert z[:3] == pytest.approx([-1.2247, 0.0, 1.2247], abs=1e-3)
    assert not standardise(np.full(4, 0.7)).any()


def test_fuse_adds_weighted_z_scores_and_raw_boosts() -> None:
    dense = np.array([0.1, 0.5, 0.9])
    lexical = np.array([3.0, 0.0, 0.0])
    boost = np.array([0.0, 1.0, 0.0])
    fused = fuse([dense, lexical, boost], [1.0, 0.5, 2.0], raw=[False, False, True])
    expected = standardise(dense) + 0.5 * standardise(lexical) + 2.0 * boost
    assert fused == pytest.approx(expected)
    # A zero weight ignores a signal.
    assert fuse([dense, lexical], [1.0, 0.0]) == pytest.approx(standardise(dense))
    # Against the statistics of other values (a sentence scored after the candidates were).
    against = stats_of(dense)
    assert fuse([dense[:2]], [1.0], stats=[against]) == pytest.approx(standardise(dense)[:2])
    # Magnitudes count, not just ranks: a clear lexical winner beats a near-tie in cosine.
    near_tie = np.array([0.50, 0.51, 0.10, 0.12])
    clear = np.array([1.0, 0.0, 0.0, 0.0])
    assert int(np.argmax(fuse([near_tie, clear], [1.0, 0.5]))) == 0
    with pytest.raises(ValueError):
        fuse([dense], [1.0, 2.0])


def test_lexical_scores_are_shares_of_the_question() -> None:
    vocab = Vocabulary()
    lex = Lexical([vocab.stems("hip drop and weak glutes"), vocab.stems("grip strength for ultras")])
    full = lex.scores(vocab.stems("weak glutes hip drop"))
    half = lex.scores(vocab.stems("weak glutes cadence tempo"))
    assert full[0] > half[0] > 0
    assert full[1] == 0
    assert 0 < full[0] <= 1
    assert not lex.scores([]).any()


def test_negated_words_are_not_topics() -> None:
    vocab = Vocabulary()
    assert "pain" not in vocab.topic("no pain, just stiff hamstrings")
    assert "hamstr" in vocab.topic("no pain, just stiff hamstrings")
    assert "run" not in vocab.topic("running with weak glutes")


def test_chat_filler_is_no_topic() -> None:
    """ "should i do them single leg? takes twice as long lol" is a short follow-up on single legs:
    "lol" and "ngl" say nothing of its subject."""
    vocab = Vocabulary()
    topic = vocab.topic("should i do them single leg? takes twice as long lol, ngl")
    assert "lol" not in topic and "ngl" not in topic and "leg" in topic


def test_lunges_are_not_lungs() -> None:
    vocab = Vocabulary()
    assert vocab.stems("lunges and lunging") == ["lunge", "lunge"]
    assert vocab.stems("lung ventilation") == ["lung", "ventil"]


def test_synonyms_expand_runner_words(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.yaml"
    path.write_text("hammies: [hamstrings]\nbutt: [glutes, buttocks]\nfinishing kick: [sprint]\n")
    syn = Synonyms.load(Vocabulary(), path)
    assert syn.expand("My hammy and butt are weak") == ["hamstrings", "glutes", "buttocks"]
    assert syn.expand("need a better finishing kick") == ["sprint"]
    assert syn.expand("kick") == []
    broken = tmp_path / "broken.yaml"
    broken.write_text("- just a list\n")
    assert Synonyms.load(Vocabulary(), broken).expand("hammies") == []
    # Entries that are not text are dropped, not read as the words "42" and "None".
    junk = tmp_path / "junk.yaml"
    junk.write_text("hammies: [hamstrings, 42, null, {a: b}]\n7: [x]\nbutt: glutes\n")
    assert Synonyms.load(Vocabulary(), junk).expand("my hammies and butt") == ["hamstrings", "glutes"]


def test_passages_are_verbatim_short_and_ranked(corpus: tuple[Retriever, Settings]) -> None:
    retriever, settings = corpus
    found = retriever.search("how do I hold the bar at the waist and hinge for the deadlift")
    passages = retriever.passages(found, 3)
    assert 1 <= len(passages) <= 3
    assert [p.rank for p in passages] == list(range(1, len(passages) + 1))
    for p in passages:
        assert p.text == p.article.body[p.start : p.end]
        assert len(p.text) <= settings.chunk_chars
        assert not p.text.startswith("#")
    assert passages[0].article.id == "deadlift"
    assert "bar at the waist" in passages[0].text


def test_k_is_respected(corpus: tuple[Retriever, Settings]) -> None:
    retriever, _ = corpus
    found = retriever.search("glutes hip drop pelvis")
    assert len(retriever.passages(found, 1)) == 1
    assert len(retriever.passages(found, 2)) == 2
    assert len(retriever.passages(found)) <= retriever.settings.top_k


def test_overlapping_and_duplicate_passages_collapse(corpus: tuple[Retriever, Settings]) -> None:
    retriever, _ = corpus
    found = retriever.search("weak glutes hip drop single leg hip airplane pelvis level")
    passages = retriever.passages(found, 5)
    spans = sorted((p.article.id, p.start, p.end) for p in passages)
    for (a, _, e1), (b, s2, _) in itertools.pairwise(spans):
        assert a != b or s2 >= e1, "passages of one article never overlap"
    texts = [p.text for p in passages]
    assert len(set(texts)) == len(texts)
    # The copied paragraph is not shown again next to the original.
    assert not any(p.article.id == "copy" and p.text in " ".join(texts[:1]) for p in passages[1:])


def test_long_sections_are_cut_into_windows(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, knowledge_dir=tmp_path, index_dir=tmp_path / "index", chunk_chars=300)
    embedder = HashEmbedder(model_id="hash")
    index, _ = ix.build([article("hips", "Weak hips", HIPS)], embedder, settings)
    retriever = Retriever(index, embedder, settings)
    for p in retriever.passages(retriever.search("hip airplane pelvis level"), 3):
        assert len(p.text) <= 300
        assert p.text == p.article.body[p.start : p.end]


def test_covered_refuses_an_unrelated_question(corpus: tuple[Retriever, Settings]) -> None:
    retriever, _ = corpus
    unrelated = retriever.search("What time zone is Tokyo in?")
    assert not covered(unrelated, retriever.settings)
    related = retriever.search("Do weak glutes lead to hip drop when you run?")
    assert covered(related, retriever.settings)
    assert "glute" in related.shared_terms


def test_a_question_naming_an_articles_own_term_is_covered(corpus: tuple[Retriever, Settings]) -> None:
    retriever, _ = corpus
    # "Ultrarunners" is rare in English and in the articles: a question naming it is answered.
    term = retriever.search("what about ultrarunners?")
    assert term.specific_terms == ("ultrarunn",) and covered(term, retriever.settings)
    # "bottle" is as rare in the articles, but an everyday English word: not one of their terms.
    assert retriever.search("what about bottles?").specific_terms == ()


def test_strength_words_count_in_any_form(corpus: tuple[Retriever, Settings]) -> None:
    retriever, _ = corpus
    assert retriever.strength_question("never squatted in my life, where do i start")
    assert not retriever.strength_question("never raced in my life, where do i start")
    # The posterior chain is the muscles strength work trains: "posterior chain stuff" is strength work.
    assert retriever.strength_question("how often do i need to do posterior chain stuff")


def test_search_is_batch_search_of_one(corpus: tuple[Retriever, Settings]) -> None:
    retriever, _ = corpus
    one = retriever.search("grip strength for ultrarunners")
    batch = retriever.batch_search(["hip drop", "grip strength for ultrarunners"])[1]
    assert one.windows == batch.windows
    assert one.windows == batch.windows
    assert retriever.batch_search([]) == []


def hips_with_card(tmp_path: Path, slug: str, name: str, concern: str, quote: str) -> Retriever:
    """A retriever over the HIPS article with one exercise card that quotes it."""
    settings = Settings(_env_file=None, knowledge_dir=tmp_path, index_dir=tmp_path / "index")
    embedder = HashEmbedder(model_id="hash")
    index, _ = ix.build([article("hips", "Weak hips", HIPS)], embedder, settings)
    card = Exercise(
        slug=slug,
        name=name,
        aliases=(),
        concerns=(concern,),
        steps=("Move.",),
        cue="Slowly.",
        sources=(SourceQuote("hips", quote),),
    )
    return Retriever(index, embedder, settings, Catalog({slug: card}))


def test_catalog_concern_points_at_the_quoted_sentence(tmp_path: Path) -> None:
    quote = "Power raises load the calves and feet so the hip above them can work."
    retriever = hips_with_card(tmp_path, "power-raise", "Power Raise", "weak feet", quote)
    found = retriever.search("my feet are weak, anything for that?")
    assert quote in retriever.passages(found, 1)[0].text
    assert retriever.strength_question("how do I do a power raise")
    assert not retriever.strength_question("what heart rate zone for easy runs")


def test_empty_index_finds_nothing(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, knowledge_dir=tmp_path, index_dir=tmp_path / "index")
    embedder = HashEmbedder(model_id="hash")
    index, _ = ix.build([], embedder, settings)
    retriever = Retriever(index, embedder, settings)
    found = retriever.search("hip drop")
    assert not found.windows and not covered(found, retriever.settings) and retriever.passages(found) == []


def test_how_to_questions_boost_instruction_steps(tmp_path: Path) -> None:
    from bot.lexical import is_step

    body = (
        "## The lunge\n\n"
        "The lunge is a single leg exercise that runners do for strength.\n\n"
        "## Doing it\n\n"
        "- Begin the lunge with one foot forward.\n"
        "- Lower the back knee towards the floor.\n"
        "- The lunge is also a good warm-up."
    )
    embedder = HashEmbedder(model_id="hash")

    def scores(question: str, weight: float) -> np.ndarray:
        settings = Settings(
            _env_file=None, knowledge_dir=tmp_path / "k", index_dir=tmp_path / "i", weight_steps=weight
        )
        index, _ = ix.build([article("lunge", "Lunges", body)], embedder, settings)
        return Retriever(index, embedder, settings).search(question).sentence_scores

    assert is_step("- Lower the back knee towards the floor.") and not is_step("- The lunge is great.")
    plain, boosted = scores("how do I do the lunge?", 0.0), scores("how do I do the lunge?", 1.5)
    lift = np.nan_to_num(boosted - plain)
    # Only the two steps that start with a verb gain, by the weight; the definition and the note do not.
    assert sorted(np.round(lift, 6)) == [0, 0, 0, 0, 1.5, 1.5]
    # A question that is not a how-to is left alone.
    assert not np.nan_to_num(
        scores("why do runners lunge?", 1.5) - scores("why do runners lunge?", 0.0)
    ).any()


def test_a_not_covered_topic_is_refused_unless_it_names_a_concern(tmp_path: Path) -> None:
    from bot.lexical import Topics

    quote = "Single leg work such as the hip airplane trains the glutes"
    retriever = hips_with_card(tmp_path, "hip-airplane", "Hip Airplane", "hip drop", quote)
    retriever.not_covered = Topics(retriever.vocabulary, ["running shoes", "taper"])
    assert retriever.not_covered.found("Which running shoe helps weak glutes?") == ["running shoes"]
    off = retriever.search("which running shoes help weak glutes when you run?")
    assert off.off_topic == ("running shoes",) and not covered(off, retriever.settings)
    # A gym word or an exercise name does not make it a question the articles answer...
    lift = retriever.search("which running shoes should I wear to lift, or for the hip airplane?")
    assert lift.strength_question and not covered(lift, retriever.settings)
    # ...but naming a problem an exercise card addresses does: the passages answer that part.
    concern = retriever.search("which running shoes help with hip drop when you run?")
    assert concern.concern_question and covered(concern, retriever.settings)


def test_dense_scores_come_from_a_faiss_search(corpus: tuple[Retriever, Settings]) -> None:
    retriever, settings = corpus
    calls: list[tuple[str, int]] = []

    class Spy:
        def __init__(self, name, real):
            self.name, self.real, self.ntotal = name, real, real.ntotal

        def search(self, vectors, k):
            calls.append((self.name, k))
            return self.real.search(vectors, k)

    index = retriever.index
    real = index.faiss, index.sentence_faiss
    index.faiss, index.sentence_faiss = Spy("chunks", real[0]), Spy("sentences", real[1])
    try:
        question = "why do my hips drop?"
        found = retriever.search(question)
        # A small library: every chunk scored exactly, and every sentence is a candidate.
        assert calls == [("chunks", len(index.chunks))]
        assert len(found.candidates) == len(index.sentences)
        exact = index.vectors @ retriever.embedder.encode([retriever.query_text(question)])[0]
        assert found.best_dense == pytest.approx(float(exact.max()), abs=1e-5)
        # Past `exact_search_max`, the candidates are the nearest `dense_candidates` from FAISS, the
        # sentences of those chunks and what BM25 finds: far fewer, and the same best passage.
        few = Retriever(
            index,
            retriever.embedder,
            settings.model_copy(
                update={
                    "exact_search_max": 1,
                    "dense_candidates": 5,
                    "chunk_candidates": 1,
                    "lexical_candidates": 3,
                }
            ),
        )
        calls.clear()
        narrowed = few.search(question)
        assert calls == [("chunks", 5), ("sentences", 5)]
        assert narrowed.best_dense == pytest.approx(found.best_dense, abs=1e-5)
        assert len(narrowed.candidates) < len(index.sentences) / 2
        assert narrowed.windows[0].first == found.windows[0].first
    finally:
        index.faiss, index.sentence_faiss = real


def test_a_large_library_is_searched_through_an_approximate_index(settings: Settings) -> None:
    """Past `exact_search_max` vectors the build makes IVF indexes (recorded in the manifest), and a
    question is answered from the candidates they and BM25 find, rescored exactly."""
    embedder = HashEmbedder(model_id="hash")
    exact = ix.refresh(settings, embedder).index
    large = settings.model_copy(
        update={
            "exact_search_max": 60,
            "index_dir": settings.index_dir.parent / "ivf",
            # Generous for a library this small (the defaults are sized for thousands of articles).
            "dense_candidates": 250,
            "chunk_candidates": 20,
            "lexical_candidates": 100,
        }
    )
    index = ix.refresh(large, embedder).index
    assert index.manifest["search"]["sentences"].startswith("ivf-sq8")
    assert ix.load(large.index_dir, "hash").sentence_faiss.nprobe > 0
    near, far = Retriever(exact, embedder, settings), Retriever(index, embedder, large)
    for question in [
        "why do my hips drop?",
        "how do I do a runner deadlift?",
        "are lunges good for runners?",
    ]:
        a, b = near.search(question), far.search(question)
        assert len(b.candidates) < len(a.candidates)
        assert b.best_dense == pytest.approx(a.best_dense, abs=1e-5)
        assert near.passages(a)[0].text == far.passages(b)[0].text


def test_a_question_no_passage_comes_near_is_refused_when_nearer_a_not_covered_topic() -> None:
    """ "how quick should my first km be in a 10k?" is far from every passage (0.34) and nearer race
    pace (0.52): not covered, though under the cosine that decides alone (0.55). A question as near a
    passage (0.42) is answered: the topic must be clearly nearer."""
    from bot.retrieve import Retrieval, Window

    settings = Settings(_env_file=None)
    window = Window("a", 0, 0, 0, 10, 1.0, "")
    far = Retrieval(0.34, ("km",), ("km",), windows=(window,), topic_meaning=("race pace", 0.52))
    assert not covered(far, settings)
    near = Retrieval(0.42, ("km",), ("km",), windows=(window,), topic_meaning=("race pace", 0.52))
    assert covered(near, settings)


def test_naming_a_concern_does_not_keep_a_question_nearer_a_not_covered_topic() -> None:
    """ "do i bolt the first 400 or sit in and kick at the end?" names a finishing kick (a card's
    concern) but is about race tactics: nearer that topic in meaning (0.50) than any passage (0.38)."""
    from bot.retrieve import Retrieval, Window

    settings = Settings(_env_file=None)
    window = Window("a", 0, 0, 0, 10, 1.0, "")
    tactics = ("sprinting off the start or sitting in the pack", 0.50)
    found = Retrieval(
        0.38, ("kick",), ("kick",), windows=(window,), topic_meaning=tactics, concern_question=True
    )
    assert not covered(found, settings)


def test_body_weight_lost_as_an_amount_is_the_weight_loss_topic() -> None:
    from bot.lexical import Topics

    topics = Topics(Vocabulary(), ["lose weight", "zero drop"])
    for question in [
        "if i add 3 lifting days will that help me drop like 5kg before race season",
        "if i do squats every day will that help me shed 4 kilos?",
        "how do i lose a few pounds while marathon training",
    ]:
        assert topics.found(question) == ["lose weight"], question
    # A load lifted or lightened is no body weight.
    for question in [
        "my deadlift went up 20kg since january but my hips feel tight",
        "sharp pain in my knee on lunges, should i just drop the weight?",
        "is the 45lb bar too much to start the runner deadlift?",
    ]:
        assert topics.found(question) == [], question
    assert topics.found("should i get a zero drop pair?") == ["zero drop"]


def test_a_topic_word_in_another_sense_is_not_the_topic() -> None:
    """ "watch out for" is no watch, and a treadmill video (or being filmed on one) is where a gait
    video was taken, not a question about treadmills; the watch and the treadmill themselves still are."""
    from bot.lexical import Topics

    topics = Topics(Vocabulary(), ["watch", "treadmill"])
    for question in [
        "my hammys are tight as anything, anything i should watch out for with deadlifts?",
        "treadmill vid my mate took shows my feet crossing the midline, could that be my arms?",
        "physio filmed me on the treadmill and one hip sags every stride",
    ]:
        assert topics.found(question) == [], question
    assert topics.found("what GPS watch should I buy?") == ["watch"]
    assert topics.found("my watch always says 21.4k at the end of a half") == ["watch"]
    assert topics.found("is it better to run on a treadmill or outside?") == ["treadmill"]


def test_a_filler_word_inside_a_phrase_does_not_break_it() -> None:
    synonyms = Synonyms(Vocabulary(), {"never squatted": ["unfamiliar"]})
    assert synonyms.expand("total newbie, never really squatted. where do i start") == ["unfamiliar"]
    assert synonyms.expand("never ever squatted") == ["unfamiliar"]
    # A word that is more than filler still breaks it.
    assert synonyms.expand("never liked squatting much") == []
