# mypy: disable-error-code="unused-coroutine,no-untyped-call"
# (the HTTP client methods are called for the body they build; their request is a recorder)
"""Bodies discord.py 2.7 really sends must pass the sandbox's schema validation.

The bodies are built by discord.py's own code: the HTTP client's route methods (with their
``request`` replaced by a recorder), ``handle_message_parameters``, the interaction response
helpers, ``Embed.to_dict``, ``View.to_components``, ``Modal.to_dict`` and the app command
tree's ``to_dict``. Arguments mirror what the high-level methods (``Guild.create_role``,
``Member.edit``, ``ForumChannel.create_thread``...) compute before calling them.
A false positive here would fail every sandbox test that touches the route.
"""

from __future__ import annotations

import asyncio
import datetime
import json
from collections.abc import Iterator
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.http import HTTPClient, Route, handle_message_parameters
from discord.webhook.async_ import (
    AsyncWebhookAdapter,
    interaction_message_response_params,
    interaction_response_params,
)

from discord_sandbox.schema import SchemaValidator
from discord_sandbox.validation import given_spec_path

Call = tuple[str, str, Any]  # method, concrete path, JSON body


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    path = given_spec_path()
    if path is None or not path.exists():
        pytest.skip(f"Discord OpenAPI spec not found at {path}: validation tests need it")
    loaded = SchemaValidator.load(path)
    assert loaded is not None
    return loaded


class _Recorder:
    """Stands in for ``HTTPClient.request`` / ``AsyncWebhookAdapter.request``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []

    def __call__(self, route: Route, *args: Any, **kwargs: Any) -> None:
        # Through JSON, as on the wire: tuples become lists.
        body = json.loads(json.dumps(kwargs.get("json", kwargs.get("payload"))))
        self.calls.append((route.method, route.url.removeprefix(Route.BASE), body))


def _http() -> tuple[HTTPClient, _Recorder]:
    recorder = _Recorder()
    http = HTTPClient(asyncio.new_event_loop())
    http.request = recorder  # type: ignore[assignment,method-assign]
    return http, recorder


def _webhook_adapter() -> tuple[AsyncWebhookAdapter, _Recorder]:
    recorder = _Recorder()
    adapter = AsyncWebhookAdapter()
    adapter.request = recorder  # type: ignore[assignment,method-assign]
    return adapter, recorder


def _embed() -> discord.Embed:
    embed = discord.Embed(
        title="Humble Lamppost",
        description="A lamppost that dims when nobody is around.",
        colour=discord.Colour.blurple(),
        url="https://example.org/initiatives/humble-lamppost",
        timestamp=datetime.datetime(2026, 5, 1, 18, 30, tzinfo=datetime.UTC),
    )
    embed.add_field(name="Status", value="Pilot", inline=True)
    embed.add_field(name="Members", value="3", inline=True)
    embed.set_footer(text="Agora", icon_url="https://example.org/icon.png")
    embed.set_author(name="alice", url="https://example.org/alice")
    embed.set_thumbnail(url="https://example.org/thumb.png")
    return embed


def _view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(label="Going", custom_id="rsvp:1:going"))
    view.add_item(
        discord.ui.Button(
            label="Maybe", style=discord.ButtonStyle.secondary, custom_id="rsvp:1:maybe"
        )
    )
    view.add_item(discord.ui.Button(label="Docs", url="https://example.org/docs"))
    view.add_item(
        discord.ui.Select(
            custom_id="pick",
            placeholder="Pick one",
            options=[discord.SelectOption(label="A", value="a", description="first")],
        )
    )
    return view


def _modal() -> discord.ui.Modal:
    modal = discord.ui.Modal(title="Propose an initiative", custom_id="propose")
    modal.add_item(discord.ui.TextInput(label="Title", custom_id="title", max_length=100))
    modal.add_item(
        discord.ui.TextInput(
            label="Pitch", style=discord.TextStyle.paragraph, required=False, default="x"
        )
    )
    return modal


def _labelled_modal() -> discord.ui.Modal:
    modal = discord.ui.Modal(title="Join", custom_id="join")
    modal.add_item(
        discord.ui.Label(
            text="Why?",
            description="Tell us",
            component=discord.ui.TextInput(custom_id="why", style=discord.TextStyle.short),
        )
    )
    return modal


def _command_tree_bodies() -> list[Any]:
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    initiative = app_commands.Group(name="initiative", description="Initiatives")

    @initiative.command(name="info", description="Show an initiative")
    @app_commands.describe(initiative="Which initiative")
    async def info(interaction: discord.Interaction, initiative: str) -> None: ...

    @info.autocomplete("initiative")
    async def complete(interaction: discord.Interaction, current: str) -> list[Any]:
        return []

    @initiative.command(name="join", description="Join one")
    async def join(
        interaction: discord.Interaction,
        name: str,
        count: app_commands.Range[int, 1, 10] = 1,
        ratio: float = 0.5,
        public: bool = False,
        member: discord.Member | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        level: app_commands.Choice[str] | None = None,
    ) -> None: ...

    @app_commands.command(name="admin", description="Admin tools", nsfw=False)
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def admin(
        interaction: discord.Interaction, text: app_commands.Range[str, 1, 50]
    ) -> None: ...

    @app_commands.command(name="ping", description="Pong")
    @app_commands.allowed_installs(guilds=True, users=True)
    @app_commands.allowed_contexts(guilds=True, dms=True, private_channels=True)
    async def ping(interaction: discord.Interaction) -> None: ...

    @app_commands.context_menu(name="Report")
    async def report(interaction: discord.Interaction, message: discord.Message) -> None: ...

    tree.add_command(initiative)
    tree.add_command(admin)
    tree.add_command(ping)
    tree.add_command(report)
    return [command.to_dict(tree) for command in tree.get_commands()]


def _rest_calls() -> Iterator[Call]:
    http, recorder = _http()
    embed, view = _embed(), _view()
    none_mentioned = discord.AllowedMentions.none()
    with handle_message_parameters(
        content="Hello",
        embed=embed,
        view=view,
        allowed_mentions=discord.AllowedMentions(everyone=False, users=True, roles=False),
        previous_allowed_mentions=none_mentioned,
        nonce=1234567890,
        mention_author=False,
        message_reference=discord.MessageReference(message_id=111, channel_id=222).to_dict(),
    ) as params:
        http.send_message(123, params=params)
    with handle_message_parameters(content="plain", allowed_mentions=none_mentioned) as params:
        http.send_message(123, params=params)
    with handle_message_parameters(content=None, embeds=[embed, embed], view=None) as params:
        http.edit_message(123, 456, params=params)
    http.create_channel(
        9,
        discord.ChannelType.text.value,
        name="humble-lamppost",
        parent_id=77,
        topic="Talk about it",
        permission_overwrites=[
            {"allow": 1024, "deny": 0, "id": 9, "type": 0},
            {"allow": 0, "deny": 2048, "id": 10, "type": 1},
        ],
    )
    http.create_channel(9, discord.ChannelType.category.value, name="Initiatives", position=2)
    http.create_channel(
        9,
        discord.ChannelType.forum.value,
        name="ideas",
        available_tags=[{"name": "open", "moderated": False, "emoji_id": None, "emoji_name": "🟢"}],
        default_reaction_emoji={"emoji_id": None, "emoji_name": "👍"},
    )
    http.edit_channel(5, name="renamed", topic=None, archived=True, locked=False)
    http.edit_channel_permissions(5, 10, "1024", "0", 0)
    http.create_role(
        9, name="Lamppost crew", permissions="0", color=0x3498DB, hoist=False, mentionable=True
    )
    http.edit_role(
        9, 33, name="Crew", permissions=str(discord.Permissions(send_messages=True).value)
    )
    http.add_role(9, 44, 33)
    http.remove_role(9, 44, 33)
    http.edit_member(9, 44, roles=(33, 34), nick="Al")
    http.start_thread_without_message(
        5, name="Pilot results", auto_archive_duration=1440, type=11, invitable=True
    )
    http.start_thread_with_message(5, 6, name="Pilot results", auto_archive_duration=60)
    with handle_message_parameters(
        content="first post",
        allowed_mentions=none_mentioned,
        channel_payload={
            "name": "Pilot results",
            "auto_archive_duration": 4320,
            "rate_limit_per_user": None,
            "type": 11,
            "applied_tags": ["55"],
        },
    ) as params:
        http.start_thread_in_forum(5, params=params)
    start = datetime.datetime(2026, 6, 1, 18, 0, tzinfo=datetime.UTC)
    http.create_guild_scheduled_event(
        9,
        name="Lamppost walk",
        scheduled_start_time=start.isoformat(),
        scheduled_end_time=(start + datetime.timedelta(hours=2)).isoformat(),
        entity_type=discord.EntityType.external.value,
        privacy_level=discord.PrivacyLevel.guild_only.value,
        description="Walk along the lampposts",
        entity_metadata={"location": "Main square"},
    )
    http.create_guild_scheduled_event(
        9,
        name="Voice meetup",
        scheduled_start_time=start.isoformat(),
        entity_type=discord.EntityType.voice.value,
        privacy_level=discord.PrivacyLevel.guild_only.value,
        channel_id=12,
    )
    http.edit_scheduled_event(
        9,
        66,
        name="Moved walk",
        scheduled_start_time=start.isoformat(),
        status=2,
        description=None,
    )
    http.start_private_message(44)
    http.bulk_upsert_global_commands(1, _command_tree_bodies())
    http.bulk_upsert_guild_commands(1, 9, _command_tree_bodies())
    yield from recorder.calls


def _interaction_calls() -> Iterator[Call]:
    adapter, recorder = _webhook_adapter()
    embed, view = _embed(), _view()
    session: Any = None
    responses = [
        interaction_message_response_params(
            type=4,
            content="Hi",
            embed=embed,
            view=view,
            flags=discord.MessageFlags(ephemeral=True),
            allowed_mentions=discord.AllowedMentions.none(),
        ),
        interaction_message_response_params(type=4, content="Hi"),
        interaction_response_params(type=5, data={"flags": 64}),
        interaction_response_params(type=5),
        interaction_response_params(type=6),
        interaction_message_response_params(type=7, content="Updated", embed=None, view=None),
        interaction_message_response_params(type=7, embeds=[embed], view=view),
        interaction_response_params(
            type=8,
            data={"choices": [{"name": "Humble Lamppost", "value": "Humble Lamppost"}]},
        ),
        interaction_response_params(type=8, data={"choices": []}),
        interaction_response_params(type=9, data=_modal().to_dict()),
        interaction_response_params(type=9, data=_labelled_modal().to_dict()),
    ]
    for params in responses:
        adapter.create_interaction_response(42, "tok", session=session, params=params)
    with handle_message_parameters(
        content="followup",
        embed=embed,
        view=view,
        flags=discord.MessageFlags(ephemeral=True),
        allowed_mentions=discord.AllowedMentions.none(),
    ) as params:
        adapter.execute_webhook(1, "tok", session=session, payload=params.payload, wait=True)
    with handle_message_parameters(content="edited", embed=embed, view=view) as params:
        adapter.edit_original_interaction_response(
            1, "tok", session=session, payload=params.payload
        )
        adapter.edit_webhook_message(1, "tok", 99, session=session, payload=params.payload)
    yield from recorder.calls


_ALL_CALLS = [*_rest_calls(), *_interaction_calls()]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    _ALL_CALLS,
    ids=[f"{method} {path} #{index}" for index, (method, path, _) in enumerate(_ALL_CALLS)],
)
def test_discordpy_body_passes(
    validator: SchemaValidator, method: str, path: str, body: Any
) -> None:
    assert validator.match_route(method, path) is not None, f"{method} {path} not in the spec"
    assert validator.validate_request(method, path, body) is None
