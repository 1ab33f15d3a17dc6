"""/admin import, export and link end to end, through attachments in the sandbox."""

from __future__ import annotations

import tomllib

from bot.launch import seed_path
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox

CHANGED_DIRECTORY = b"""
format_version = 1

[[clusters]]
slug = "citizen-focus"
name = "Citizen Focus"

[[initiatives]]
slug = "humble-lamppost"
name = "Humble Lamppost"
cluster = "integrated-infrastructures-processes"
goal = "20 Million Smart Lampposts across EU Cities"

[[initiatives]]
slug = "open-data-streets"
name = "Open Data Streets"
cluster = "citizen-focus"
goal = "Street data for everyone"

[[initiatives]]
slug = "orphan"
name = "Orphan"
cluster = "no-such-cluster"
"""


async def test_import_report_lists_every_row(sandbox: Sandbox, agora: RunningAgora) -> None:
    admin = sandbox.user("admin")
    again = await admin.slash("admin import", file=("eip-scc.toml", seed_path().read_bytes()))
    assert again.ephemeral
    assert "0 added, 0 updated, 15 unchanged, 0 rejected" in again.text

    changed = await admin.slash("admin import", file=("changes.toml", CHANGED_DIRECTORY))
    text = changed.text
    assert "1 added, 1 updated" in text and "1 rejected" in text
    assert "open-data-streets" in text or "Open Data Streets" in text
    assert "no-such-cluster" in text  # the rejection says why

    info = await sandbox.user("alice").slash("initiative info", initiative="Humble Lamppost")
    assert info.embed is not None
    assert info.embed["description"].startswith("20 Million")


async def test_broken_file_changes_nothing(sandbox: Sandbox, agora: RunningAgora) -> None:
    admin = sandbox.user("admin")
    before = await admin.slash("admin export")
    broken = CHANGED_DIRECTORY.replace(b'name = "Orphan"', b'name = "Orphan')
    result = await admin.slash("admin import", file=("broken.toml", broken))
    assert result.ephemeral
    assert "nothing" in result.text.lower() or "line" in result.text.lower()
    after = await admin.slash("admin export")
    assert _directory(before.attachments[0].data) == _directory(after.attachments[0].data)


async def test_export_round_trips(sandbox: Sandbox, agora: RunningAgora) -> None:
    admin = sandbox.user("admin")
    for fmt in ("TOML", "JSON"):
        exported = await admin.slash("admin export", format=fmt)
        attachment = exported.attachments[0]
        assert attachment.filename == f"directory.{fmt.lower()}"
        back = await admin.slash("admin import", file=(attachment.filename, attachment.data))
        assert "0 added, 0 updated, 15 unchanged, 0 rejected" in back.text


async def test_link_maps_an_existing_channel(sandbox: Sandbox, agora: RunningAgora) -> None:
    lamps = await sandbox.create_channel("lamps")
    admin = sandbox.user("admin")
    linked = await admin.slash("admin link", initiative="humble-lamppost", channel="lamps")
    assert "now the channel of **Humble Lamppost**" in linked.text
    info = await admin.slash("initiative info", initiative="Humble Lamppost")
    assert info.embed is not None
    assert any(f["value"] == f"<#{lamps.id}>" for f in info.embed["fields"])

    clash = await admin.slash("admin link", initiative="small-giants", channel="lamps")
    assert clash.ephemeral and "already belongs to Humble Lamppost" in clash.text


def _directory(data: bytes) -> object:
    document = tomllib.loads(data.decode())
    document.pop("exported_at", None)
    return document
