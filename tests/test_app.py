"""The Bot's own duties: the single error handler, hashed command sync, quiet mentions."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.cogs.shared.error_handler import errors_answered, user_message_for
from bot.errors import InvalidInput
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.conftest import AgoraStarter


class RefusedBodyCog(commands.Cog):
    """A test-only command whose reply Discord refuses: an embed title of 300 characters."""

    @app_commands.command(name="too-long", description="Sends an embed Discord refuses")
    async def too_long(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(embed=discord.Embed(title="x" * 300))


class RefusingButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"test:refuse"
):
    """A test-only restart-proof button whose callback raises a known error."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Refuse", custom_id="test:refuse"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RefusingButton:
        return cls()

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        raise InvalidInput("That button refuses, as it should.")


class RefusingButtonCog(commands.Cog):
    @app_commands.command(name="refusing-button", description="Posts a button that refuses")
    async def post(self, interaction: discord.Interaction) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(RefusingButton())
        await interaction.response.send_message("Click it.", view=view)


async def test_refused_body_reaches_the_error_handler(
    sandbox: Sandbox, agora: RunningAgora, caplog: pytest.LogCaptureFixture
) -> None:
    bot = agora.bot
    await bot.add_cog(RefusedBodyCog())
    guild = discord.Object(int(sandbox.guild.id))
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)

    with caplog.at_level(logging.ERROR, logger="bot.cogs.shared.error_handler"):
        result = await sandbox.user("alice").slash("too-long")
    refused = [c for c in sandbox.log if c.status == 400 and "callback" in c.path]
    assert refused and refused[0].response["code"] == 50035
    assert "embeds" in str(refused[0].response["errors"])
    # The handler answered with an apology and an error id, and logged the cause.
    assert result.ephemeral and "error id" in result.text
    assert any("50035" in record.getMessage() or record.exc_info for record in caplog.records)


async def test_commands_are_synced_only_when_they_change(
    sandbox: Sandbox, start_agora_fn: AgoraStarter
) -> None:
    first = await start_agora_fn()
    syncs = [c for c in sandbox.log if c.method == "PUT" and "/commands" in c.path]
    assert len(syncs) == 1
    await first.stop()
    await start_agora_fn()
    syncs = [c for c in sandbox.log if c.method == "PUT" and "/commands" in c.path]
    assert len(syncs) == 1, "an unchanged command set must not be synced again"


async def test_default_allowed_mentions_are_none(agora: RunningAgora) -> None:
    mentions = agora.bot.allowed_mentions
    assert mentions is not None
    assert mentions.to_dict() == {"parse": []}


def test_known_errors_become_messages() -> None:
    assert user_message_for(InvalidInput("Write the date like 2017-06-20.")) == (
        "Write the date like 2017-06-20."
    )
    wrapped = app_commands.CommandInvokeError.__new__(app_commands.CommandInvokeError)
    wrapped.original = InvalidInput("bad")
    assert user_message_for(wrapped) == "bad"
    assert user_message_for(RuntimeError("boom")) is None


async def test_messages_reach_the_hook_and_a_failing_hook_is_only_logged(
    sandbox: Sandbox, agora: RunningAgora, caplog: pytest.LogCaptureFixture
) -> None:
    bot = agora.bot
    seen: list[int] = []
    counting = bot.message_hook
    assert counting is not None, "the activity cog installs the message hook"

    def failing(message: discord.Message) -> None:
        seen.append(message.id)
        raise RuntimeError("hook broke")

    bot.message_hook = failing
    with caplog.at_level(logging.ERROR, logger="bot.app"):
        posted = await sandbox.user("alice").say("general", "hello")
        await sandbox.drain_gateway()
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
    assert seen == [int(posted["id"])]
    assert any("counting a message failed" in r.getMessage() for r in caplog.records)
    # The gateway reader was not disturbed: commands still answer.
    result = await sandbox.user("alice").slash("initiative info", initiative="Humble Lamppost")
    assert result.embed is not None
    bot.message_hook = counting


class MessageListenerCog(commands.Cog):
    """A test-only cog listening for messages, as any new cog might."""

    def __init__(self) -> None:
        self.heard: asyncio.Queue[int] = asyncio.Queue()

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.heard.put(message.id)


async def test_message_listeners_and_wait_for_receive_messages_beside_the_hook(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot = agora.bot
    assert not bot.listens_for_messages()  # Agora alone: only the hook, the fast path
    alice_id = int(sandbox.user("alice").id)  # no Message Content intent: ids, not text
    waiting = asyncio.ensure_future(
        bot.wait_for("message", check=lambda m: m.author.id == alice_id, timeout=5)
    )
    await asyncio.sleep(0)  # let wait_for register before the message arrives
    posted = await sandbox.user("alice").say("general", "first")
    message = await waiting
    assert message.id == int(posted["id"])

    listener = MessageListenerCog()
    await bot.add_cog(listener)
    try:
        posted = await sandbox.user("alice").say("general", "second")
        assert await asyncio.wait_for(listener.heard.get(), 5) == int(posted["id"])
    finally:
        await bot.remove_cog(listener.qualified_name)
    assert not bot.listens_for_messages()


async def test_an_error_in_a_restart_proof_button_is_answered(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    bot = agora.bot
    await bot.add_cog(RefusingButtonCog())
    bot.add_dynamic_items(RefusingButton)
    guild = discord.Object(int(sandbox.guild.id))
    bot.tree.copy_global_to(guild=guild)
    await bot.tree.sync(guild=guild)
    posted = await sandbox.user("alice").slash("refusing-button")
    clicked = await sandbox.user("alice").click(posted, "Refuse")
    assert clicked.ephemeral and clicked.text == "That button refuses, as it should."
