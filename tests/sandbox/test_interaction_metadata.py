"""Message interaction metadata as Discord builds it for each kind of interaction: a command's
reply, a component's, and a modal submission's, whose triggering metadata is that of the
command or the button that opened the modal. Read by an unmodified discord.py bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest
from discord.ext import commands

from discord_sandbox import Sandbox
from tests.sandbox.conftest import make_bot, running


class Form(discord.ui.Modal, title="Form"):
    text: discord.ui.TextInput[Form] = discord.ui.TextInput(label="Text", custom_id="text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"got {self.text.value}")
        await interaction.followup.send(f"and again {self.text.value}")


class Opener(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Open form", custom_id="meta:open")
    async def open(
        self, interaction: discord.Interaction, button: discord.ui.Button[Opener]
    ) -> None:
        await interaction.response.send_modal(Form())


class Inbox:
    """The messages the bot received, by content; waited for on a condition."""

    def __init__(self) -> None:
        self.messages: dict[str, discord.Message] = {}
        self.changed = asyncio.Condition()

    async def add(self, message: discord.Message) -> None:
        async with self.changed:
            self.messages[message.content] = message
            self.changed.notify_all()

    async def get(self, content: str) -> discord.Message:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: content in self.messages), 5)
        return self.messages[content]


def build_bot(inbox: Inbox) -> commands.Bot:
    bot = make_bot()

    @bot.tree.command(name="form", description="Opens the form")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Form())

    @bot.tree.command(name="opener", description="A button that opens the form")
    async def opener(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press", view=Opener())

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"quoted {message.content}")

    @bot.event
    async def on_message(message: discord.Message) -> None:
        await inbox.add(message)

    return bot


@pytest.fixture
async def inbox(pointed_at: Sandbox) -> AsyncIterator[Inbox]:
    box = Inbox()
    bot = build_bot(box)
    bot.add_view(Opener())
    guild = discord.Object(int(pointed_at.guild.id))
    async with running(pointed_at, bot):
        bot.tree.copy_global_to(guild=guild)
        await bot.tree.sync(guild=guild)
        yield box


async def test_reply_to_a_modal_opened_by_a_command(pointed_at: Sandbox, inbox: Inbox) -> None:
    alice = pointed_at.user("alice")
    opened = await alice.slash("form")
    submitted = await alice.submit_modal({"Text": "benches"})
    reply = submitted.message
    assert reply is not None
    meta = reply["interaction_metadata"]
    assert meta["id"] == submitted.record.id and meta["type"] == 5
    assert meta["user"]["id"] == alice.id
    assert "interacted_message_id" not in meta
    trigger = meta["triggering_interaction_metadata"]
    assert trigger["id"] == opened.record.id and trigger["type"] == 2
    assert trigger["user"]["id"] == alice.id
    assert "authorizing_integration_owners" in trigger
    # discord.py reads it whole: the submission, and the command that opened the modal.
    message = await inbox.get("got benches")
    read = message.interaction_metadata
    assert read is not None and read.user.name == "alice"
    assert read.type is discord.InteractionType.modal_submit
    assert read.modal_interaction is not None
    assert read.modal_interaction.id == int(opened.record.id)
    assert read.modal_interaction.type is discord.InteractionType.application_command
    assert read.modal_interaction.user.name == "alice"
    # A followup names the original response too.
    followup = (await submitted.wait_followups(1))[0]
    assert followup["interaction_metadata"]["original_response_message_id"] == reply["id"]
    assert followup["interaction_metadata"]["triggering_interaction_metadata"]["id"] == (
        opened.record.id
    )


async def test_reply_to_a_modal_opened_by_a_button(pointed_at: Sandbox, inbox: Inbox) -> None:
    alice = pointed_at.user("alice")
    press = await alice.slash("opener")
    assert press.message is not None
    clicked = await alice.click(press.message["id"], "Open form")
    submitted = await alice.submit_modal({"Text": "racks"})
    assert submitted.message is not None
    meta = submitted.message["interaction_metadata"]
    assert meta["type"] == 5 and meta["user"]["id"] == alice.id
    trigger = meta["triggering_interaction_metadata"]
    assert trigger["id"] == clicked.record.id and trigger["type"] == 3
    assert trigger["interacted_message_id"] == press.message["id"]
    message = await inbox.get("got racks")
    assert message.interaction_metadata is not None
    opener = message.interaction_metadata.modal_interaction
    assert opener is not None and opener.type is discord.InteractionType.component
    assert opener.interacted_message_id == int(press.message["id"])


async def test_command_and_context_menu_metadata(pointed_at: Sandbox, inbox: Inbox) -> None:
    alice = pointed_at.user("alice")
    said = await alice.say("general", "lamps at dusk")
    quoted = await alice.message_command("Quote", said["id"])
    assert quoted.message is not None
    meta = quoted.message["interaction_metadata"]
    assert meta["type"] == 2 and meta["user"]["id"] == alice.id
    assert meta["target_message_id"] == said["id"]
    assert quoted.message["type"] == 23  # CONTEXT_MENU_COMMAND
    press = await alice.slash("opener")
    assert press.message is not None and press.message["type"] == 20  # CHAT_INPUT_COMMAND
    assert "target_message_id" not in press.message["interaction_metadata"]
