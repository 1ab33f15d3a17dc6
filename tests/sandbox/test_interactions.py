"""Slash commands, autocomplete, components, modals and deferrals through discord.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands
from discord.ext import commands

from discord_sandbox import CommandError, InteractionFailed, Sandbox
from tests.sandbox.conftest import make_bot, running

INITIATIVES = ["Humble Lamppost", "Lamp Post Data", "Open Data Portal", "Smart Lamps"]


class Votes(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.count = 0

    @discord.ui.button(label="Going", custom_id="rsvp:going", style=discord.ButtonStyle.green)
    async def going(
        self, interaction: discord.Interaction, button: discord.ui.Button[Votes]
    ) -> None:
        self.count += 1
        await interaction.response.edit_message(content=f"{self.count} going", view=self)

    @discord.ui.select(
        custom_id="rsvp:pick",
        placeholder="Pick a slot",
        options=[
            discord.SelectOption(label="Morning", value="am"),
            discord.SelectOption(label="Evening", value="pm"),
        ],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[Votes]
    ) -> None:
        await interaction.response.send_message(f"slot {select.values[0]}", ephemeral=True)


class Proposal(discord.ui.Modal, title="New proposal"):
    name: discord.ui.TextInput[Proposal] = discord.ui.TextInput(label="Title", custom_id="title")
    body: discord.ui.TextInput[Proposal] = discord.ui.TextInput(
        label="Details", style=discord.TextStyle.paragraph, required=False, custom_id="details"
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"proposed {self.name.value}|{self.body.value}")


def build_bot() -> commands.Bot:
    bot = make_bot()
    tree = bot.tree
    initiative = app_commands.Group(name="initiative", description="Initiatives")

    async def complete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        hits = [n for n in INITIATIVES if current.lower() in n.lower()]
        return [app_commands.Choice(name=n, value=n) for n in hits]

    @initiative.command(name="info", description="Show an initiative")
    @app_commands.autocomplete(initiative=complete)
    async def info(
        interaction: discord.Interaction,
        initiative: str,
        channel: discord.TextChannel | None = None,
        private: bool = False,
    ) -> None:
        embed = discord.Embed(
            title=initiative, description=f"in {channel.name if channel else '-'}"
        )
        await interaction.response.send_message(embed=embed, ephemeral=private)

    admin = app_commands.Group(
        name="admin",
        description="Admin",
        default_permissions=discord.Permissions(administrator=True),
    )
    roles = app_commands.Group(name="roles", description="Roles", parent=admin)

    @roles.command(name="grant", description="Grant a role")
    async def grant(
        interaction: discord.Interaction, member: discord.Member, role: discord.Role, count: int = 1
    ) -> None:
        await interaction.response.send_message(f"{member.name} {role.name} {count}")

    tree.add_command(initiative)
    tree.add_command(admin)

    @tree.command(name="rsvp", description="RSVP")
    async def rsvp(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("0 going", view=Votes())

    @tree.command(name="propose", description="Propose")
    async def propose(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Proposal())

    @tree.command(name="slow", description="Deferred")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(0.2)
        await interaction.followup.send("done slowly")
        await interaction.followup.send("and a second message")

    @tree.command(name="export", description="File")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "here", file=discord.File(__import__("io").BytesIO(b"BEGIN:VCALENDAR"), "e.ics")
        )

    @tree.command(name="huge", description="Too big")
    async def huge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=discord.Embed(title="x" * 300))

    @tree.command(name="silent", description="Never answers")
    async def silent(interaction: discord.Interaction) -> None:
        await asyncio.sleep(3.5)

    @tree.command(name="twice", description="Answers twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one")
        await interaction.response.send_message("two")

    return bot


@pytest.fixture
async def bot(pointed_at: Sandbox) -> AsyncIterator[commands.Bot]:
    b = build_bot()
    b.add_view(Votes())
    errors: list[BaseException] = []

    async def on_error(interaction: discord.Interaction, error: BaseException) -> None:
        errors.append(error)

    b.tree.on_error = on_error  # type: ignore[method-assign]
    b.captured_errors = errors  # type: ignore[attr-defined]
    async with running(pointed_at, b):
        await b.tree.sync(guild=discord.Object(id=int(pointed_at.guild.id)))
        b.tree.copy_global_to(guild=discord.Object(id=int(pointed_at.guild.id)))
        await b.tree.sync(guild=discord.Object(id=int(pointed_at.guild.id)))
        yield b


async def test_sync_guild_and_global(pointed_at: Sandbox) -> None:
    sb = pointed_at
    b = build_bot()
    async with running(sb, b):
        synced = await b.tree.sync()
        assert {c.name for c in synced} >= {"initiative", "rsvp", "admin"}
        assert {c.name for c in sb.state.global_commands.values()} == {c.name for c in synced}
        # idempotent: same ids on a second sync
        again = await b.tree.sync()
        assert {c.id for c in again} == {c.id for c in synced}
        guild = discord.Object(id=int(sb.guild.id))
        b.tree.copy_global_to(guild=guild)
        gs = await b.tree.sync(guild=guild)
        assert len(gs) == len(synced)
        fetched = await b.tree.fetch_commands(guild=guild)
        assert {c.name for c in fetched} == {c.name for c in gs}


async def test_slash_with_embed_channel_option_and_ephemeral(
    pointed_at: Sandbox, bot: commands.Bot
) -> None:
    alice = pointed_at.user("alice")
    r = await alice.slash("initiative info", initiative="Humble Lamppost", channel="announcements")
    assert r.embed is not None and r.embed["title"] == "Humble Lamppost"
    assert r.embed["description"] == "in announcements"
    assert not r.ephemeral
    assert pointed_at.messages("general")[-1]["embeds"][0]["title"] == "Humble Lamppost"
    r2 = await alice.slash("initiative info", initiative="X", private=True)
    assert r2.ephemeral and r2.embed is not None
    assert all(m["id"] != r2.message["id"] for m in pointed_at.messages("general"))  # type: ignore[index]


async def test_subcommand_group_with_user_role_int(pointed_at: Sandbox, bot: commands.Bot) -> None:
    sb = pointed_at
    sb.user("bob")
    role = await sb.create_role("Mentor")
    admin = sb.user("admin")
    r = await admin.slash("admin roles grant", member="bob", role="Mentor", count="3")
    assert r.content == f"bob {role.name} 3"
    with pytest.raises(CommandError, match="cannot use"):
        await sb.user("alice").slash("admin roles grant", member="bob", role="Mentor")
    with pytest.raises(CommandError, match="no option"):
        await admin.slash("admin roles grant", member="bob", role="Mentor", nope=1)
    with pytest.raises(CommandError, match="no slash command"):
        await admin.slash("nonexistent")
    with pytest.raises(CommandError, match="missing required"):
        await admin.slash("admin roles grant", member="bob")


async def test_autocomplete(pointed_at: Sandbox, bot: commands.Bot) -> None:
    choices = await pointed_at.user("alice").autocomplete("initiative info", "initiative", "lamp")
    assert [c["name"] for c in choices] == ["Humble Lamppost", "Lamp Post Data", "Smart Lamps"]


async def test_button_click_updates_message(pointed_at: Sandbox, bot: commands.Bot) -> None:
    alice, bob = pointed_at.user("alice"), pointed_at.user("bob")
    r = await alice.slash("rsvp")
    assert r.content == "0 going"
    clicked = await bob.click(r, "Going")
    assert clicked.response_type == 7 and clicked.content == "1 going"
    again = await alice.click("last", "Going")
    assert again.content == "2 going"
    assert pointed_at.messages("general")[-1]["content"] == "2 going"
    picked = await alice.select("last", "Pick a slot", ["Evening"])
    assert picked.content == "slot pm" and picked.ephemeral


async def test_modal_open_and_submit(pointed_at: Sandbox, bot: commands.Bot) -> None:
    alice = pointed_at.user("alice")
    r = await alice.slash("propose")
    assert r.modal is not None and r.modal["title"] == "New proposal"
    with pytest.raises(CommandError, match="required"):
        await alice.submit_modal({"Details": "no title"})
    await alice.slash("propose")
    done = await alice.submit_modal({"Title": "Benches", "Details": "more benches"})
    assert done.content == "proposed Benches|more benches"


async def test_deferred_then_followups(pointed_at: Sandbox, bot: commands.Bot) -> None:
    r = await pointed_at.user("alice").slash("slow")
    assert r.deferred and r.content == "done slowly"  # the first followup fills the deferral
    followups = await r.wait_followups(1)
    assert [m["content"] for m in followups] == ["and a second message"]


async def test_attachment_reply(pointed_at: Sandbox, bot: commands.Bot) -> None:
    r = await pointed_at.user("alice").slash("export")
    assert [(a.filename, a.data) for a in r.attachments] == [("e.ics", b"BEGIN:VCALENDAR")]


async def test_embed_title_too_long_is_refused(pointed_at: Sandbox, bot: commands.Bot) -> None:
    sb = pointed_at
    with pytest.raises(InteractionFailed):
        await sb.user("alice").slash("huge")
    call = sb.log.find("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[-1]
    assert call.status == 400 and call.response["code"] == 50035
    assert "title" in str(call.response["errors"])
    errors = bot.captured_errors  # type: ignore[attr-defined]
    original = getattr(errors[-1], "original", errors[-1])
    assert isinstance(original, discord.HTTPException) and original.code == 50035
    assert any("50035" in f.reason for f in sb.failures)


async def test_channel_message_embed_limits(pointed_at: Sandbox, bot: commands.Bot) -> None:
    channel = bot.get_channel(int(pointed_at.channel("general").id))
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embed=discord.Embed(title="x" * 300))
    assert info.value.code == 50035
    big = [discord.Embed(description="y" * 3000) for _ in range(3)]
    with pytest.raises(discord.HTTPException) as info:
        await channel.send(embeds=big)
    assert info.value.code == 50035


async def test_unanswered_interaction_fails_after_3s(
    pointed_at: Sandbox, bot: commands.Bot
) -> None:
    sb = pointed_at
    with pytest.raises(InteractionFailed, match="not answered"):
        await sb.user("alice").slash("silent")
    assert [f.name for f in sb.failures] == ["silent"]


async def test_callback_rules_over_raw_http(pointed_at: Sandbox, bot: commands.Bot) -> None:
    """Second acknowledgement -> 40060; late first answer -> 10062; followup needs an answer."""
    sb = pointed_at
    r = await sb.user("alice").slash("rsvp")
    url = f"{sb.api_base}/interactions/{r.record.id}/{r.record.token}/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"type": 4, "data": {"content": "again"}}) as resp:
            assert resp.status == 400 and (await resp.json())["code"] == 40060
            assert resp.headers["Content-Type"] == "application/json"
        sb.interactions.response_deadline = 0.05
        silent = next(
            c for c in sb.state.guild_commands[sb.guild.id].values() if c.name == "silent"
        )
        data = {"id": silent.id, "name": "silent", "type": 1}
        late = sb.interactions.create(2, "silent", sb.user("bob").id, sb.channel("general"), data)
        hook = f"{sb.api_base}/webhooks/{sb.application_id}/{late.token}?wait=true"
        async with http.post(hook, json={"content": "too early"}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10015
        await asyncio.wait_for(late.answered.wait(), 2)
        url = f"{sb.api_base}/interactions/{late.id}/{late.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "late"}}) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == 10062
    assert any(f.interaction_id == late.id for f in sb.failures)


async def test_too_many_autocomplete_choices_and_expired_token(pointed_at: Sandbox) -> None:
    sb = pointed_at
    bot = make_bot()

    async def many(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"c{i}", value=f"c{i}") for i in range(30)]

    @bot.tree.command(name="pick", description="Pick")
    @app_commands.autocomplete(thing=many)
    async def pick(interaction: discord.Interaction, thing: str) -> None:
        await interaction.response.send_message(thing)

    async with running(sb, bot):
        guild = discord.Object(id=int(sb.guild.id))
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        sb.interactions.response_deadline = 0.5  # the refusal is what matters here
        with pytest.raises(InteractionFailed):
            await sb.user("alice").autocomplete("pick", "thing", "c")
        assert any("BASE_TYPE_MAX_LENGTH" in f.reason for f in sb.failures)
        sb.interactions.response_deadline = 3.0
        r = await sb.user("alice").slash("pick", thing="x")
        sb.interactions.token_lifetime = 0.0  # 15 minutes have passed
        async with aiohttp.ClientSession() as http:
            url = f"{sb.api_base}/webhooks/{sb.application_id}/{r.record.token}/messages/@original"
            async with http.patch(url, json={"content": "late edit"}) as resp:
                assert resp.status == 401 and (await resp.json())["code"] == 50027
