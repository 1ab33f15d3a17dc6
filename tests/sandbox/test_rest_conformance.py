"""REST details where the sandbox answers as Discord does for any client, not only discord.py:
API versions, unknown routes and methods, the interaction callback's headers, error wording,
and the bot token's shape."""

from __future__ import annotations

import base64

import aiohttp
import pytest
from hikari.applications import get_token_id

from discord_sandbox import Sandbox
from discord_sandbox.tokens import token_user_id


def root(sb: Sandbox) -> str:
    return sb.api_base.removesuffix("/api/v10")


@pytest.mark.parametrize("prefix", ["/api/v10", "/api/v9", "/api"])
async def test_every_api_version_serves_the_routes(sandbox: Sandbox, prefix: str) -> None:
    sb = sandbox
    headers = {"Authorization": sb.auth_header}
    async with aiohttp.ClientSession() as http:
        async with http.get(root(sb) + prefix + "/users/@me", headers=headers) as resp:
            assert resp.status == 200
            assert (await resp.json())["id"] == sb.bot_user_id
        channel = sb.channel("general").id
        url = f"{root(sb)}{prefix}/channels/{channel}/messages"
        async with http.post(url, headers=headers, json={"content": "hi"}) as resp:
            assert resp.status == 200
    assert sb.log[-1].route == "/channels/{channel_id}/messages"
    assert sb.log[-1].path == f"/channels/{channel}/messages"
    assert sb.messages("general")[-1]["content"] == "hi"


@pytest.mark.parametrize("prefix", ["/api/v10", "/api/v9", "/api"])
async def test_unknown_routes_answer_discords_json_404(sandbox: Sandbox, prefix: str) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(root(sandbox) + prefix + "/no/such/route") as resp:
            assert resp.status == 404
            assert resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "404: Not Found", "code": 0}


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/gateway/bot"), ("PUT", "/users/@me"), ("POST", "/channels/1/pins/2")],
)
async def test_a_wrong_method_on_a_known_route_is_405(
    sandbox: Sandbox, method: str, path: str
) -> None:
    headers = {"Authorization": sandbox.auth_header}
    async with aiohttp.ClientSession() as http:
        async with http.request(method, sandbox.api_base + path, headers=headers) as resp:
            assert resp.status == 405
            assert resp.headers["Content-Type"] == "application/json"
            assert await resp.json() == {"message": "405: Method Not Allowed", "code": 0}


async def test_interaction_callback_has_no_rate_limit_headers(sandbox: Sandbox) -> None:
    url = sandbox.api_base + "/interactions/123/not-a-token/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"type": 1}) as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "Unknown interaction", "code": 10062}
            assert not [h for h in resp.headers if h.lower().startswith("x-ratelimit")]
        # Other routes keep them.
        headers = {"Authorization": sandbox.auth_header}
        async with http.get(sandbox.api_base + "/users/@me", headers=headers) as resp:
            assert "X-RateLimit-Bucket" in resp.headers


async def test_interaction_callback_is_never_rate_limited(sandbox: Sandbox) -> None:
    sandbox.set_rate_limit("/interactions/*", limit=1, per_seconds=60)
    url = sandbox.api_base + "/interactions/123/not-a-token/callback"
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.post(url, json={"type": 1}) as resp:
                assert resp.status == 404  # refused for what it is, never 429


def test_bot_token_has_discords_shape(sandbox: Sandbox) -> None:
    token = sandbox.bot_token
    first, stamp, hmac = token.split(".")
    assert base64.b64decode(first + "=" * (-len(first) % 4)).decode() == sandbox.bot_user_id
    assert len(stamp) == 6 and len(hmac) >= 27
    assert token_user_id(token) == sandbox.bot_user_id
    assert str(get_token_id(token)) == sandbox.bot_user_id  # as a client library reads it
    with pytest.raises(ValueError):
        token_user_id("sandbox.abc")
