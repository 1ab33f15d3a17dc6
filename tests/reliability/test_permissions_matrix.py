"""Permissions: every slash command against every kind of user, as designed.

The design (``bot/services/common/permissions.py``, the meetings service, Discord's own
``default_member_permissions``):

* admins (Manage Server / Administrator; here the owner) may do everything;
* organisers (the "Organiser" role) may edit any initiative and its documents,
  create and change meetings, and count as admins for Agora's own admin checks
  (``is_admin``: remind offsets, privacy forget-member) — but Discord hides the
  ``/admin`` group from them, since it needs Manage Server;
* leads may manage their initiative's documents and projects, and appoint or remove
  its leads;
* members may add documents and projects to their initiative;
* anyone may join, leave, read, and manage their own data.

Each cell runs the command with valid arguments aimed at Humble Lamppost (and a
weekly meeting created by the admin) and records what the user saw:
``ok`` (answered), ``refused`` (an ephemeral "Only ..."/"You cannot ..." message),
``hidden`` (Discord does not offer the command: the driver raises CommandError).
A command missing from the table fails the test, so new commands get a row.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.services.common.permissions import Actor
from discord_sandbox import CommandError, Sandbox
from tests.reliability._support import ErrorLog, Tally, World, integrity, leaf_commands

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "bot/data/eip-scc.toml"
LAMP = "Humble Lamppost"
SERIES_START = "2040-06-20 09:00"  # a Wednesday; the meeting repeats weekly
USERS = ("admin", "organiser", "lead", "member", "nonmember")

EXPECTED = """
command                      | admin | organiser | lead    | member  | nonmember
action done                  | ok    | ok        | ok      | refused | refused
action list                  | ok    | ok        | ok      | ok      | ok
admin export                 | ok    | hidden    | hidden  | hidden  | hidden
admin import                 | ok    | hidden    | hidden  | hidden  | hidden
admin link                   | ok    | hidden    | hidden  | hidden  | hidden
admin setup                  | ok    | hidden    | hidden  | hidden  | hidden
admin web off                | ok    | hidden    | hidden  | hidden  | hidden
admin web on                 | ok    | hidden    | hidden  | hidden  | hidden
calendar ics                 | ok    | ok        | ok      | ok      | ok
challenge add                | ok    | ok        | ok      | ok      | refused
challenge list               | ok    | ok        | ok      | ok      | ok
challenge match              | ok    | ok        | refused | refused | refused
challenge remove             | ok    | ok        | ok      | refused | refused
cluster info                 | ok    | ok        | ok      | ok      | ok
cluster list                 | ok    | ok        | ok      | ok      | ok
digest preview               | ok    | ok        | ok      | ok      | ok
discussion list              | ok    | ok        | ok      | ok      | ok
discussion start             | ok    | ok        | ok      | ok      | ok
discussion top               | ok    | ok        | ok      | ok      | ok
initiative doc add           | ok    | ok        | ok      | ok      | refused
initiative doc list          | ok    | ok        | ok      | ok      | ok
initiative doc remove        | ok    | ok        | ok      | refused | refused
initiative info              | ok    | ok        | ok      | ok      | ok
initiative join              | ok    | ok        | ok      | ok      | ok
initiative lead add          | ok    | ok        | ok      | refused | refused
initiative lead remove       | ok    | ok        | ok      | refused | refused
initiative leave             | ok    | ok        | ok      | ok      | ok
initiative list              | ok    | ok        | ok      | ok      | ok
initiative members           | ok    | ok        | ok      | ok      | ok
initiative pitch set         | ok    | ok        | ok      | refused | refused
initiative project add       | ok    | ok        | ok      | ok      | refused
initiative project list      | ok    | ok        | ok      | ok      | ok
initiative project remove    | ok    | ok        | ok      | refused | refused
initiative search            | ok    | ok        | ok      | ok      | ok
me                           | ok    | ok        | ok      | ok      | ok
meeting attendees            | ok    | ok        | ok      | ok      | ok
meeting cancel               | ok    | ok        | refused | refused | refused
meeting create               | ok    | ok        | refused | refused | refused
meeting edit                 | ok    | ok        | refused | refused | refused
meeting ics                  | ok    | ok        | ok      | ok      | ok
meeting info                 | ok    | ok        | ok      | ok      | ok
meeting list                 | ok    | ok        | ok      | ok      | ok
meeting occurrence cancel    | ok    | ok        | refused | refused | refused
meeting occurrence move      | ok    | ok        | refused | refused | refused
meeting session add          | ok    | ok        | refused | refused | refused
meeting session remove       | ok    | ok        | refused | refused | refused
meeting summary              | ok    | ok        | ok      | ok      | ok
nudges off                   | ok    | ok        | ok      | ok      | ok
nudges on                    | ok    | ok        | ok      | ok      | ok
outcome add                  | ok    | ok        | ok      | ok      | refused
outcome list                 | ok    | ok        | ok      | ok      | ok
poll close                   | ok    | ok        | ok      | refused | refused
poll create                  | ok    | ok        | ok      | refused | refused
poll results                 | ok    | ok        | ok      | ok      | ok
privacy forget               | ok    | ok        | ok      | ok      | ok
privacy forget-member        | ok    | ok        | refused | refused | refused
privacy show                 | ok    | ok        | ok      | ok      | ok
privacy web show-name        | ok    | ok        | ok      | ok      | ok
remind dm off                | ok    | ok        | ok      | ok      | ok
remind dm on                 | ok    | ok        | ok      | ok      | ok
remind offsets               | ok    | ok        | refused | refused | refused
"""

REFUSAL = re.compile(r"^(Only |You cannot |You need the |You are not allowed)")


def parse_table(text: str) -> dict[str, dict[str, str]]:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    header = [cell.strip() for cell in lines[0].split("|")]
    table: dict[str, dict[str, str]] = {}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split("|")]
        table[cells[0]] = dict(zip(header[1:], cells[1:], strict=True))
    return table


class Cells:
    """Per-command options, and what must exist before each cell (a fresh document to
    remove, a session, a membership to leave), so that cells do not depend on each other."""

    def __init__(self, world: World, meeting_id: int, series_id: int) -> None:
        self.world = world
        self.sandbox: Sandbox = world.sandbox
        self.meeting = str(meeting_id)
        self.series = str(series_id)
        self.counter = itertools.count(1)
        self.week = itertools.count(1)

    async def options(self, command: str, user: str) -> dict[str, Any]:
        n = next(self.counter)
        admin = self.sandbox.user("admin")
        lamp_channel = self.sandbox.channel("humble-lamppost").id
        simple: dict[str, dict[str, Any]] = {
            "admin export": {"format": "json"},
            "admin import": {"file": ("eip-scc.toml", SEED.read_bytes())},
            "admin link": {"initiative": LAMP, "channel": lamp_channel},
            "calendar ics": {"initiative": LAMP},
            "challenge add": {"initiative": LAMP},
            "challenge list": {"initiative": LAMP},
            "challenge match": {},
            "initiative pitch set": {"initiative": LAMP},
            "cluster info": {"cluster": "Integrated Infrastructures and Processes"},
            "digest preview": {},
            "discussion list": {"initiative": LAMP},
            "discussion start": {"initiative": LAMP, "title": f"Idea {n}", "text": "Benches?"},
            "discussion top": {},
            "initiative doc add": {
                "initiative": LAMP,
                "title": f"Doc {n}",
                "url": f"https://e.org/{n}",
            },
            "initiative doc list": {"initiative": LAMP},
            "initiative info": {"initiative": LAMP},
            "initiative join": {"initiative": "Urban Data Platform"},
            "initiative list": {},
            "initiative members": {"initiative": LAMP},
            "initiative project add": {
                "initiative": LAMP,
                "title": f"Project {n}",
                "url": f"https://p.org/{n}",
            },
            "initiative project list": {"initiative": LAMP},
            "initiative search": {"query": "lamppost"},
            "meeting attendees": {"meeting": self.meeting},
            "meeting cancel": {"meeting": self.meeting},
            "meeting create": {"start": "2041-06-20 09:00", "end": "17:00", "venue": "Metropole"},
            "meeting edit": {"meeting": self.meeting, "venue": f"Hotel Metropole, room {n}"},
            "meeting ics": {"meeting": self.meeting},
            "meeting info": {"meeting": self.meeting},
            "meeting list": {},
            "poll create": {
                "title": f"Poll {n}",
                "slots": "2041-06-20 09:00; 2041-06-21 09:00",
                "initiatives": LAMP,
            },
            "meeting session add": {
                "meeting": self.meeting,
                "title": f"Session {n}",
                "start": "10:00",
                "end": "11:00",
            },
            "privacy forget-member": {"member": "nonmember"},
            "privacy web show-name": {"state": "on"},
            "remind offsets": {"offsets": "1d, 1h"},
        }
        if command in simple:
            return simple[command]
        if command in ("initiative doc remove", "initiative project remove"):
            kind = command.split()[1]
            title = f"{kind} {n} to remove"
            await admin.slash(
                f"initiative {kind} add", initiative=LAMP, title=title, url=f"https://r.org/{n}"
            )
            return {"initiative": LAMP, "document" if kind == "doc" else "project": title}
        if command in ("initiative lead add", "initiative lead remove"):
            # Someone new each time, so cells do not depend on each other; to be removed,
            # first made a lead by the admin.
            candidate = await self.sandbox.join(f"candidate{n}")
            if command.endswith("remove"):
                added = await admin.slash("initiative lead add", initiative=LAMP, member=candidate)
                assert "is now a lead" in added.text, added.text
            return {"initiative": LAMP, "member": candidate.user.username}
        if command in ("admin web on", "admin web off"):
            # Published before "off", withdrawn before "on" (the other answer says so).
            await admin.slash("admin web on" if command.endswith("off") else "admin web off")
            return {}
        if command == "challenge remove":
            # A fresh challenge of Humble Lamppost added by the admin: its lead may remove
            # it, a plain member (not its author) may not.
            opened = await admin.slash("challenge add", initiative=LAMP)
            assert opened.modal is not None, opened.text
            added = await admin.submit_modal(
                {"Title": f"Challenge {n} to remove", "The challenge": "Poles without power."}
            )
            assert "New challenge" in added.text, added.text
            choices = await admin.autocomplete("challenge remove", "challenge", f"Challenge {n} ")
            return {"challenge": str(choices[0]["value"])}
        if command == "initiative leave":
            await self.sandbox.user(user).slash("initiative join", initiative="Small Giants")
            return {"initiative": "Small Giants"}
        if command in ("outcome add", "action done"):
            return await self.outcome_options(command, n)
        if command == "meeting session remove":
            added = await admin.slash(
                "meeting session add",
                meeting=self.meeting,
                title=f"Session {n}",
                start="12:00",
                end="13:00",
            )
            choices = await admin.autocomplete(
                "meeting session remove", "session", f"Session {n}", meeting=self.meeting
            )
            assert choices, added.text
            return {"meeting": self.meeting, "session": str(choices[0]["value"])}
        if command in ("meeting occurrence move", "meeting occurrence cancel"):
            day = _weekly(next(self.week))
            date = f"{day} 09:00"
            if command.endswith("move"):
                return {"meeting": self.series, "date": date, "new_start": f"{day} 11:00"}
            return {"meeting": self.series, "date": date}
        if command in ("poll close", "poll results"):
            # A poll of Humble Lamppost (its lead may close it), fresh for each close.
            created = await admin.slash(
                "poll create",
                title=f"Poll {n}",
                slots="2041-06-20 09:00; 2041-06-21 09:00",
                initiatives=LAMP,
            )
            match = re.search(r"Poll #(\d+)", created.text)
            assert match, created.text
            return {"poll": match.group(1)}
        if command in ("meeting summary", "outcome list"):
            return {"meeting": self.meeting}
        return {}

    async def outcome_options(self, command: str, n: int) -> dict[str, Any]:
        """Outcomes of a Humble Lamppost workshop (its members may record them); an action
        the admin owns, fresh for each cell (its lead may close it, a member may not)."""
        admin = self.sandbox.user("admin")
        choices = await admin.autocomplete(
            "outcome add", "session", "Lamppost outcomes", meeting=self.meeting
        )
        if not choices:
            await admin.slash(
                "meeting session add",
                meeting=self.meeting,
                title="Lamppost outcomes",
                start="15:00",
                end="16:00",
                initiative=LAMP,
            )
            choices = await admin.autocomplete(
                "outcome add", "session", "Lamppost outcomes", meeting=self.meeting
            )
        session = str(choices[0]["value"])
        if command == "outcome add":
            return {"meeting": self.meeting, "session": session}
        services = self.world.running.bot.services
        actor = Actor(user_id=int(admin.id), is_admin=True)
        target = await services.outcomes.target(
            self.world.guild_id, actor, int(self.meeting), session, int(admin.id), None
        )
        recorded = await services.outcomes.record(
            self.world.guild_id, actor, target, "action", f"Task {n}"
        )
        return {"action": str(recorded.outcome.id)}


def _weekly(week: int) -> str:
    from datetime import date, timedelta

    return (date(2040, 6, 20) + timedelta(weeks=week)).isoformat()


Outcome = Callable[[], Awaitable[str]]


async def outcome_of(sandbox: Sandbox, user: str, command: str, options: dict[str, Any]) -> str:
    try:
        result = await sandbox.user(user).slash(command, **options)
    except CommandError:
        return "hidden"
    text = result.text.strip()
    if "error id" in text:
        return f"error: {text[:120]}"
    if REFUSAL.match(text):
        assert result.ephemeral or result.deferred, f"/{command}: a refusal must be ephemeral"
        return "refused"
    return "ok"


async def create_meeting(sandbox: Sandbox, title: str, **options: Any) -> int:
    admin = sandbox.user("admin")
    opened = await admin.slash("meeting create", end="17:00", venue="Metropole", **options)
    assert opened.modal is not None, opened.text
    created = await admin.submit_modal({"Title": title})
    match = re.search(r"#(\d+)", created.text)
    assert match, created.text
    return int(match.group(1))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def people(world: World) -> tuple[World, int, int]:
    sandbox = world.sandbox
    for name in USERS[1:]:
        await sandbox.join(name)
    await sandbox.create_role("Organiser")
    await sandbox.add_role("organiser", "Organiser")
    services = world.running.bot.services
    owner = Actor(user_id=int(sandbox.user("admin").id), is_admin=True)
    await services.memberships.set_lead(world.guild_id, owner, LAMP, int(sandbox.user("lead").id))
    await sandbox.user("member").slash("initiative join", initiative=LAMP)
    meeting = await create_meeting(sandbox, "Action Clusters Meeting", start="2040-06-20 09:00")
    series = await create_meeting(
        sandbox, "Weekly Lamppost Call", start=SERIES_START, repeat="weekly:1"
    )
    await sandbox.drain_gateway()
    return world, meeting, series


async def test_every_command_for_every_kind_of_user(
    people: tuple[World, int, int], tally: Tally
) -> None:
    world, meeting_id, series_id = people
    sandbox = world.sandbox
    expected = parse_table(EXPECTED)
    registered = [c.path for c in leaf_commands(sandbox)]
    missing = [path for path in registered if path not in expected]
    assert not missing, f"add these commands to the permission table: {missing}"
    cells = Cells(world, meeting_id, series_id)
    actual: dict[str, dict[str, str]] = {}
    with ErrorLog() as errors:
        for command in registered:
            actual[command] = {}
            for user in USERS:
                options = await cells.options(command, user)
                actual[command][user] = await outcome_of(sandbox, user, command, options)
                tally.inputs_tried += 1
        logged = errors.take()
    width = max(len(c) for c in registered)
    table = [f"{'command':<{width}} | " + " | ".join(f"{u:<9}" for u in USERS)]
    for command in registered:
        table.append(
            f"{command:<{width}} | " + " | ".join(f"{actual[command][u]:<9}" for u in USERS)
        )
    tally.notes.append(f"{len(registered)} commands x {len(USERS)} kinds of user")
    wrong = [
        f"/{command} as {user}: expected {expected[command][user]}, got {actual[command][user]}"
        for command in registered
        for user in USERS
        if actual[command][user] != expected[command][user]
    ]
    assert integrity(world.db_path) == "ok"
    assert not logged, logged
    assert not sandbox.failures, sandbox.failures
    assert not wrong, "\n".join(wrong) + "\n\nactual:\n" + "\n".join(table)
