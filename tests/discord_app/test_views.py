"""Persistent buttons: 👍 / 👎 feedback and Easier / Harder exercise swaps, also after a restart."""

from __future__ import annotations

import pytest

from bot.discord_app.present import CARD
from bot.feedback import FeedbackLog
from tests.fakes.discord import FLAG_EPHEMERAL, FakeDiscord

pytestmark = pytest.mark.asyncio

NONE = {"parse": []}


def buttons(message: dict) -> list[dict]:
    return [c for row in message["components"] for c in row["components"]]


def ids(message: dict) -> list[str]:
    return [b["custom_id"] for b in buttons(message) if "custom_id" in b]


async def test_feedback_buttons_thank_the_member_and_log_the_vote(
    discord_env: FakeDiscord, start_bot, settings
) -> None:
    fake = discord_env
    await start_bot()
    ix = await fake.slash("ask", {"question": "What time zone is Tokyo in?"})
    up, down = ids(ix.original)[:2]
    answer_id = up.rsplit(":", 1)[1]

    liked = await fake.click(ix.original, up, user=fake.member)
    disliked = await fake.click(ix.original, down, user=fake.admin)
    changed = await fake.click(ix.original, down, user=fake.member)  # a member may change their mind

    assert liked.response_type == 4
    data = liked.callbacks[0]["data"]
    assert (data["content"], data["flags"], data["allowed_mentions"]) == (
        "Thanks! Glad that helped. 👍",
        FLAG_EPHEMERAL,
        NONE,
    )
    assert disliked.original["content"].startswith("Thanks for telling me.") and disliked.ephemeral
    assert changed.ephemeral
    report = FeedbackLog(settings.log_path).report()
    [entry] = report.disliked
    assert (entry.question, entry.down, entry.up, entry.answers) == (
        "What time zone is Tokyo in?",
        2,
        0,
        (answer_id,),
    )
    assert [u.question for u in report.unanswered] == ["What time zone is Tokyo in?"]


async def test_easier_and_harder_swap_the_card_in_place(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()
    ix = await fake.slash("exercise", {"name": "hip thrust"})
    card = ix.original
    assert ix.response_type == 4 and not ix.ephemeral
    assert card["embeds"][0]["title"] == "Hip Thrust"
    assert [(b["label"], b["custom_id"]) for b in buttons(card)] == [
        ("Easier: Glute Bridge", "coach:ex:easier:hip-thrust"),
        ("Harder: Single-Leg Hip Thrust", "coach:ex:harder:hip-thrust"),
    ]

    easier = await fake.click(card, "coach:ex:easier:hip-thrust")

    assert easier.response_type == 7  # the message itself is edited
    edited = fake.message(card["id"])
    assert edited["embeds"][0]["title"] == "Glute Bridge" and edited["embeds"][0]["color"] == CARD
    assert "Drive through your heels" in edited["embeds"][0]["description"]
    assert [(b["label"], b["custom_id"]) for b in buttons(edited)] == [
        ("Harder: Hip Thrust", "coach:ex:harder:glute-bridge")
    ]
    assert easier.callbacks[0]["data"]["allowed_mentions"] == NONE

    await fake.click(edited, "coach:ex:harder:glute-bridge")
    assert fake.message(card["id"])["embeds"][0]["title"] == "Hip Thrust"


async def test_swapping_a_card_of_an_answer_keeps_the_rest(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()
    ix = await fake.slash("ask", {"question": "how do I do the runner deadlift?"})
    before = ix.original

    await fake.click(before, "coach:ex:harder:runner-deadlift")

    after = fake.message(before["id"])
    assert [e["title"] for e in after["embeds"]] == [
        "how do I do the runner deadlift?",
        "Single-Leg Deadlift",
        "Deadlift",
    ]
    assert after["embeds"][0] == before["embeds"][0] and after["embeds"][2:] == before["embeds"][2:]
    # The feedback and "More sources" buttons still point at the same answer.
    assert ids(after)[:3] == ids(before)[:3] and ids(after)[2].startswith("coach:more:")
    assert ids(after)[3:] == [
        "coach:ex:easier:single-leg-deadlift",
        "coach:ex:harder:single-leg-deadlift",
        "coach:ex:easier:deadlift",
    ]


async def test_buttons_keep_working_after_a_restart(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    # Posted by an earlier run of the bot: the fake stores it, this bot has never seen it.
    old_answer = fake.seed_message(
        embeds=[{"title": "Squat", "description": "**Cue:** Brace.", "color": CARD}],
        components=[
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 2, "emoji": {"name": "👍"}, "custom_id": "coach:fb:up:0123456789ab"},
                    {
                        "type": 2,
                        "style": 2,
                        "emoji": {"name": "👎"},
                        "custom_id": "coach:fb:down:0123456789ab",
                    },
                ],
            },
            {
                "type": 1,
                "components": [
                    {
                        "type": 2,
                        "style": 1,
                        "label": "Easier: Box Squat",
                        "custom_id": "coach:ex:easier:squat",
                    }
                ],
            },
        ],
    )
    await start_bot()

    vote = await fake.click(old_answer, "coach:fb:down:0123456789ab")
    swap = await fake.click(old_answer, "coach:ex:easier:squat")

    assert vote.response_type == 4 and vote.ephemeral
    assert swap.response_type == 7
    edited = fake.message(old_answer["id"])
    assert edited["embeds"][0]["title"] == "Box Squat"
    assert ids(edited) == [
        "coach:fb:up:0123456789ab",
        "coach:fb:down:0123456789ab",
        "coach:ex:easier:box-squat",
        "coach:ex:harder:box-squat",
    ]


async def test_a_swap_to_an_exercise_gone_from_the_catalog_is_explained(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()
    old = fake.seed_message(
        embeds=[{"title": "Plank", "description": "Hold it.", "color": CARD}],
        components=[
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Harder", "custom_id": "coach:ex:harder:plank"}
                ],
            }
        ],
    )

    ix = await fake.click(old, "coach:ex:harder:plank")

    assert ix.response_type == 4 and ix.ephemeral
    assert ix.original["content"].startswith("I don't know an exercise called “plank”.")
    assert fake.message(old["id"])["embeds"][0]["title"] == "Plank"


async def test_more_sources_shows_every_passage_in_full_to_the_member(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()
    ix = await fake.slash("ask", {"question": "how do I do the runner deadlift?"})
    answer = ix.original
    [more] = [i for i in ids(answer) if i.startswith("coach:more:")]
    shown = [f["name"] for f in answer["embeds"][0]["fields"]]

    clicked = await fake.click(answer, more, user=fake.member)

    assert clicked.ephemeral
    [embed] = clicked.original["embeds"]
    names = [f["name"] for f in embed["fields"]]
    assert embed["title"] == "More sources" and len(names) > len(shown)
    assert [n.split("]")[0] for n in names] == [f"[{k}" for k in range(1, len(names) + 1)]
    assert all(f["value"].startswith("> ") for f in embed["fields"])


async def test_more_sources_after_the_article_changed_says_so(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()
    old = fake.seed_message(
        embeds=[{"title": "how do I do the runner deadlift?", "description": "…"}],
        components=[
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 2, "label": "More sources", "custom_id": "coach:more:0badc0de.0.1k"}
                ],
            }
        ],
    )
    ix = await fake.click(old, "coach:more:0badc0de.0.1k")
    assert ix.ephemeral and "have changed" in ix.original["content"]
