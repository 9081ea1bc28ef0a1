"""Proves the fake Discord harness with a tiny throwaway bot (not the project's bot).

The bot has one slash command (/plan: defers, then sends a followup with an embed and a button),
one persistent button view, and an on_message handler that opens a thread from a message and posts in it.
"""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakes.discord import FLAG_EPHEMERAL, FLAG_LOADING, FakeDiscord, Perm, connect

pytestmark = pytest.mark.asyncio

HELPFUL_ID = "smoke:helpful"


class FeedbackView(discord.ui.View):
    """Persistent view: fixed custom_id, no timeout, registered with bot.add_view()."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Helpful", style=discord.ButtonStyle.success, custom_id=HELPFUL_ID)
    async def helpful(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        interaction.client.clicks.append(interaction.user.id)  # type: ignore[attr-defined]
        await interaction.response.send_message("Thanks for the feedback!", ephemeral=True)


class FeedbackModal(discord.ui.Modal, title="Session feedback"):
    notes: discord.ui.TextInput = discord.ui.TextInput(
        label="How did it go?", custom_id="notes", max_length=200
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Noted: {self.notes.value}", ephemeral=True)


class SmokeBot(commands.Bot):
    def __init__(self, *, message_content: bool = True) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, help_command=None, guild_ready_timeout=0.05)
        self.clicks: list[int] = []
        self.seen: list[str] = []

    async def setup_hook(self) -> None:
        self.add_view(FeedbackView())

        @self.tree.command(name="plan", description="Build a training plan")
        @app_commands.describe(weeks="Number of weeks", goal="Race distance")
        async def plan(interaction: discord.Interaction, weeks: int, goal: str = "5k") -> None:
            await interaction.response.defer(thinking=True)
            await asyncio.sleep(0)  # pretend to work
            embed = discord.Embed(title=f"{weeks}-week {goal} plan", description="Build up gradually.")
            embed.add_field(name="Week 1", value="3 easy runs + 1 strength session")
            embed.set_footer(text="Stride Coach")
            await interaction.followup.send(embed=embed, view=FeedbackView())

        @plan.autocomplete("goal")
        async def goal_autocomplete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            goals = ["5k", "10k", "half marathon", "marathon"]
            return [app_commands.Choice(name=g, value=g) for g in goals if current.lower() in g]

        @self.tree.command(name="admin-only", description="Requires Manage Server")
        @app_commands.checks.has_permissions(manage_guild=True)
        async def admin_only(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("ok, admin", ephemeral=True)

        @admin_only.error
        async def admin_only_error(
            interaction: discord.Interaction, error: app_commands.AppCommandError
        ) -> None:
            await interaction.response.send_message("You need Manage Server.", ephemeral=True)

        @self.tree.command(name="feedback", description="Tell the coach how it went")
        async def feedback(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(FeedbackModal())

        @self.tree.command(name="boom", description="Raises")
        async def boom(interaction: discord.Interaction) -> None:
            raise RuntimeError("kaboom")

        await self.tree.sync()

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        self.seen.append(message.content)
        if message.content.lower().startswith("coach"):
            thread = await message.create_thread(name=f"Coaching: {message.author.display_name}")
            await thread.send(f"Hi {message.author.mention}, let's talk training here.")


async def test_connect_and_command_sync(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)

    assert bot.user.id == fake.BOT_ID
    guild = bot.get_guild(fake.GUILD_ID)
    assert guild is not None and guild.get_channel(fake.CHANNEL_ID).name == "general"
    assert guild.me.id == fake.BOT_ID
    assert fake.intents is not None and fake.intents & (1 << 15)  # message content intent was identified
    # The bot synced its commands globally; the fake echoes them back with ids.
    names = {c["name"]: c for c in fake.commands}
    assert set(names) == {"plan", "admin-only", "feedback", "boom"}
    assert [o["name"] for o in names["plan"]["options"]] == ["weeks", "goal"]
    assert fake.requests_to("PUT", r"/applications/\d+/commands")
    assert fake.unknown_routes == []


async def test_slash_defer_followup_embed_and_button(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)

    ix = await fake.slash("plan", {"weeks": 8, "goal": "10k"})

    # Deferred with "thinking", then the first followup replaced the loading message.
    assert ix.response_type == 5
    assert len(ix.followups) == 1
    original = ix.original
    assert original is not None and not original["flags"] & FLAG_LOADING
    assert original["id"] == ix.followups[0]["id"]
    embed = original["embeds"][0]
    assert embed["title"] == "8-week 10k plan"
    assert embed["fields"][0] == {
        "name": "Week 1",
        "value": "3 easy runs + 1 strength session",
        "inline": True,
    }
    button = original["components"][0]["components"][0]
    assert button["custom_id"] == HELPFUL_ID and button["label"] == "Helpful"
    # It is visible in the channel (not ephemeral).
    assert [m["id"] for m in fake.bot_messages(fake.CHANNEL_ID)] == [original["id"]]

    # A member clicks the button: handled by the view, answered ephemerally.
    click = await fake.click(original, HELPFUL_ID, user=fake.member)
    assert click.response_type == 4
    assert click.callbacks[0]["data"]["content"] == "Thanks for the feedback!"
    assert click.callbacks[0]["data"]["flags"] & FLAG_EPHEMERAL
    assert click.ephemeral and click.original["content"] == "Thanks for the feedback!"
    assert bot.clicks == [fake.MEMBER_ID]
    assert [cb["type"] for cb in fake.callbacks] == [5, 4]
    # Ephemeral replies are not part of the channel's visible history.
    assert len(fake.messages(fake.CHANNEL_ID)) == 1


async def test_persistent_view_survives_restart(discord_env: FakeDiscord) -> None:
    fake = discord_env
    # A message with the button, posted by the bot before it restarted.
    old = fake.seed_message(
        content="Was this plan helpful?",
        components=[
            {"type": 1, "components": [{"type": 2, "style": 3, "label": "Helpful", "custom_id": HELPFUL_ID}]}
        ],
    )
    bot = await connect(SmokeBot(), fake)

    ix = await fake.click(old, HELPFUL_ID, user=fake.admin)
    assert ix.response_type == 4 and ix.ephemeral
    assert bot.clicks == [fake.ADMIN_ID]

    with pytest.raises(LookupError):
        await fake.click(old, "no-such-button")


async def test_on_message_creates_thread_and_posts(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)

    msg = await fake.send_message(fake.CHANNEL_ID, "coach: how do I add hill repeats?", author=fake.member)

    assert bot.seen == ["coach: how do I add hill repeats?"]
    assert len(fake.threads) == 1
    thread = fake.threads[0]
    assert thread["id"] == msg["id"]  # threads started from a message share its id
    assert thread["parent_id"] == str(fake.CHANNEL_ID) and thread["name"] == "Coaching: Runner"
    # THREAD_CREATE reached the bot: it is in the cache as a Thread.
    cached = bot.get_channel(int(thread["id"]))
    assert isinstance(cached, discord.Thread) and cached.parent_id == fake.CHANNEL_ID
    posted = fake.messages(thread["id"])
    assert [m["content"] for m in posted] == [f"Hi <@{fake.MEMBER_ID}>, let's talk training here."]
    assert posted[0]["mentions"][0]["id"] == str(fake.MEMBER_ID)
    assert fake.message(msg["id"])["thread"]["id"] == thread["id"]

    # The bot's own thread message came back over the gateway but was ignored (author.bot).
    assert bot.seen == ["coach: how do I add hill repeats?"]
    # A member can keep talking in the thread.
    await fake.send_message(thread["id"], "thanks!")
    assert bot.seen[-1] == "thanks!"


async def test_message_content_intent_is_enforced(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(message_content=False), fake)

    await fake.send_message(content="coach me please")
    assert bot.seen == [""]  # Discord blanks content without the privileged intent...
    await fake.send_message(content=f"<@{fake.BOT_ID}> coach me please")
    assert bot.seen[-1] == f"<@{fake.BOT_ID}> coach me please"  # ...unless the bot is mentioned


async def test_autocomplete_and_permissions(discord_env: FakeDiscord) -> None:
    fake = discord_env
    await connect(SmokeBot(), fake)

    ac = await fake.autocomplete("plan", {"weeks": 4}, focused="goal", user=fake.member)
    assert ac.response_type == 8
    assert [c["value"] for c in ac.choices] == ["5k", "10k", "half marathon", "marathon"]
    ac2 = await fake.autocomplete("plan", {"goal": "mara"}, focused="goal")
    assert [c["value"] for c in ac2.choices] == ["half marathon", "marathon"]

    denied = await fake.slash("admin-only", user=fake.member)
    assert denied.original["content"] == "You need Manage Server." and denied.ephemeral
    allowed = await fake.slash("admin-only", user=fake.admin)
    assert allowed.original["content"] == "ok, admin"
    assert int(allowed.payload["member"]["permissions"]) & Perm.MANAGE_GUILD
    # Explicit permission override on the interaction.
    forced = await fake.slash("admin-only", user=fake.member, permissions=Perm.MANAGE_GUILD)
    assert forced.original["content"] == "ok, admin"


async def test_discord_limits_are_enforced(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)
    channel = bot.get_channel(fake.CHANNEL_ID)

    with pytest.raises(discord.HTTPException) as exc:
        await channel.send("x" * 2001)
    assert exc.value.status == 400 and exc.value.code == 50035
    assert "content" in str(exc.value)

    too_big = discord.Embed(title="t", description="d" * 4096)
    too_big.add_field(name="n", value="v" * 1024)
    too_big.add_field(name="n", value="v" * 1024)
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send(embed=too_big)
    assert exc.value.code == 50035 and "6000" in str(exc.value)

    with pytest.raises(discord.HTTPException) as exc:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert exc.value.code == 50035

    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="L" * 81, custom_id="long-label"))
    with pytest.raises(discord.HTTPException) as exc:
        await channel.send("hi", view=view)
    assert exc.value.code == 50035 and "label" in str(exc.value)

    with pytest.raises(discord.HTTPException) as exc:
        await channel.send(embed=discord.Embed())  # an empty embed is an empty message
    assert exc.value.code == 50006

    ok = await channel.send("x" * 2000)
    assert len(fake.message(ok.id)["content"]) == 2000
    assert fake.unknown_routes == []


async def test_errors_and_failure_injection(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)

    # A handler exception is logged (and swallowed) by discord.py; the harness turns it into a failure.
    with pytest.raises(AssertionError, match="kaboom"):
        await fake.slash("boom")
    assert any("kaboom" in str(r.exc_info[1]) for r in fake.clear_errors() if r.exc_info)

    # Injected 4xx: the bot cannot create the thread.
    fake.inject_failure(
        "POST", r"/channels/\d+/messages/\d+/threads", status=403, code=50013, message="Missing Permissions"
    )
    with pytest.raises(AssertionError, match="Missing Permissions"):
        await fake.send_message(content="coach me")
    assert fake.threads == []
    fake.clear_errors()

    # Unknown routes are recorded (and would fail the test at teardown).
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=fake.GUILD_ID))
    assert [r.path for r in fake.unknown_routes] == [f"/guilds/{fake.GUILD_ID}/bans"]
    fake.unknown_routes.clear()
    logging.getLogger(__name__).info("done")


async def test_history_multipart_and_edits(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)
    channel = bot.get_channel(fake.CHANNEL_ID)

    for i in range(3):
        await fake.send_message(content=f"run log {i}", author=fake.admin)
    history = [m.content async for m in channel.history(limit=10)]
    assert history == ["run log 2", "run log 1", "run log 0"]
    oldest_first = [m.content async for m in channel.history(limit=2, oldest_first=True)]
    assert oldest_first == ["run log 0", "run log 1"]

    # Files go multipart with payload_json; both are parsed and recorded.
    sent = await channel.send("plan attached", file=discord.File(__file__, filename="plan.txt"))
    req = fake.requests_to("POST", rf"/channels/{fake.CHANNEL_ID}/messages")[-1]
    assert req.json["content"] == "plan attached"
    assert req.files[0]["filename"] == "plan.txt" and req.files[0]["size"] > 0
    assert sent.attachments[0].filename == "plan.txt"
    assert (await sent.attachments[0].read()).startswith(b'"""Proves')

    edited = await sent.edit(content="plan attached (v2)")
    assert edited.content == "plan attached (v2)"
    assert fake.message(sent.id)["edited_timestamp"] is not None
    with pytest.raises(discord.HTTPException) as exc:
        await sent.edit(content="y" * 2001)
    assert exc.value.code == 50035
    await sent.delete()
    assert fake.message(sent.id) is None


async def test_modal_select_and_resume(discord_env: FakeDiscord) -> None:
    fake = discord_env
    bot = await connect(SmokeBot(), fake)

    opened = await fake.slash("feedback", user=fake.member)
    assert opened.response_type == 9 and opened.modal["title"] == "Session feedback"
    submitted = await fake.submit_modal(opened, {"notes": "legs felt heavy"})
    assert submitted.original["content"] == "Noted: legs felt heavy" and submitted.ephemeral
    with pytest.raises(ValueError):
        await fake.submit_modal(opened, {"notes": "x" * 201})

    picked: list[str] = []

    class Effort(discord.ui.View):
        @discord.ui.select(
            custom_id="effort",
            options=[discord.SelectOption(label=v, value=v) for v in ("easy", "moderate", "hard")],
        )
        async def effort(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
            picked.extend(select.values)
            await interaction.response.edit_message(content=f"Effort: {select.values[0]}", view=None)

    sent = await bot.get_channel(fake.CHANNEL_ID).send("How hard was it?", view=Effort())
    ix = await fake.select(sent.id, "effort", ["hard"])
    assert picked == ["hard"] and ix.response_type == 7
    assert fake.message(sent.id)["content"] == "Effort: hard" and fake.message(sent.id)["components"] == []

    # op 7 RECONNECT -> discord.py reconnects to resume_gateway_url and RESUMEs the session.
    await fake.request_reconnect()
    for _ in range(200):
        if fake.gateway_connections == 2 and any(p.get("op") == 6 for p in fake.gateway_received):
            break
        await asyncio.sleep(0.01)
    assert [p["op"] for p in fake.gateway_received if p["op"] in (2, 6)] == [2, 6]
    await fake.settle()
    ix = await fake.slash("plan", {"weeks": 2})
    assert ix.original["embeds"][0]["title"] == "2-week 5k plan"


async def test_interaction_rules_and_teardown_checks(discord_env: FakeDiscord) -> None:
    fake = discord_env
    await connect(SmokeBot(), fake)

    # Too slow to acknowledge: Discord answers 404 Unknown interaction (10062).
    fake.interaction_ack_timeout = 0.0
    with pytest.raises(AssertionError, match="10062"):
        await fake.slash("plan", {"weeks": 3})
    fake.clear_errors()
    fake.interaction_ack_timeout = 3.0

    # Swallowed handler errors are reported by fake.problems() (checked by the fixture at teardown).
    await fake.slash("boom", settle=False)
    await fake.settle(raise_errors=False)
    problems = fake.problems()
    assert len(problems) == 1 and "kaboom" in problems[0]
    fake.clear_errors()
    assert fake.problems() == []
