"""Text that users typed (initiative names, goals, titles) never pings anyone."""

from __future__ import annotations

from typing import Any

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


def directory_with_pings(role_id: str, user_id: str) -> bytes:
    pings = f"@everyone @here <@&{role_id}> <@{user_id}>"
    return f"""
format_version = 1

[[clusters]]
slug = "citizen-focus"
name = "Citizen Focus"

[[initiatives]]
slug = "ping-party"
name = "Ping Party {pings}"
cluster = "citizen-focus"
goal = "Wake up {pings} and everyone else"
""".encode()


def bot_payloads(sandbox: Sandbox, since: int) -> list[dict[str, Any]]:
    """Bodies of the bot's calls that create or edit a message (callbacks included)."""
    payloads = []
    for call in sandbox.log.calls[since:]:
        body = call.body
        if not isinstance(body, dict) or call.method not in ("POST", "PATCH"):
            continue
        if call.route.endswith("/callback"):
            if body.get("type") in (4, 7):  # message / update message
                payloads.append(body.get("data") or {})
        elif "messages" in call.route or call.route.startswith("/webhooks/"):
            payloads.append(body)
    return payloads


async def test_everyone_role_and_user_pings_in_user_text_ping_no_one(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin, bob, carol = sandbox.user("admin"), sandbox.user("bob"), sandbox.user("carol")
    role_id = sandbox.role("Admin").id
    imported = await admin.slash(
        "admin import", file=("pings.toml", directory_with_pings(role_id, carol.id))
    )
    assert "1 added" in imported.text

    since = len(sandbox.log)
    results = [
        await bob.slash("initiative info", initiative="ping-party"),
        await bob.slash("initiative join", initiative="ping-party"),
        await bob.slash("initiative search", query="wake"),
        await bob.slash("initiative list", cluster="citizen-focus"),
        await bob.slash("initiative members", initiative="ping-party"),
        await bob.slash(
            "initiative doc add",
            initiative="ping-party",
            title=f"Read this @everyone <@&{role_id}> <@{carol.id}>",
            url="https://example.org/ping",
        ),
        await bob.slash("initiative doc list", initiative="ping-party"),
        await bob.slash("initiative leave", initiative="ping-party"),
        await bob.slash("initiative info", initiative=f"No @everyone <@&{role_id}>"),
        await bob.slash("cluster info", cluster="citizen-focus"),
        await bob.slash("me"),
    ]

    # The pings did reach the visible text: the test would catch them.
    info = results[0]
    assert info.embed is not None and "@everyone" in info.embed["title"]
    assert "@everyone" in (results[1].content or "") and f"<@&{role_id}>" in (
        results[1].content or ""
    )
    assert "@everyone" in (results[8].content or "")  # "No initiative named ..."

    # Every payload carried allowed_mentions with parse: [] (nothing allowed).
    payloads = bot_payloads(sandbox, since)
    assert len(payloads) >= len(results)
    for payload in payloads:
        assert payload.get("allowed_mentions", {}).get("parse") == [], payload
        assert not payload["allowed_mentions"].get("roles")
        assert not payload["allowed_mentions"].get("users")

    # And the sandbox recorded no mention on any message the bot sent.
    for result in results:
        message = result.message
        assert message is not None
        assert message["mention_everyone"] is False, result
        assert message["mention_roles"] == [], result
        assert message["mentions"] == [], result
