"""Debian packages the suite needs (PostgreSQL, Chromium), installed by the suite itself.

The README's test command is the only step on a fresh machine, so a test that needs a
server or a browser installs it when it is missing: with apt-get, as root (a developer's
container or CI). Anywhere else the test fails and says what to install. One lock file
keeps parallel test workers from running apt-get at the same time.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

_LOCK = Path("/tmp/agora-tests-apt.lock")
_DEBCONF_NONINTERACTIVE = {"DEBIAN_FRONTEND": "noninteractive"}


def ensure_debian_package(
    package: str, present: Callable[[], bool], *, prepare: Callable[[], None] | None = None
) -> None:
    """Install ``package`` unless ``present()``; raise RuntimeError saying why it can't."""
    if present():
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(
            f"{package} is not installed and this user cannot install it: run"
            f" `sudo apt-get install {package}` once"
        )
    with _LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present():  # another worker installed it while this one waited
            return
        if prepare is not None:
            prepare()
        env = {**os.environ, **_DEBCONF_NONINTERACTIVE}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", package],
        ):
            done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
            if done.returncode != 0:
                output = (done.stderr or done.stdout).strip().splitlines()[-3:]
                raise RuntimeError(f"`{' '.join(command)}` failed: {' / '.join(output)}")
    if not present():
        raise RuntimeError(f"{package} was installed but is still not usable here")


def no_default_postgres_cluster() -> None:
    """Debian's postgresql package would create and start a cluster of its own: not wanted."""
    conf = Path("/etc/postgresql-common/createcluster.conf")
    conf.parent.mkdir(parents=True, exist_ok=True)
    if not conf.exists():
        conf.write_text("create_main_cluster = false\n")
