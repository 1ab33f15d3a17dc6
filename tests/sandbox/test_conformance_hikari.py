"""A small bot written with hikari, a client library nobody here wrote, against the sandbox:
unmodified and unpatched, only given the sandbox's REST URL (the gateway URL it reads from
``GET /gateway/bot``, as from Discord). hikari asks for zlib-stream transport compression by
default, sends its payloads as binary frames and reads the bot id out of the token.

One bot runs through READY and GUILD_CREATE, a slash command, defer + edit + followup, a
button and its update, a modal and its reply, a thread, a role given, a scheduled event, a DM,
a member's message received, and a RESUME after a forced RECONNECT (op 7)."""

from __future__ import annotations

import asyncio
import datetime
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import hikari
import pytest

from discord_sandbox import Sandbox

E = TypeVar("E", bound=hikari.Event)
TIMEOUT = 10.0

INTENTS = (
    hikari.Intents.ALL_UNPRIVILEGED | hikari.Intents.GUILD_MEMBERS | hikari.Intents.MESSAGE_CONTENT
)


class Recorder:
    """Every event the bot received, in order; waited for on a condition (never by sleeping)."""

    def __init__(self) -> None:
        self.events: list[hikari.Event] = []
        self.changed = asyncio.Condition()

    async def add(self, event: hikari.Event) -> None:
        async with self.changed:
            self.events.append(event)
            self.changed.notify_all()

    async def wait(self, kind: type[E], predicate: Callable[[E], bool] = lambda _e: True) -> E:
        def found() -> E | None:
            return next(
                (e for e in self.events if isinstance(e, kind) and predicate(e)),
                None,
            )

        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: found() is not None), TIMEOUT)
        event = found()
        assert event is not None
        return event


class HikariBot:
    """A plain hikari GatewayBot with a few guild commands, as anyone would write it."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.bot = hikari.GatewayBot(
            sb.bot_token,
            rest_url=sb.api_base,  # hikari's own option for another REST base URL
            intents=INTENTS,
            banner=None,
            logs=None,
            suppress_optimization_warning=True,
        )
        self.recorder = Recorder()
        self.errors: list[BaseException] = []
        self.bot.subscribe(hikari.Event, self.recorder.add)
        self.bot.subscribe(hikari.InteractionCreateEvent, self._guarded)

    async def register_commands(self, guild_id: int) -> None:
        rest = self.bot.rest
        application = await rest.fetch_application()
        ping = rest.slash_command_builder("ping", "Answers").add_option(
            hikari.CommandOption(
                type=hikari.OptionType.STRING, name="word", description="A word", is_required=True
            )
        )
        builders = [ping] + [
            rest.slash_command_builder(name, f"The {name} step")
            for name in ("slow", "button", "form", "thread", "role", "event", "dm")
        ]
        await rest.set_application_commands(application.id, builders, guild_id)

    async def _guarded(self, event: hikari.InteractionCreateEvent) -> None:
        try:
            await self.on_interaction(event.interaction)
        except Exception as error:  # surfaced by the test, not only logged by hikari
            self.errors.append(error)
            raise

    async def on_interaction(self, interaction: hikari.PartialInteraction) -> None:
        rest = self.bot.rest
        message = hikari.ResponseType.MESSAGE_CREATE
        if isinstance(interaction, hikari.ComponentInteraction):
            assert interaction.custom_id == "hk:go"
            await interaction.create_initial_response(
                hikari.ResponseType.MESSAGE_UPDATE, "pressed", components=[]
            )
            return
        if isinstance(interaction, hikari.ModalInteraction):
            text = interaction.components[0].components[0]
            assert isinstance(text, hikari.TextInputComponent)
            await interaction.create_initial_response(message, f"got {text.value}")
            return
        assert isinstance(interaction, hikari.CommandInteraction)
        guild_id = interaction.guild_id
        assert guild_id is not None
        name = interaction.command_name
        if name == "ping":
            options = interaction.options or ()
            await interaction.create_initial_response(message, f"pong {options[0].value}")
        elif name == "slow":
            await interaction.create_initial_response(hikari.ResponseType.DEFERRED_MESSAGE_CREATE)
            await interaction.edit_initial_response("edited")
            await interaction.execute("and a followup")
        elif name == "button":
            row = rest.build_message_action_row().add_interactive_button(
                hikari.ButtonStyle.PRIMARY, "hk:go", label="Go"
            )
            await interaction.create_initial_response(message, "press", component=row)
        elif name == "form":
            row = rest.build_modal_action_row().add_text_input("text", "Text")
            await interaction.create_modal_response("Form", "hk:form", component=row)
        elif name == "thread":
            thread = await rest.create_thread(
                interaction.channel_id, hikari.ChannelType.GUILD_PUBLIC_THREAD, "Pilot results"
            )
            await rest.create_message(thread, "first post")
            await interaction.create_initial_response(message, f"opened {thread.name}")
        elif name == "role":
            role = await rest.create_role(guild_id, name="Helper")
            await rest.add_role_to_member(guild_id, interaction.user, role)
            await interaction.create_initial_response(message, f"gave {role.name}")
        elif name == "event":
            start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
            event = await rest.create_external_event(
                guild_id, "Lamppost walk", "Town hall", start, start + datetime.timedelta(hours=1)
            )
            await interaction.create_initial_response(message, f"planned {event.name}")
        elif name == "dm":
            dm = await rest.create_dm_channel(interaction.user)
            await dm.send("hello in private")
            await interaction.create_initial_response(
                message, "sent", flags=hikari.MessageFlag.EPHEMERAL
            )


@pytest.fixture
async def hikari_bot(sandbox: Sandbox) -> AsyncIterator[HikariBot]:
    sb = sandbox
    sb.user("alice")
    wrapper = HikariBot(sb)
    await asyncio.wait_for(wrapper.bot.start(), TIMEOUT)
    try:
        yield wrapper
    finally:
        await asyncio.wait_for(wrapper.bot.close(), TIMEOUT)


async def test_a_hikari_bot_runs_unchanged_against_the_sandbox(
    sandbox: Sandbox, hikari_bot: HikariBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="hikari")
    sb, bot, seen = sandbox, hikari_bot.bot, hikari_bot.recorder
    guild_id = int(sb.guild.id)

    # READY and GUILD_CREATE; the bot's id read from the token matches READY's user.
    ready = await seen.wait(hikari.ShardReadyEvent)
    assert str(ready.my_user.id) == sb.bot_user_id == str(bot.token_id)
    await seen.wait(hikari.GuildAvailableEvent, lambda e: e.guild_id == guild_id)
    guild = bot.cache.get_guild(guild_id)
    assert guild is not None and guild.name == "EIP-SCC"
    assert {c.name for c in bot.cache.get_guild_channels_view_for_guild(guild_id).values()} == {
        "general",
        "announcements",
    }

    await hikari_bot.register_commands(guild_id)
    alice = sb.user("alice")

    # A slash command answered.
    pong = await alice.slash("ping", word="lamps")
    assert pong.content == "pong lamps" and not pong.ephemeral

    # Defer, edit the original, then a followup.
    slow = await alice.slash("slow")
    assert slow.deferred and slow.content == "edited"
    followups = await slow.wait_followups(1, timeout=TIMEOUT)
    assert [m["content"] for m in followups] == ["and a followup"]

    # A button and its update.
    press = await alice.slash("button")
    assert press.message is not None
    clicked = await alice.click(press.message["id"], "Go")
    assert clicked.response_type == 7 and clicked.content == "pressed"
    assert sb.messages("general")[-1]["content"] == "pressed"

    # A modal and its reply.
    form = await alice.slash("form")
    assert form.modal is not None and form.modal["title"] == "Form"
    reply = await alice.submit_modal({"Text": "benches"})
    assert reply.content == "got benches"

    # A thread with its first post.
    opened = await alice.slash("thread")
    assert opened.content == "opened Pilot results"
    thread = sb.channel("Pilot results")
    assert [m["content"] for m in sb.messages(thread)] == ["first post"]

    # A role made and given.
    gave = await alice.slash("role")
    assert gave.content == "gave Helper"
    assert sb.role("Helper").id in sb.member(alice).roles

    # A scheduled event.
    planned = await alice.slash("event")
    assert planned.content == "planned Lamppost walk"
    assert sb.event("Lamppost walk").location == "Town hall"

    # A DM.
    sent = await alice.slash("dm")
    assert sent.ephemeral and [m["content"] for m in sb.dms(alice)] == ["hello in private"]

    # A member's message received, content included.
    await alice.say("general", "good evening")
    said = await seen.wait(hikari.GuildMessageCreateEvent, lambda e: e.content == "good evening")
    assert said.author.username == "alice"

    # A forced RECONNECT (op 7): hikari resumes its session and receives what follows.
    await sb.gateway_reconnect()
    await seen.wait(hikari.ShardResumedEvent)
    await alice.say("general", "after the resume")
    await seen.wait(hikari.GuildMessageCreateEvent, lambda e: e.content == "after the resume")
    assert sb.gateway.identify_count == 1 and sb.gateway.resume_count == 1

    # On the wire: zlib-stream on every connection, payloads sent as binary frames.
    connections = list(sb.gateway.connections_opened)
    assert len(connections) == 2
    assert all(c.transport_compression == "zlib-stream" for c in connections)
    assert all(c.binary_frames_received >= 1 for c in connections)

    assert hikari_bot.errors == []
    assert sb.failures == []
    refused = [c for c in sb.log if c.status >= 400]
    assert refused == []
    complaints: list[Any] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert complaints == []
