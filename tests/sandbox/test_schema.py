"""The sandbox's validation against Discord's OpenAPI spec (discord_sandbox/schema.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from discord_sandbox.schema import SchemaValidator, default_spec_path
from discord_sandbox.schema_compile import SchemaCompiler

MAX_LENGTH_256 = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}
REQUIRED = {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}


def _spec_path() -> Path:
    path = default_spec_path()
    if not path.exists():
        pytest.skip(f"Discord OpenAPI spec not found at {path}: validation tests need it")
    return path


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    loaded = SchemaValidator.load(_spec_path())
    assert loaded is not None
    return loaded


def _message_body() -> dict[str, Any]:
    return {
        "content": "Hello",
        "embeds": [
            {
                "type": "rich",
                "title": "Humble Lamppost",
                "description": "A lamppost",
                "color": 0x5865F2,
                "fields": [{"name": "Status", "value": "Pilot", "inline": True}],
                "footer": {"text": "Agora"},
            }
        ],
        "components": [
            {
                "type": 1,
                "components": [
                    {"type": 2, "style": 1, "label": "Going", "custom_id": "rsvp:going"},
                    {"type": 2, "style": 2, "label": "Maybe", "custom_id": "rsvp:maybe"},
                ],
            }
        ],
        "allowed_mentions": {"parse": []},
        "nonce": "1234",
        "enforce_nonce": True,
        "tts": False,
    }


def test_valid_message_passes(validator: SchemaValidator) -> None:
    assert validator.validate_request("POST", "/channels/123/messages", _message_body()) is None


def test_long_embed_title_reports_discord_path(validator: SchemaValidator) -> None:
    body = _message_body()
    body["embeds"][0]["title"] = "x" * 300
    errors = validator.validate_request("POST", "/channels/123/messages", body)
    assert errors == {"embeds": {"0": {"title": {"_errors": [MAX_LENGTH_256]}}}}


def test_long_embed_title_inside_interaction_callback_union(validator: SchemaValidator) -> None:
    body = {"type": 4, "data": {"embeds": [{"title": "x" * 300}], "tts": False}}
    errors = validator.validate_request("POST", "/interactions/1/token/callback", body)
    assert errors == {"data": {"embeds": {"0": {"title": {"_errors": [MAX_LENGTH_256]}}}}}


def test_modal_without_custom_id_reports_missing_field(validator: SchemaValidator) -> None:
    body = {"type": 9, "data": {"title": "Propose", "components": []}}
    errors = validator.validate_request("POST", "/interactions/1/token/callback", body)
    assert errors is not None
    assert errors["data"]["custom_id"] == {"_errors": [REQUIRED]}


def test_unknown_callback_type_lists_the_choices(validator: SchemaValidator) -> None:
    errors = validator.validate_request("POST", "/interactions/1/t/callback", {"type": 99})
    assert errors is not None
    (entry,) = errors["type"]["_errors"]
    assert entry["code"] == "BASE_TYPE_CHOICES"
    assert "4" in entry["message"] and "9" in entry["message"]


def test_wrong_types(validator: SchemaValidator) -> None:
    body = {"content": 5, "embeds": [{"color": -1}], "allowed_mentions": "everyone"}
    errors = validator.validate_request("POST", "/channels/1/messages", body)
    assert errors is not None
    assert errors["content"]["_errors"][0]["code"] == "STRING_TYPE_CONVERT"
    assert errors["embeds"]["0"]["color"]["_errors"][0]["code"] == "NUMBER_TYPE_MIN"
    assert errors["allowed_mentions"]["_errors"][0]["code"] == "MODEL_TYPE_CONVERT"
    whole = validator.validate_request("POST", "/channels/1/messages", ["not", "an", "object"])
    assert whole == {
        "_errors": [
            {
                "code": "MODEL_TYPE_CONVERT",
                "message": "Only dictionaries may be used in a ModelType",
            }
        ]
    }


def test_array_bounds_give_bad_length(validator: SchemaValidator) -> None:
    body = {"components": [{"type": 1, "components": []}]}
    errors = validator.validate_request("POST", "/channels/1/messages", body)
    assert errors == {
        "components": {
            "0": {
                "components": {
                    "_errors": [
                        {
                            "code": "BASE_TYPE_BAD_LENGTH",
                            "message": "Must be between 1 and 5 in length.",
                        }
                    ]
                }
            }
        }
    }


def test_missing_required_field(validator: SchemaValidator) -> None:
    body = {"name": "x" * 101}
    errors = validator.validate_request("POST", "/guilds/1/channels", {})
    assert errors == {"name": {"_errors": [REQUIRED]}}
    errors = validator.validate_request("POST", "/guilds/1/channels", body)
    assert errors is not None and errors["name"]["_errors"][0]["code"] == "BASE_TYPE_BAD_LENGTH"


def test_snowflake_strings_are_checked(validator: SchemaValidator) -> None:
    body = {"content": "x", "message_reference": {"message_id": "abc"}}
    errors = validator.validate_request("POST", "/channels/1/messages", body)
    assert errors is not None
    entry = errors["message_reference"]["message_id"]["_errors"][0]
    assert entry == {"code": "NUMBER_TYPE_COERCE", "message": 'Value "abc" is not snowflake.'}


def test_unknown_route_or_no_body_schema_is_not_validated(validator: SchemaValidator) -> None:
    assert validator.match_route("POST", "/no/such/route") is None
    assert validator.validate_request("POST", "/no/such/route", {"anything": 1}) is None
    # PUT member role has no request body in the spec.
    assert validator.validate_request("PUT", "/guilds/1/members/2/roles/3", None) is None


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/users/@me", "/users/@me"),
        ("GET", "/users/42", "/users/{user_id}"),
        ("GET", "/api/v10/users/42?with_counts=true", "/users/{user_id}"),
        (
            "PATCH",
            "/webhooks/1/tok/messages/@original",
            "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        ),
        (
            "PATCH",
            "/webhooks/1/tok/messages/9",
            "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        ),
        (
            "POST",
            "/interactions/1/tok/callback",
            "/interactions/{interaction_id}/{interaction_token}/callback",
        ),
        ("POST", "/channels/1/messages/bulk-delete", "/channels/{channel_id}/messages/bulk-delete"),
        ("GET", "/channels/1/messages/2", "/channels/{channel_id}/messages/{message_id}"),
        (
            "DELETE",
            "/guilds/1/members/2/roles/3",
            "/guilds/{guild_id}/members/{user_id}/roles/{role_id}",
        ),
        ("POST", "/users/42", None),  # the route exists, not for this method
    ],
)
def test_match_route(
    validator: SchemaValidator, method: str, path: str, template: str | None
) -> None:
    assert validator.match_route(method, path) == template


def _user(**extra: Any) -> dict[str, Any]:
    user = {
        "id": "1000",
        "username": "alice",
        "avatar": None,
        "discriminator": "0",
        "public_flags": 0,
        "flags": 0,
        "global_name": None,
        "primary_guild": None,
    }
    user.update(extra)
    return user


def test_response_user(validator: SchemaValidator) -> None:
    assert validator.validate_response("GET", "/users/1000", 200, _user()) == []
    problems = validator.validate_response("GET", "/users/1000", 200, _user(id=1000))
    assert problems and problems[0].startswith("id:")
    missing = _user()
    del missing["username"]
    assert validator.validate_response("GET", "/users/1000", 200, missing) == [
        "username: BASE_TYPE_REQUIRED: This field is required"
    ]


def test_response_channel(validator: SchemaValidator) -> None:
    channel = {
        "id": "2000",
        "type": 0,
        "flags": 0,
        "guild_id": "1",
        "name": "humble-lamppost",
        "position": 0,
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "permission_overwrites": [],
        "rate_limit_per_user": 0,
        "last_message_id": None,
    }
    assert validator.validate_response("GET", "/channels/2000", 200, channel) == []
    assert validator.validate_response("GET", "/channels/2000", 200, {**channel, "type": 77}) != []


def test_response_message(validator: SchemaValidator) -> None:
    message = {
        "id": "3000",
        "channel_id": "2000",
        "type": 0,
        "content": "hi",
        "author": _user(bot=True),
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [{"type": "rich", "title": "T"}],
        "components": [],
        "timestamp": "2026-05-01T18:30:00.000000+00:00",
        "edited_timestamp": None,
        "flags": 0,
        "pinned": False,
        "mention_everyone": False,
        "tts": False,
    }
    assert validator.validate_response("POST", "/channels/2000/messages", 200, message) == []
    assert validator.validate_response("POST", "/channels/2000/messages", 200, {}) != []


def test_response_status_and_empty_bodies(validator: SchemaValidator) -> None:
    path = "/guilds/1/members/2/roles/3"
    assert validator.validate_response("PUT", path, 204, None) == []
    error = {"code": 50035, "message": "Invalid Form Body", "errors": {}}
    assert validator.validate_response("POST", "/channels/1/messages", 400, error) == []
    assert validator.validate_response("PUT", path, 200, None) != []
    assert validator.validate_response("GET", "/nope", 200, {}) != []


def test_spec_missing_prints_one_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert SchemaValidator.load(tmp_path / "absent.json") is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "validation is off" in err and "absent.json" in err


def test_every_spec_schema_compiles_to_fast_checks() -> None:
    """No schema falls back to the slow interpreter: the fast path covers the whole spec."""
    spec = json.loads(_spec_path().read_text(encoding="utf-8"))
    compiler = SchemaCompiler(spec)
    for name in spec["components"]["schemas"]:
        compiler.compile_pointer(f"/components/schemas/{name}")


def test_fast_checks_agree_with_jsonschema() -> None:
    spec = json.loads(_spec_path().read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource("urn:s", DRAFT202012.create_resource(spec))
    compiler = SchemaCompiler(spec)
    name = "MessageCreateRequest"
    fast = compiler.compile_pointer(f"/components/schemas/{name}")
    slow = Draft202012Validator({"$ref": f"urn:s#/components/schemas/{name}"}, registry=registry)
    base = _message_body()
    variants: list[Any] = [
        base,
        {},
        [],
        None,
        {"content": None, "embeds": None, "tts": None},
        {"content": "x" * 4001},
        {"nonce": 12},
        {"nonce": True},
        {"nonce": 1.0},
        {"nonce": 1.5},
        {"nonce": "x" * 26},
        {"embeds": [{"color": True}]},
        {"embeds": [{"color": 1.0}]},
        {"embeds": [{"fields": [{"name": "a", "value": "b"}] * 26}]},
        {"components": [{"type": 1, "components": [{"type": 2, "style": 5, "url": "u"}]}]},
        {"components": [{"type": 99}]},
        {"sticker_ids": ["1", "1"]},
        {"sticker_ids": ["01"]},
        {"allowed_mentions": {"parse": ["users", "users"]}},
        {"allowed_mentions": {"parse": ["nobody"]}},
        {"message_reference": {"message_id": "1", "type": 0}},
        {"components": [{"type": 1, "components": [{"type": 2, "style": 9, "custom_id": "x"}]}]},
        {"components": [{"type": 1, "components": [{"type": 3, "custom_id": "s"}]}]},
        {"components": [{"type": 1, "components": [{"type": "2", "style": 1}]}]},
        {"components": [{"type": 1.0, "components": [{"type": 2, "style": 1, "label": "a"}]}]},
        {"components": [{"type": True, "components": []}]},
        {"components": [{"type": 10, "content": "text display"}]},
        {"components": [{"components": [{"type": 2, "style": 1, "custom_id": "x"}]}]},
        {"embeds": [{"title": None, "color": 16777216}]},
        {"embeds": [{"color": 16777215.0, "fields": None}]},
        {"embeds": [{"fields": [{"name": "", "value": "v"}]}]},
        {"embeds": {"0": {}}},
        {"tts": 1},
        {"tts": 0.0},
        {"content": ["x"]},
        {"flags": 1 << 62},
        {"sticker_ids": [1, "2", -3]},
        {"message_reference": {"message_id": 12.0}},
    ]
    for variant in variants:
        assert fast(variant) == slow.is_valid(variant), json.dumps(variant)[:200]
