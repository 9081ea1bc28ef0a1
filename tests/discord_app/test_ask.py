"""/ask end to end: the real client against the fake Discord, asserting on the JSON the bot sends."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.coach import CoachError
from bot.discord_app.present import AMBER, CARD, GREY, RED
from tests.fakes.discord import FLAG_EPHEMERAL, FLAG_LOADING, FakeDiscord

pytestmark = pytest.mark.asyncio

ANSWERED = "how do I do the runner deadlift?"
REFUSED = "What time zone is Tokyo in?"
NONE = {"parse": []}


def followups(fake: FakeDiscord, ix) -> list:
    """The followup requests the bot made for an interaction."""
    return [r for r in fake.requests_to("POST", r"/webhooks/\d+/") if r.path.endswith(ix.token)]


def custom_ids(message: dict) -> list[str]:
    return [c.get("custom_id") or c.get("url") for row in message["components"] for c in row["components"]]


async def test_ask_defers_then_answers_with_an_embed(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()

    ix = await fake.slash("ask", {"question": ANSWERED})

    assert ix.callbacks[0]["type"] == 5  # deferred, "thinking…"
    assert not ix.callbacks[0]["data"].get("flags", 0) & FLAG_EPHEMERAL
    [sent] = followups(fake, ix)
    body = sent.json
    assert body["allowed_mentions"] == NONE
    embed, *cards = body["embeds"]
    assert embed["title"] == ANSWERED
    assert "**[1]**" in embed["description"]
    assert embed["fields"][0]["name"].startswith("[1] ")
    assert embed["fields"][0]["value"].startswith("> ")
    assert "The Runner Deadlift" in embed["fields"][0]["value"]
    assert embed["footer"]["text"] == "General guidance from the club's articles, not medical advice."
    assert cards[0]["title"] == "Runner Deadlift" and cards[0]["color"] == CARD
    # A compact card: why, the cue and the dose; the steps are on the full card (/exercise, Harder).
    card = cards[0]["description"]
    assert card.startswith("The exercise you asked about") and "**Cue:** Butt out" in card
    assert "1. " not in card and "Harder:" not in card
    assert "**Dosage:** 2–3 sets of 6–8 slow reps with the lightest bar" in card and "(club guidance)" in card
    ids = [i for i in custom_ids(ix.original) if not i.startswith("http")]
    assert ids[0].startswith("coach:fb:up:") and ids[1].startswith("coach:fb:down:")
    assert ids[0].split(":")[-1] == ids[1].split(":")[-1]
    assert ids[2].startswith("coach:more:")
    assert ids[3] == "coach:ex:harder:runner-deadlift"
    assert body["components"][1] == {
        "type": 1,
        "components": [
            {
                "type": 2,
                "style": 1,
                "disabled": False,
                "label": "Harder: Single-Leg Deadlift",
                "custom_id": "coach:ex:harder:runner-deadlift",
            }
        ],
    }
    # The answer replaced the thinking message, visible to the channel.
    message = ix.original
    assert not message["flags"] & (FLAG_LOADING | FLAG_EPHEMERAL)
    assert [m["id"] for m in fake.bot_messages(fake.CHANNEL_ID)] == [message["id"]]


async def test_exercise_cards_come_with_easier_and_harder_buttons(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()

    ix = await fake.slash("ask", {"question": "my hips drop when I run, which exercises help?"})

    messages = ix.messages
    cards = [e for m in messages for e in m["embeds"][1:] if e.get("color") == CARD]
    assert cards, "expected exercise cards after the answer"
    assert all("**Cue:**" in e["description"] for e in cards)
    swaps = [i for m in messages for i in custom_ids(m) if i.startswith("coach:ex:")]
    assert swaps and all(len(i) <= 100 for i in swaps)
    for m in messages:
        assert len(m["components"]) <= 5 and len(m["embeds"]) <= 10


async def test_private_ask_is_ephemeral(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()

    ix = await fake.slash("ask", {"question": ANSWERED, "private": True})

    assert ix.callbacks[0] == {**ix.callbacks[0], "type": 5}
    assert ix.callbacks[0]["data"]["flags"] == FLAG_EPHEMERAL
    assert ix.ephemeral
    assert ix.original["embeds"][0]["title"] == ANSWERED
    assert fake.bot_messages(fake.CHANNEL_ID) == []  # nobody else sees it


async def test_refused_question_gets_not_covered(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()

    ix = await fake.slash("ask", {"question": REFUSED})

    [embed] = ix.original["embeds"]
    assert embed["title"] == REFUSED and embed["color"] == GREY
    assert embed["description"].startswith("The club's articles don't cover that, so I won't guess.")
    assert "fields" not in embed or embed["fields"] == []
    assert [i.split(":")[2] for i in custom_ids(ix.original)] == ["up", "down"]


async def test_a_refusal_names_the_removed_article_a_topic_left_with(
    discord_env: FakeDiscord, start_bot, settings
) -> None:
    fake = discord_env
    (settings.articles_dir / "lower-body-exercises-for-runners.md").unlink()
    await start_bot()  # the prebuilt index still has the article: this build removes it

    ix = await fake.slash("ask", {"question": "are hill sprints good for strength?"})

    [embed] = ix.original["embeds"]
    assert embed["color"] == GREY
    assert (
        "No article speaks of “sprints” since “4 Essential Lower-Body Exercises for Runners”"
        in (embed["description"])
    )


async def test_red_flags_lead_with_safety_and_suggest_no_exercise(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot()

    hurt = await fake.slash(
        "ask", {"question": "my hip is swollen and I heard a pop, which exercises help my hip drop?"}
    )
    emergency = await fake.slash("ask", {"question": "I have chest pain when running"})

    [embed] = hurt.original["embeds"]
    assert embed["description"].startswith("⚠️ **Please see a physiotherapist or doctor")
    assert embed["color"] == AMBER
    assert not any(i.startswith("coach:ex:") for i in custom_ids(hurt.original))
    assert len(hurt.messages) == 1
    [urgent] = emergency.original["embeds"]
    assert urgent["description"].startswith("🚨 **Stop and get help now.**") and urgent["color"] == RED


async def test_mentions_in_a_question_ping_nobody(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()
    question = f"@everyone @here <@&{fake.ADMIN_ROLE_ID}> <@{fake.ADMIN_ID}> {ANSWERED}"

    ix = await fake.slash("ask", {"question": question})

    [sent] = followups(fake, ix)
    assert sent.json["allowed_mentions"] == NONE
    assert ix.original["embeds"][0]["title"] == question
    # Every message the bot sent, by any route, parses no mention at all.
    bodies = [r.json for r in fake.requests if r.method in ("POST", "PATCH") and isinstance(r.json, dict)]
    assert all(b.get("allowed_mentions", NONE) == NONE for b in bodies if "embeds" in b or "content" in b)


async def test_article_links_become_link_buttons(discord_env: FakeDiscord, start_bot, settings) -> None:
    fake = discord_env
    article = Path(settings.articles_dir) / "runner-deadlift.md"
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace(
            'title: "The Runner Deadlift"',
            'title: "The Runner Deadlift"\nauthor: "Jane Doe"\nurl: "https://example.org/runner-deadlift"',
            1,
        ),
        encoding="utf-8",
    )
    await start_bot()

    ix = await fake.slash("ask", {"question": ANSWERED})

    buttons = [c for row in ix.original["components"] for c in row["components"]]
    links = [b for b in buttons if b["style"] == 5]
    assert links == [
        {
            "type": 2,
            "style": 5,
            "disabled": False,
            "label": "Open “The Runner Deadlift”",
            "url": "https://example.org/runner-deadlift",
        }
    ]
    assert "Jane Doe" in ix.original["embeds"][0]["fields"][0]["value"]


async def test_cooldown_answers_with_a_friendly_ephemeral_message(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    await start_bot(cooldown_rate=2, cooldown_seconds=60)

    first = await fake.slash("ask", {"question": ANSWERED})
    second = await fake.slash("ask", {"question": REFUSED})
    third = await fake.slash("ask", {"question": ANSWERED})
    other = await fake.slash("ask", {"question": ANSWERED}, user=fake.admin)

    assert [first.response_type, second.response_type, other.response_type] == [5, 5, 5]
    assert third.response_type == 4
    data = third.callbacks[0]["data"]
    assert data["flags"] == FLAG_EPHEMERAL and data["allowed_mentions"] == NONE
    assert data["content"].startswith("Easy pace! ⏱️ You can ask 2 questions every 60 seconds; try again in ")
    assert third.followups == []


async def test_an_over_long_question_gets_a_polite_message(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot(cooldown_rate=1, cooldown_seconds=60)

    long = await fake.slash("ask", {"question": "why " * 300})
    ok = await fake.slash("ask", {"question": ANSWERED})  # the rejected question cost no cooldown

    data = long.callbacks[0]["data"]
    assert long.response_type == 4 and data["flags"] == FLAG_EPHEMERAL
    assert data["content"].startswith("That question is 1199 characters long and I can only read up to 1000.")
    assert ok.response_type == 5 and ok.original["embeds"]


async def test_concurrent_questions_are_answered_in_batches(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    bot = await start_bot()
    calls: list[int] = []
    ask_each = bot.coach.ask_each

    def counting(items):
        calls.append(len(items))
        return ask_each(items)

    bot.coach.ask_each = counting  # type: ignore[method-assign]
    bot.answerer.batcher.window = 0.05  # the default few ms, widened for a busy CI machine
    questions = [ANSWERED, REFUSED, "why do lunges beat squats for runners?"] * 4

    pending = [fake.slash("ask", {"question": q}, settle=False) for q in questions]
    interactions = await asyncio.gather(*pending)
    await fake.settle()

    assert sum(calls) == 12
    assert len(calls) <= 3, f"12 questions took {len(calls)} ask_each calls: {calls}"
    for ix, question in zip(interactions, questions, strict=True):
        assert ix.response_type == 5
        assert ix.original["embeds"][0]["title"] == question


async def test_a_failure_while_answering_ends_with_an_apology(
    discord_env: FakeDiscord, start_bot, caplog
) -> None:
    fake = discord_env
    bot = await start_bot()

    def broken(items):
        raise CoachError("the index is damaged")

    bot.coach.ask_each = broken  # type: ignore[method-assign]
    ix = await fake.slash("ask", {"question": ANSWERED, "private": True})

    assert ix.response_type == 5 and ix.ephemeral
    assert ix.original["content"].startswith("Sorry, I couldn't answer that just now.")
    assert "Could not answer a question: the index is damaged" in caplog.text


async def test_each_source_is_one_field_titled_with_its_article(discord_env: FakeDiscord, start_bot) -> None:
    fake = discord_env
    await start_bot()
    done = await fake.slash("ask", {"question": "how do I do the runner deadlift?"})
    fields = done.followups[0]["embeds"][0]["fields"]
    sources = [f for f in fields if f["name"].startswith("[")]
    titles = ("The Runner Deadlift", "4 Essential Lower-Body Exercises for Runners")
    assert sources and sources[0]["name"].startswith("[1] The Runner Deadlift")
    assert all(f["name"].startswith(tuple(f"[{i}] {t}" for t in titles)) for i, f in enumerate(sources, 1))
    # No overflow fields with a blank name: every quoted passage fits one field.
    assert all(f["name"].strip("\u200b ").strip() for f in fields)


async def test_a_poisoned_question_costs_no_other_member_their_answer(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    bot = await start_bot()
    bot.answerer.batcher.window = 0.05  # one batch for the whole burst
    poisoned = "\ud800 why do my hips drop?\u200b\x07"  # a lone surrogate, a zero-width space, a bell
    questions = [ANSWERED, poisoned, "why do lunges beat squats for runners?", ANSWERED]

    pending = [fake.slash("ask", {"question": q}, settle=False) for q in questions]
    interactions = await asyncio.gather(*pending)
    await fake.settle()

    titles = [ix.original["embeds"][0]["title"] for ix in interactions]
    assert titles[0] == titles[3] == ANSWERED and titles[2] == questions[2]
    assert titles[1] == "\ufffd why do my hips drop?"  # cleaned, then answered like any other
    assert all(ix.original["embeds"][0]["color"] != GREY or i == 1 for i, ix in enumerate(interactions))


async def test_in_a_batch_a_bad_question_gets_its_own_error_and_the_rest_their_answers(
    discord_env: FakeDiscord, start_bot
) -> None:
    fake = discord_env
    bot = await start_bot()
    bot.answerer.batcher.window = 0.05
    ask_each = bot.coach.ask_each

    def one_fails(items):
        results = ask_each(items)
        return [
            CoachError("this one broke") if q == REFUSED else r
            for (q, _), r in zip(items, results, strict=True)
        ]

    bot.coach.ask_each = one_fails  # type: ignore[method-assign]
    questions = [ANSWERED, REFUSED, ANSWERED]
    pending = [fake.slash("ask", {"question": q}, settle=False) for q in questions]
    first, bad, last = await asyncio.gather(*pending)
    await fake.settle()

    assert first.original["embeds"][0]["title"] == last.original["embeds"][0]["title"] == ANSWERED
    assert bad.original["content"].startswith("Sorry, I couldn't answer that just now.")
