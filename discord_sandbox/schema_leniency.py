"""Deliberate departures from the spec where real Discord accepts what the spec forbids.

The sandbox must never reject a body that discord.py legitimately sends and Discord accepts:
such a false positive would fail every test that touches the route. Each patch below names
the mismatch it covers (found by ``tests/sandbox/test_schema_discordpy.py``). The spec is
patched in memory only, after loading.
"""

from __future__ import annotations

from typing import Any

# Permission bitsets the spec types as integers; Discord serializes them as strings and
# accepts both, and discord.py sends strings (``Guild.create_role``, ``Role.edit``,
# ``GuildChannel.set_permissions`` -> ``allow``/``deny``).
_PERMISSION_FIELDS = frozenset({"permissions", "allow", "deny", "default_member_permissions"})
_DIGITS = "^(0|[1-9][0-9]*)$"


def apply_leniency(spec: dict[str, Any]) -> None:
    """Patch the loaded spec in place."""
    _accept_integer_snowflakes(spec["components"]["schemas"])
    _accept_string_permissions(spec)
    _accept_media_channels(spec["components"]["schemas"])


def _accept_integer_snowflakes(schemas: dict[str, Any]) -> None:
    """discord.py sends ids as JSON integers in many bodies (``parent_id``, permission
    overwrite ``id``, ``message_reference``, ``recipient_id``, scheduled event ``channel_id``,
    member ``roles``...); Discord accepts them, the spec types snowflakes as strings only."""
    snowflake = schemas["SnowflakeType"]
    snowflake["type"] = ["string", "integer"]
    snowflake["minimum"] = 0  # applies to integers only; strings keep their digit pattern


def _accept_string_permissions(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _accept_string_permissions(item)
        return
    if not isinstance(node, dict):
        return
    properties = node.get("properties")
    if isinstance(properties, dict):
        for name in _PERMISSION_FIELDS & properties.keys():
            _add_digit_string(properties[name])
    for value in node.values():
        _accept_string_permissions(value)


def _add_digit_string(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if "integer" in names and "string" not in names:
        schema["type"] = [*names, "string"]
        schema.setdefault("pattern", _DIGITS)  # applies to strings only


def _accept_media_channels(schemas: dict[str, Any]) -> None:
    """Discord documents GUILD_MEDIA (16) as a channel type, and discord.py puts it in a
    command option's ``channel_types`` for a ``ForumChannel`` parameter; the spec's
    ``ChannelTypes`` enum predates it."""
    variants = schemas["ChannelTypes"].get("oneOf", [])
    if not any(variant.get("const") == 16 for variant in variants):
        variants.append({"title": "GUILD_MEDIA", "description": "A media channel", "const": 16})
