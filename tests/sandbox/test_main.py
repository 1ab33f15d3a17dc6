"""``python -m discord_sandbox``: the sandbox started on its own, as a bot's developer would."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from discord_sandbox.validation import SPEC_ENV_VAR, given_spec_path

ROOT = Path(__file__).resolve().parents[2]
_SPEC = given_spec_path()


@pytest.mark.skipif(
    _SPEC is None or not _SPEC.exists(),
    reason=f"Discord's OpenAPI spec is not at {_SPEC} (set {SPEC_ENV_VAR})",
)
async def test_standalone_sandbox_prints_its_urls_and_token_and_validates() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "discord_sandbox",
        "--spec",
        str(_SPEC),
        "--guild",
        "Humble Lamppost",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        printed: dict[str, str] = {}
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "the sandbox exited before serving"
            if line.startswith("serving"):
                break
            name, _, value = line.partition(":")
            printed[name] = value.strip()
        api, token = printed["REST base"], printed["bot token"]
        assert api.startswith("http://127.0.0.1:") and api.endswith("/api/v10")
        assert printed["gateway"].startswith("ws://127.0.0.1:")
        assert printed["guild"].startswith("Humble Lamppost (")
        headers = {"Authorization": f"Bot {token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            async with session.get(f"{api}/users/@me") as reply:
                assert reply.status == 200
                assert (await reply.json())["bot"] is True
            async with session.get(f"{api}/gateway/bot") as reply:
                assert (await reply.json())["url"] == printed["gateway"].rstrip("/")
            async with session.get(f"{api}/channels/abc") as reply:
                assert reply.status == 400 and (await reply.json())["code"] == 50035
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
    assert await process.stderr.read() == b""


def test_a_missing_spec_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "openapi.json"
    result = subprocess.run(
        [sys.executable, "-m", "discord_sandbox", "--spec", str(missing)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"sandbox: --spec {missing}: no such file\n"
