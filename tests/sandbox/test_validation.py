"""Where the sandbox's spec comes from, and path ids checked over real HTTP like bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from discord_sandbox import Sandbox
from discord_sandbox.validation import SPEC_ENV_VAR, given_spec_path

_SPEC = given_spec_path()
needs_spec = pytest.mark.skipif(
    _SPEC is None or not _SPEC.exists(),
    reason=f"Discord's OpenAPI spec is not at {_SPEC} (set {SPEC_ENV_VAR})",
)


async def _call(sb: Sandbox, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": sb.auth_header}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, sb.api_base + path, json=body, headers=headers) as reply,
    ):
        return reply.status, await reply.json() if reply.status != 204 else None


def _not_snowflake(name: str, value: str) -> dict[str, Any]:
    entry = {"code": "NUMBER_TYPE_COERCE", "message": f'Value "{value}" is not snowflake.'}
    return {name: {"_errors": [entry]}}


@needs_spec
async def test_a_path_id_that_is_not_a_snowflake_is_invalid_form_body(sandbox: Sandbox) -> None:
    status, body = await _call(sandbox, "GET", "/channels/abc")
    assert status == 400
    assert body == {
        "message": "Invalid Form Body",
        "code": 50035,
        "errors": _not_snowflake("channel_id", "abc"),
    }
    # A snowflake that names nothing is still Discord's 404, a real channel still 200.
    status, body = await _call(sandbox, "GET", "/channels/999")
    assert (status, body["code"]) == (404, 10003)
    status, body = await _call(sandbox, "GET", f"/channels/{sandbox.channel('general').id}")
    assert (status, body["name"]) == (200, "general")


@needs_spec
async def test_a_bad_path_id_changes_nothing(sandbox: Sandbox) -> None:
    guild = sandbox.guild
    before = len(sandbox.log)
    created, _ = await _call(
        sandbox, "POST", f"/guilds/{guild.id}/channels", {"name": "humble-lamppost"}
    )
    status, body = await _call(sandbox, "POST", "/guilds/EIP-SCC/channels", {"name": "pilots"})
    assert status == 400
    assert body["errors"] == _not_snowflake("guild_id", "EIP-SCC")
    names = {channel.name for channel in sandbox.state.channels.values()}
    assert "humble-lamppost" in names and "pilots" not in names
    assert [call.status for call in sandbox.log.calls[before:]] == [created, 400]
    assert created < 300


@needs_spec
async def test_the_argument_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _SPEC is not None
    monkeypatch.setenv(SPEC_ENV_VAR, str(tmp_path / "absent.json"))
    sb = Sandbox(spec_path=str(_SPEC))
    assert sb.validator is not None
    assert capsys.readouterr().err == ""
    # Without the argument the environment is read: one line, validation off.
    assert Sandbox().validator is None
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "absent.json" in err and "validation is off" in err


async def test_no_spec_given_is_one_line_and_no_validation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(SPEC_ENV_VAR, raising=False)
    async with Sandbox() as sb:
        err = capsys.readouterr().err
        assert sb.validator is None
        assert err.count("\n") == 1 and SPEC_ENV_VAR in err and "validation is off" in err
        status, body = await _call(sb, "GET", "/channels/abc")
        assert (status, body["code"]) == (404, 10003)
