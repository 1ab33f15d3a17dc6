"""A pseudo-terminal driving a program as a person at a keyboard would."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


class Terminal:
    """The master side of a pty with ``argv`` running on the slave side."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=REPOSITORY,
            env={**os.environ, "PYTHONPATH": str(REPOSITORY), "TERM": "dumb", **(env or {})},
            close_fds=True,
        )
        os.close(slave)
        self.screen = ""

    def read_until(self, marker: str, timeout: float = 20.0) -> str:
        """Output up to and including the next ``marker``; what follows stays buffered."""
        deadline = time.monotonic() + timeout
        while marker not in self.screen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {marker!r} within {timeout} s; screen:\n{self.screen}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"program ended before {marker!r}:\n{self.screen}")
                self.screen += chunk.decode("utf-8", "replace").replace("\r\n", "\n")
        before, _, after = self.screen.partition(marker)
        self.screen = after
        return before + marker

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def answer(self, line: str, prompt: str = "> ") -> str:
        """Type ``line`` and return what the program printed before its next prompt."""
        self.type(line)
        self.read_until(line)  # the terminal echoes what was typed
        return self.read_until(prompt)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        os.close(self.master)
