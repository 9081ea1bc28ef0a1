"""The pure splitter: every message it produces fits Discord's limits and nothing is lost or reordered."""

from __future__ import annotations

import random

import pytest

from bot.discord_app.layout import (
    BLANK,
    Block,
    Button,
    EmbedSpec,
    Field,
    MessageSpec,
    fit_embed,
    pack,
    problems,
    split_text,
    text_messages,
    truncate,
    units,
)

RUNNER = "🏃\u200d♀\ufe0f"  # a woman running: 5 UTF-16 units in 4 characters, one to the reader
FAMILY = "👨\u200d👩\u200d👧"


def words(text: str) -> list[str]:
    return text.split()


def random_text(rng: random.Random, length: int) -> str:
    parts = []
    while sum(map(len, parts)) < length:
        word = "".join(rng.choice("abcdefghij") for _ in range(rng.randint(1, 12)))
        parts.append(word + rng.choice([" ", " ", " ", ". ", "\n", "\n\n", ", "]))
    return "".join(parts)[:length]


def test_short_text_is_one_piece_and_empty_text_none() -> None:
    assert split_text("hello there", 20) == ["hello there"]
    assert split_text("   ", 20) == []
    assert split_text("", 20) == []


def test_split_prefers_paragraphs_then_lines_then_sentences_then_words() -> None:
    assert split_text("aaaa bbbb\n\ncccc dddd", 12) == ["aaaa bbbb", "cccc dddd"]
    assert split_text("aaaa bbbb\ncccc dddd", 12) == ["aaaa bbbb", "cccc dddd"]
    assert split_text("Aaaa bbbb. Cccc dddd.", 12) == ["Aaaa bbbb.", "Cccc dddd."]
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]  # no break: a hard cut


@pytest.mark.parametrize("seed", range(20))
def test_split_keeps_every_word_within_the_limit(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng, rng.randint(1, 9000))
    limit = rng.choice([13, 100, 1024, 2000, 4096])
    pieces = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())  # only whitespace at cuts dropped
    if limit >= 100:  # words are at most 12 characters, so there is always a break to cut at
        assert words(" ".join(pieces)) == words(text)


def test_truncate_marks_the_cut() -> None:
    assert truncate("short", 10) == "short"
    cut = truncate("a" * 300, 256)
    assert len(cut) == 256 and cut.endswith("…")


def test_a_big_embed_is_spread_over_embeds_that_each_fit() -> None:
    embed = EmbedSpec(
        title="t" * 300,
        description="word " * 2000,  # 10,000 characters
        fields=tuple(Field(f"[{i}] source", "quote line\n" * 150) for i in range(30)),  # 1,650 each
        footer="disclaimer",
        colour=7,
    )
    pieces = fit_embed(embed)
    assert pieces[0].title == "t" * 255 + "…" and all(not p.title for p in pieces[1:])
    assert pieces[-1].footer == "disclaimer" and all(not p.footer for p in pieces[:-1])
    assert all(p.colour == 7 for p in pieces)
    for p in pieces:
        assert problems(MessageSpec(embeds=(p,))) == []
    fields = [f for p in pieces for f in p.fields]
    named = [f.name for f in fields if f.name != BLANK]
    assert named == [f"[{i}] source" for i in range(30)]  # order kept; continuations have blank names
    assert sum(f.value.count("quote line") for f in fields) == 30 * 150
    assert words(" ".join(p.description for p in pieces)) == words(embed.description)


def test_blocks_stay_whole_and_keep_their_rows() -> None:
    answer = Block(
        (EmbedSpec(title="q", description="d" * 3500, fields=(Field("[1] a", "v" * 1000),)),),
        ((Button(emoji="👍", custom_id="coach:fb:up:1"), Button(emoji="👎", custom_id="coach:fb:down:1")),),
    )
    cards = [
        Block(
            (EmbedSpec(title=f"card {i}", description="c" * 900),),
            ((Button(label=f"Easier {i}", custom_id=f"coach:ex:easier:{i}"),),),
        )
        for i in range(4)
    ]
    messages = pack([answer, *cards])
    assert [problems(m) for m in messages] == [[] for _ in messages]
    assert len(messages) == 2  # 4,506 + 906 fits; a second card would pass 6,000
    first, second = messages
    assert [e.title for e in first.embeds] == ["q", "card 0"]
    assert [r[0].custom_id for r in first.rows] == ["coach:fb:up:1", "coach:ex:easier:0"]
    assert [e.title for e in second.embeds] == ["card 1", "card 2", "card 3"]
    assert [r[0].custom_id for r in second.rows] == [f"coach:ex:easier:{i}" for i in (1, 2, 3)]


def test_ten_embeds_and_five_rows_per_message() -> None:
    blocks = [
        Block((EmbedSpec(title=f"e{i}"),), ((Button(label="b", custom_id=f"id{i}"),),)) for i in range(12)
    ]
    messages = pack(blocks)
    assert [len(m.embeds) for m in messages] == [5, 5, 2]  # rows run out before embeds
    assert all(problems(m) == [] for m in messages)
    many = pack([Block(tuple(EmbedSpec(title=f"e{i}") for i in range(23)))])
    assert [len(m.embeds) for m in many] == [10, 10, 3]


def test_long_rows_and_labels_are_fitted() -> None:
    row = tuple(Button(label="L" * 90, custom_id=f"x{i}") for i in range(7))
    [message] = pack([Block((EmbedSpec(title="t"),), (row,))])
    assert [len(r) for r in message.rows] == [5, 2]
    assert all(len(b.label) == 80 for r in message.rows for b in r)
    assert problems(message) == []


def test_content_longer_than_2000_becomes_several_messages() -> None:
    text = "\n".join(f"{i}. " + "article title " * 10 for i in range(40))
    messages = text_messages(text)
    assert len(messages) > 1 and all(problems(m) == [] for m in messages)
    assert words(" ".join(m.content for m in messages)) == words(text)


def test_problems_names_each_broken_limit() -> None:
    bad = MessageSpec(
        content="c" * 2001,
        embeds=(EmbedSpec(title="t" * 257, fields=(Field("", "v" * 1025),)),),
        rows=((Button(label="a", custom_id="same"), Button(label="b", custom_id="same")),),
    )
    found = problems(bad)
    assert "content longer than 2000" in found
    assert "embed 0: title longer than 256" in found
    assert "embed 0 field 0: name empty or longer than 256" in found
    assert "embed 0 field 0: value empty or longer than 1024" in found
    assert "duplicate custom ids" in found
    assert problems(MessageSpec()) == ["empty message"]


def test_lengths_are_utf16_units() -> None:
    assert units("abc") == 3 and units("é") == 1 and units("💪") == 2 and units(RUNNER) == 5
    assert units("\ud800") == 1  # a lone surrogate counts, and does not raise


def test_an_emoji_heavy_title_fits_256_utf16_units() -> None:
    question = "why do my hips drop when I run 🏃 " + "💪🔥" * 70  # 173 characters, 314 units
    [embed] = fit_embed(EmbedSpec(title=question, description="d"))
    assert units(embed.title) == 255 and embed.title.endswith(" 🏃 " + "💪🔥" * 55 + "…")
    embed.title.encode("utf-16-le")  # no half of a surrogate pair
    assert problems(MessageSpec(embeds=(embed,))) == []
    assert problems(MessageSpec(embeds=(EmbedSpec(title="💪" * 129),))) == ["embed 0: title longer than 256"]


def test_a_cut_never_splits_what_the_reader_sees_as_one_character() -> None:
    for emoji in ("💪", RUNNER, FAMILY, "👍🏽", "🇳🇱", "1\ufe0f\u20e3", "e\u0301"):
        for limit in range(2, 40):
            cut = truncate(emoji * 30, limit)
            assert units(cut) <= limit and cut.endswith("…")
            assert cut[:-1] == emoji * (len(cut[:-1]) // len(emoji)), (emoji, limit, cut)
            pieces = split_text(emoji * 30, limit + 8)
            assert "".join(pieces) == emoji * 30 and all(units(p) <= limit + 8 for p in pieces)
            assert all(p == emoji * (len(p) // len(emoji)) for p in pieces), (emoji, limit, pieces)


def test_fields_descriptions_footers_and_the_total_count_utf16_units() -> None:
    embed = EmbedSpec(
        title="🏃" * 200,
        description="🔥 " * 3000,  # 3,000 characters, 9,000 units
        fields=tuple(Field("💪" * 200, "🦵 " * 400) for _ in range(5)),  # names 400, values 1,200 units
        footer="⚠️ " + "🩹" * 1100,
    )
    pieces = fit_embed(embed)
    assert all(problems(MessageSpec(embeds=(p,))) == [] for p in pieces)
    assert all(units(p.description) <= 4096 and p.size <= 6000 for p in pieces)
    messages = pack([Block((embed,))], content="🙂 " * 1000)
    assert all(problems(m) == [] for m in messages)
    text = "".join(p.description for p in pieces)
    assert text.replace(" ", "") == "🔥" * 3000
