"""Bad input in forms: the /challenge add and /initiative pitch set forms, fuzzed.

test_fuzz_commands.py fuzzes every command's options; a form's fields arrive later, in
the form's submission. For each form, at least ``CASES`` submissions (the same value
pools: limits, blanks, unicode, markdown and mentions, SQL fragments, links), within what
Discord's client lets through (each field's length limits), some by a user who may not
use the form (a modified client can submit any form it saw). Every submission must be
answered with a message, never an error id or a traceback, nothing logged at ERROR,
nothing pinging; afterwards every stored challenge and pitch passes the services' own
validators and the database its integrity check.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
import pytest_asyncio
from hypothesis import strategies as st

from bot.services.challenges.service import description_problem, title_problem
from bot.services.directory.pitches import pitch_problem
from bot.services.directory.resources import url_problem
from discord_sandbox import CommandError, InteractionFailed, Sandbox
from tests.reliability._fuzz_values import string_values
from tests.reliability._support import ErrorLog, Tally, World, integrity, query
from tests.reliability.test_fuzz_commands import BATCH, _pings, _pools, _problem, collect

pytestmark = pytest.mark.asyncio(loop_scope="module")

CASES = int(os.environ.get("AGORA_FUZZ_CASES", "500"))  # per form
INITIATIVES = ("Humble Lamppost", "Urban Data Platform", "Small Giants")
FORMS = {"challenge add": "challenge", "initiative pitch set": "pitch"}


def _fields(modal: dict[str, Any]) -> list[dict[str, Any]]:
    return [row["components"][0] for row in modal["components"]]


def _field_values(field: dict[str, Any], pools: Any) -> st.SearchStrategy[str]:
    """Values Discord's client would send for this field: within its lengths."""
    option = {
        "name": field["custom_id"],
        "min_length": field.get("min_length") or (1 if field.get("required") else 0),
        "max_length": field.get("max_length") or 4000,
    }
    values = string_values(option, ["Street lights and data", "https://slides.example/d"], pools)
    return values if field.get("required") else st.one_of(st.just(""), values)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def forms(world: World) -> dict[str, list[str]]:
    """The forms the admin opened, per command: one custom_id per initiative."""
    sandbox = world.sandbox
    await sandbox.join("fuzzer")
    admin = sandbox.user("admin")
    opened: dict[str, list[str]] = {}
    for command in FORMS:
        opened[command] = []
        for initiative in INITIATIVES:
            result = await admin.slash(command, initiative=initiative)
            assert result.modal is not None, result.text
            opened[command].append(result.modal["custom_id"])
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


@pytest.mark.parametrize("command", sorted(FORMS))
async def test_every_form_answers_every_input_clearly(
    world: World, forms: dict[str, list[str]], command: str, tally: Tally
) -> None:
    sandbox = world.sandbox
    pools = _pools(sandbox)
    admin = sandbox.user("admin")
    modal = (await admin.slash(command, initiative=INITIATIVES[0])).modal
    assert modal is not None
    fields = _fields(modal)
    labels = {field["custom_id"]: field["label"] for field in fields}
    strategy = st.fixed_dictionaries(
        {field["custom_id"]: _field_values(field, pools) for field in fields}
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
                        "fuzzer" if (start + i) % 4 == 3 else "admin",
                        forms[command][(start + i) % len(INITIATIVES)],
                        {labels[key]: value for key, value in values.items()},
                    )
                    for i, values in enumerate(batch)
                )
            )
            for values, answer in zip(batch, answers, strict=True):
                if answer:
                    shown = {
                        k: (v if len(v) < 60 else f"{v[:40]}...({len(v)})")
                        for k, v in values.items()
                    }
                    problems.append(f"{shown}: {answer[:300]}")
            problems += [f"logged {line[:300]}" for line in errors.take()]
    tally.inputs_tried += len(cases)
    await sandbox.drain_gateway()
    db = world.db_path
    stored = []
    for cid, title, description in query(db, "SELECT id, title, description FROM challenges"):
        problem = title_problem(title) or description_problem(description)
        if problem or "\n" in title:
            stored.append(f"challenge {cid}: {problem or 'title on two lines'}")
    for iid, body, url in query(db, "SELECT initiative_id, body, url FROM initiative_pitches"):
        problem = pitch_problem(body) or (url_problem(url) if url else None)
        if problem:
            stored.append(f"pitch of {iid}: {problem}")
    tally.items_checked += len(query(db, "SELECT id FROM challenges"))
    tally.items_lost += len(stored)
    tally.notes.append(f"/{command}: {len(cases)} form submissions")
    problems += stored
    problems += [f"would ping: {p}" for p in _pings(sandbox)]
    problems += [f"failure recorded by the sandbox: {f}" for f in sandbox.failures]
    assert integrity(db) == "ok"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:30])
