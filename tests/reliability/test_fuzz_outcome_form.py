"""Bad input in the /outcome add form, fuzzed: at least ``CASES`` submissions.

The command's options are fuzzed with every other command (test_fuzz_commands.py); the
form's fields arrive later, in its submission: the kind (a select: any value a modified
client sends), the text and the link, within the lengths Discord's client lets through,
for the meeting as a whole and for a Humble Lamppost workshop, with and without an owner
and a due date, a third by a user who may not record for that workshop. Every submission
must be
answered with a message, never an error id or a traceback, nothing logged at ERROR,
nothing pinging; afterwards every stored outcome passes the service's own rules and the
database its integrity check.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import strategies as st

from bot.services.directory.resources import url_problem
from bot.services.outcomes.service import MAX_TEXT, MAX_URL
from bot.storage.outcomes.models import OUTCOME_KINDS
from discord_sandbox import CommandError, InteractionFailed, Sandbox
from tests.reliability._fuzz_values import string_values
from tests.reliability._support import ErrorLog, Tally, World, integrity, query
from tests.reliability.test_fuzz_commands import BATCH, _pings, _pools, _problem, collect
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day

pytestmark = pytest.mark.asyncio(loop_scope="module")

CASES = int(os.environ.get("AGORA_FUZZ_CASES", "500"))
LAMP = "Humble Lamppost"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def forms(world: World) -> list[str]:
    """The custom_ids of forms the admin opened: the meeting as a whole, the workshop,
    with an owner and a due date. (A forged custom_id is refused by the sandbox's driver,
    as a form the bot never opened; tests/cogs/outcomes submits one it did open for
    someone else.)"""
    sandbox = world.sandbox
    await sandbox.join("fuzzer")
    await sandbox.join("alice")
    admin = sandbox.user("admin")
    created = await create_meeting(
        sandbox, "Action Clusters Meeting", start=f"{next_year_day()} 09:00", end="17:00"
    )
    meeting = str(meeting_id_of(created))
    added = await admin.slash(
        "meeting session add",
        meeting=meeting,
        title="Lamppost workshop",
        start="10:00",
        end="12:00",
        initiative=LAMP,
    )
    assert "Lamppost workshop" in added.text, added.text
    (session,) = await admin.autocomplete("outcome add", "session", "", meeting=meeting)
    opened = []
    for options in (
        {},
        {"session": str(session["value"])},
        {"owner": "alice", "due": f"{next_year_day(6, 30)}"},
        {"session": str(session["value"]), "owner": "admin", "due": "tomorrow"},
    ):
        result = await admin.slash("outcome add", meeting=meeting, **options)
        assert result.modal is not None, result.text
        opened.append(str(result.modal["custom_id"]))
    return opened


async def _submit(
    sandbox: Sandbox, user: str, custom_id: str, values: dict[str, str]
) -> str | None:
    try:
        result = await sandbox.user(user).submit_modal(values, custom_id=custom_id)
    except CommandError as error:  # the client would not send it
        return f"refused by the driver: {error}"
    except InteractionFailed as failure:
        return f"interaction failed: {failure.reason}"
    return _problem(result)


async def test_the_outcome_form_answers_every_input_clearly(
    world: World, forms: list[str], tally: Tally
) -> None:
    sandbox = world.sandbox
    pools = _pools(sandbox)
    known = ["Open data by default", "https://slides.example.org/deck"]
    text = string_values({"name": "text", "min_length": 1, "max_length": MAX_TEXT}, known, pools)
    link = string_values({"name": "url", "max_length": MAX_URL}, known, pools)
    strategy = st.fixed_dictionaries(
        {
            "Kind": st.one_of(
                st.sampled_from(OUTCOME_KINDS),
                string_values({"name": "kind", "max_length": 100}, [], pools),
            ),
            "Text": text,
            "Link": st.one_of(st.just(""), link),
        }
    )
    cases = collect(strategy, CASES)
    assert len(cases) >= CASES
    problems: list[str] = []
    with ErrorLog() as errors:
        for start in range(0, len(cases), BATCH):
            batch = cases[start : start + BATCH]
            answers = await asyncio.gather(
                *(
                    _submit(
                        sandbox,
                        "fuzzer" if (start + i) % 3 == 2 else "admin",
                        forms[(start + i) % len(forms)],
                        values,
                    )
                    for i, values in enumerate(batch)
                )
            )
            for values, answer in zip(batch, answers, strict=True):
                if answer:
                    shown = {
                        k: v if len(v) < 60 else f"{v[:40]}...({len(v)})" for k, v in values.items()
                    }
                    problems.append(f"{shown}: {answer[:300]}")
            problems += [f"logged {line[:300]}" for line in errors.take()]
    tally.inputs_tried += len(cases)
    await sandbox.drain_gateway()
    db = world.db_path
    stored: list[str] = []
    rows: list[Any] = query(db, "SELECT id, kind, text, url, owner_id, due_at FROM outcomes")
    for oid, kind, body, url, owner, due in rows:
        problem = None
        if kind not in OUTCOME_KINDS:
            problem = f"kind {kind!r}"
        elif not body.strip() or len(body) > MAX_TEXT:
            problem = f"text of {len(body)} characters"
        elif url and url_problem(url):
            problem = f"link: {url_problem(url)}"
        elif kind == "link" and not url:
            problem = "a link without its address"
        elif kind != "action" and (owner is not None or due is not None):
            problem = "an owner or due date on a non-action"
        if problem:
            stored.append(f"outcome {oid}: {problem}")
    tally.items_checked += len(rows)
    tally.items_lost += len(stored)
    tally.notes.append(f"/outcome add: {len(cases)} form submissions, {len(rows)} recorded")
    problems += stored
    problems += [f"would ping: {p}" for p in _pings(sandbox)]
    problems += [f"failure recorded by the sandbox: {f}" for f in sandbox.failures]
    assert integrity(db) == "ok"
    assert rows, "some submissions should have been recorded"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])
