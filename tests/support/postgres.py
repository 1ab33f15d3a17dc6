"""A real PostgreSQL server for the tests, started by the suite itself.

Debian's ``postgresql`` package (installed by the first test that needs it, as root: see
``system_packages.py``) gives ``initdb`` and ``postgres``; the server runs from a fresh
data folder in /tmp, listens only on a unix socket there, without durability
(``fsync=off``: the folder is thrown away), and stops at the end of the run. PostgreSQL
refuses to run as root, so as root it runs as ``nobody``. Each pytest-xdist worker starts
its own.

If it cannot start, the tests that need it fail with the reason. Set
``AGORA_TEST_POSTGRES=off`` to leave them out on a machine without PostgreSQL (never in
CI: ``.ci/run`` does not).
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.support.system_packages import ensure_debian_package, no_default_postgres_cluster

OPT_OUT_ENV = "AGORA_TEST_POSTGRES"
USER = "agora"
_TEMPLATE = "agora_template"


def postgres_opted_out() -> bool:
    return os.environ.get(OPT_OUT_ENV, "").lower() in ("off", "0", "no", "false")


def _bindir() -> Path:
    """Where initdb and postgres are, installing Debian's postgresql when there are none."""
    ensure_debian_package(
        "postgresql", lambda: _find_bindir() is not None, prepare=no_default_postgres_cluster
    )
    found = _find_bindir()
    assert found is not None
    return found


def _find_bindir() -> Path | None:
    """pg_config's answer, Debian's folder, or PATH."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found:
            candidates.append(Path(found))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "postgres").exists():
            return folder
    return None


@dataclass
class PostgresServer:
    """One running server; ``new_database()`` gives a fresh, migrated database's URL."""

    folder: Path
    process: subprocess.Popen[bytes]
    _names: Iterator[int]
    _template_ready: bool = False

    @property
    def socket_dir(self) -> Path:
        return self.folder / "socket"

    def url(self, database: str) -> str:
        return f"postgresql://{USER}@/{database}?host={self.socket_dir}"

    async def new_database(self, migrated: bool = True) -> str:
        """A new database, empty or (from a template, fast) with every migration."""
        name = f"test_{next(self._names)}"
        if migrated and not self._template_ready:
            await self.make_template()
            self._template_ready = True
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            if migrated:
                await conn.execute(f"CREATE DATABASE {name} TEMPLATE {_TEMPLATE}")
            else:
                await conn.execute(f"CREATE DATABASE {name} TEMPLATE template0")
        finally:
            await conn.close()
        return self.url(name)

    async def make_template(self) -> None:
        """The template every migrated test database is copied from."""
        from bot.storage.postgres import PostgresDatabase

        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {_TEMPLATE}")
            await conn.execute(f"CREATE DATABASE {_TEMPLATE} TEMPLATE template0")
        finally:
            await conn.close()
        database = await PostgresDatabase.open(self.url(_TEMPLATE))
        await database.close()

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "nobody", "--", *command]


def _stop_with_parent() -> None:
    """The server gets SIGTERM if the test run dies without stopping it (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# The tests' server: nothing is kept, so nothing is made durable.
TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "64MB",
}


def start_server() -> PostgresServer:
    """initdb a fresh folder and start postgres on a unix socket in it; raises with the
    server's own words when it cannot."""
    folder = Path(tempfile.mkdtemp(prefix="agora-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        folder.chmod(0o755)
        shutil.chown(folder, "nobody")
    try:
        initdb(data, sync=False)
    except RuntimeError:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return launch(folder, data, TEST_SETTINGS)


def initdb(data: Path, *, sync: bool = True) -> None:
    """A new cluster in ``data`` (its parent must exist and, as root, be writable by
    ``nobody``), its superuser ``agora``; raises with initdb's own words when it cannot."""
    bindir = _bindir()
    result = subprocess.run(
        _as_server_user(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                *([] if sync else ["--no-sync"]),
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed: {result.stderr.strip() or result.stdout.strip()}")


def launch(folder: Path, data: Path, settings: Mapping[str, str]) -> PostgresServer:
    """Start postgres on the cluster in ``data`` with ``settings`` (``-c`` options), its
    socket and log in ``folder`` (removed by ``stop()``; ``data`` is removed with it only
    when inside it)."""
    bindir = _bindir()
    socket_dir = folder / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        folder.chmod(0o755)
        shutil.chown(socket_dir, "nobody")
    log = folder / "server.log"
    options = [
        item
        for key, value in {
            "listen_addresses": "",
            "unix_socket_directories": str(socket_dir),
            **settings,
        }.items()
        for item in ("-c", f"{key}={value}")
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            _as_server_user([str(bindir / "postgres"), "-D", str(data), *options]),
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_stop_with_parent,
        )
    server = PostgresServer(folder, process, itertools.count(1))
    socket = socket_dir / ".s.PGSQL.5432"
    # Ready when the socket exists and a connection is accepted (pg_isready's test).
    isready = bindir / "pg_isready"
    for _ in range(600):
        if process.poll() is not None:
            text = log.read_text(errors="replace").strip()
            server.stop()
            raise RuntimeError(f"postgres exited at start: {text}")
        if socket.exists() and (
            not isready.exists()
            or subprocess.run(
                [str(isready), "-q", "-h", str(socket_dir), "-U", USER],
                check=False,
            ).returncode
            == 0
        ):
            return server
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)
    text = log.read_text(errors="replace").strip()
    server.stop()
    raise RuntimeError(f"postgres did not accept connections within 30 s: {text}")
