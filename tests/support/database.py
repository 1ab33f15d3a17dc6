"""The database fixtures: ``database_url`` runs a test on SQLite and on PostgreSQL.

A test (or a fixture) that asks for ``database_url`` runs twice, ``[sqlite]`` and
``[postgresql]``: a fresh SQLite file in the test's folder, or a fresh database (every
migration applied) on the suite's own PostgreSQL server (``tests/support/postgres.py``,
started once per run, or once per pytest-xdist worker). ``Store.open(database_url)``
opens either; opening it again is a restart on the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.database import DIALECTS
from tests.support.postgres import OPT_OUT_ENV, PostgresServer, postgres_opted_out, start_server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The suite's PostgreSQL server; a test needing it fails with the reason when it
    cannot start (left out only with AGORA_TEST_POSTGRES=off)."""
    if postgres_opted_out():
        pytest.skip(f"PostgreSQL tests left out ({OPT_OUT_ENV}=off)")
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=DIALECTS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty-of-data database on each backend: a path or a postgresql:// URL."""
    if request.param == "sqlite":
        return str(tmp_path / "agora.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return await server.new_database()
