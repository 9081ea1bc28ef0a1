"""Is this covered? An explainable rule on what retrieval found, kept apart from retrieval itself.

Covered when the passages found share a topic word with the question and either that word is
one of the articles' own rare terms ("TFL", "hemipelvis": in at most `retrieve.RARE_MAX` sentences), the
passages name a catalogued exercise the question names ("what's the 100-up?"), the
closest chunk is semantically close (cosine >= `min_dense`), or the question is plainly about
strength training (a strength word, a catalogued exercise or one of its concerns) and the chunk
is at least loosely related (cosine >= `min_dense_with_terms`). A question about a topic listed in
knowledge/not-covered.yaml (shoes, tapering, creatine...) is not covered unless it names a concern
of a catalogued exercise ("weak glutes") or a chunk is a very close match (cosine >=
`min_dense_off_topic`): "which shoes for deadlifts?" is about shoes, not deadlifts. The same
holds by meaning: a question closer to a listed topic (cosine >= `min_topic_meaning`) than to
any chunk (by `topic_meaning_margin`) is not covered ("best breakfast before running"), and so is
one less close to the topic (`min_topic_meaning_far`) that no chunk comes near (it is closer to the
topic by `topic_meaning_far_margin`): "how fast should I go through the first mile of a 5K?".
Naming a concern does not save a question by meaning: "do i bolt the first 400 or sit in and kick
at the end?" names a finishing kick but is about race tactics.

Coverage follows the knowledge folder: a question using a word that only a removed (or rewritten)
article used ("are hill sprints good for strength?" once the article on sprinting is gone) is not
covered, unless it also names a catalogued exercise, a concern or one of the articles' rare terms,
which the remaining articles still answer for ("I sprint, how do I deadlift?").
"""

from __future__ import annotations

from bot.config import Settings
from bot.models import Coverage
from bot.retrieve import Retrieval


def covered(found: Retrieval, settings: Settings) -> bool:
    """Whether the articles answer the question (see the module docstring)."""
    if not found.windows or not found.shared_terms:
        return False
    if found.off_topic and not found.concern_question:
        return found.best_dense >= settings.min_dense_off_topic
    if found.gone and not (found.concern_question or found.names_exercise or found.specific_terms):
        return False  # its subject left the library with an article
    if found.topic_meaning is not None:
        _, closeness = found.topic_meaning
        margin = closeness - found.best_dense
        if (closeness >= settings.min_topic_meaning and margin >= settings.topic_meaning_margin) or (
            closeness >= settings.min_topic_meaning_far and margin >= settings.topic_meaning_far_margin
        ):
            return False  # closer in meaning to a not-covered topic than to any passage
    if found.specific_terms or found.name_shown:
        return True
    if found.best_dense >= settings.min_dense:
        return True
    return found.strength_question and found.best_dense >= settings.min_dense_with_terms


def assess(found: Retrieval, settings: Settings) -> Coverage:
    """`covered`, with what decided it: the closest passage's cosine, and the not-covered topic the
    question names (by its words) or comes closest to in meaning, with that cosine; or the word that
    left the library with a removed article, and that article's title."""
    meaning = found.topic_meaning
    answered = covered(found, settings)
    if not answered and found.gone and not found.off_topic:
        word, title = found.gone[0]
        return Coverage(answered, round(found.best_dense, 4), word, None, True, title)
    return Coverage(
        answered,
        round(found.best_dense, 4),
        found.off_topic[0] if found.off_topic else (meaning[0] if meaning else None),
        None if meaning is None else round(meaning[1], 4),
        bool(found.off_topic),
    )
