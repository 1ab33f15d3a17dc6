"""Agora's public web pages, tested with a real HTTP client against the running Agora
(web server on a free loopback port) and the sandbox; the seed guild is published the way
an admin does it, with ``/admin web on``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"web": {"enabled": True, "port": 0}}


@dataclass
class Web:
    """The pages' address and an HTTP client for them."""

    url: str
    http: aiohttp.ClientSession

    async def get(
        self, path: str, **headers: str
    ) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
        async with self.http.get(self.url + path.lstrip("/"), headers=headers) as response:
            return response.status, await response.text(), response.headers

    async def page(self, path: str) -> str:
        status, text, _ = await self.get(path)
        assert status == 200, (path, status, text[:500])
        return text


@pytest.fixture
async def web(seeded: RunningAgora, sandbox: Sandbox) -> AsyncIterator[Web]:
    """The seed guild laid out (/admin setup) and published (/admin web on)."""
    result = await sandbox.user("admin").slash("admin web on")
    assert "now **public**" in result.text, result.text
    assert seeded.web is not None
    async with aiohttp.ClientSession() as http:
        yield Web(seeded.web.url, http)
