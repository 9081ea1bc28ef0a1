"""The short answer: the sentences of the cited passages that answer the question."""

from __future__ import annotations

import re

# A sentence opening on one of these leans on the sentence before it for its subject or its point.
LEANING = re.compile(
    r"^[\s\"'“‘(]*(?:this|that|these|those|it|its|it[’']s|they|them|their|there[’']s|so|but|also|however|"
    r"thus|therefore|hence|and|or|then|which|such|both|he|she|his|her|here|again|still|yet|instead|"
    r"otherwise|plus|though|although|because|as a result|in addition|on the other hand)\b",
    re.IGNORECASE,
)


def leans_back(text: str) -> bool:
    """Whether a sentence opens on a pronoun or connective whose referent is in the sentence before."""
    return bool(LEANING.match(text))
