"""The sandbox's validation against Discord's OpenAPI spec (discord_sandbox/schema.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from discord_sandbox.limits import apply_bot_limits
from discord_sandbox.schema import SchemaValidator
from discord_sandbox.schema_leniency import apply_leniency
from discord_sandbox.validation import given_spec_path

MAX_LENGTH_256 = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 256 or fewer in length."}
REQUIRED = {"code": "BASE_TYPE_REQUIRED", "message": "This field is required"}


def _spec_path() -> Path:
    path = given_spec_path()
    if path is None or not path.exists():
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


def _not_snowflake(value: str) -> dict[str, Any]:
    return {
        "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": f'Value "{value}" is not snowflake.'}]
    }


def test_path_ids_are_checked_like_bodies(validator: SchemaValidator) -> None:
    assert validator.validate_request("GET", "/channels/abc", None) == {
        "channel_id": _not_snowflake("abc")
    }
    assert validator.validate_request("GET", "/api/v10/channels/123", None) is None
    # Every parameter of the path is reported, and a bad path wins over a good body.
    errors = validator.validate_request("POST", "/channels/x1/messages", {"content": "hi"})
    assert errors == {"channel_id": _not_snowflake("x1")}
    errors = validator.validate_request("DELETE", "/guilds/g/members/2/roles/r", None)
    assert errors == {"guild_id": _not_snowflake("g"), "role_id": _not_snowflake("r")}
    # Leading zeros are not a snowflake; a literal segment is not a parameter.
    assert validator.validate_request("GET", "/users/0123", None) == {
        "user_id": _not_snowflake("0123")
    }
    assert validator.validate_request("GET", "/users/@me", None) is None
    # Tokens are strings: anything goes.
    assert validator.validate_request("PATCH", "/webhooks/1/a.b-c/messages/@original", {}) is None


def test_integer_path_parameters_are_read_as_numbers(validator: SchemaValidator) -> None:
    path = "/channels/1/polls/2/answers/{}"
    assert validator.validate_request("GET", path.format(3), None) is None
    assert validator.validate_request("GET", path.format("three"), None) == {
        "answer_id": {
            "_errors": [{"code": "NUMBER_TYPE_COERCE", "message": 'Value "three" is not int.'}]
        }
    }
    errors = validator.validate_request("GET", path.format(11), None)
    assert errors is not None
    assert errors["answer_id"]["_errors"][0]["code"] == "NUMBER_TYPE_MAX"


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


def test_every_request_schema_of_the_spec_compiles() -> None:
    """Every route's path parameters and JSON body compile and answer, none raises."""
    validator = SchemaValidator(_spec_path().read_text(encoding="utf-8"))
    spec = json.loads(_spec_path().read_text(encoding="utf-8"))
    checked = 0
    for template, operations in spec["paths"].items():
        concrete = "/".join("1" if part.startswith("{") else part for part in template.split("/"))
        for method in operations.keys() & {"get", "put", "post", "patch", "delete"}:
            errors = validator.validate_request(method.upper(), concrete, {})
            assert errors is None or isinstance(errors, dict), (method, template)
            checked += 1
    assert checked > 200


def test_jsonschema_rs_agrees_with_jsonschema() -> None:
    """jsonschema-rs decides validity, jsonschema explains a refusal: on the lenient spec,
    the two agree on the values where JSON Schema and Python differ (bools are not ints,
    1.0 is an int, ...)."""
    spec = json.loads(_spec_path().read_text(encoding="utf-8"))
    apply_leniency(spec)
    apply_bot_limits(spec)
    registry: Registry[Any] = Registry().with_resource("urn:s", DRAFT202012.create_resource(spec))
    name = "MessageCreateRequest"
    fast = jsonschema_rs.Draft202012Validator(
        {"$ref": f"urn:s#/components/schemas/{name}"},
        registry=jsonschema_rs.Registry([("urn:s", spec)]),
        validate_formats=False,
    )
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
        assert fast.is_valid(variant) == slow.is_valid(variant), json.dumps(variant)[:200]
