"""The console's screen and keyboard: a prompt line that output can be printed above.

:class:`Screen` writes lines; while a prompt is shown it prints them above it (the prompt
line is cleared, the lines written, then the prompt and what was typed so far drawn again).
On a terminal, :class:`LineEditor` reads keys itself (no echo, no line buffering by the
terminal) so it always knows what is typed: Backspace, Ctrl-U, Ctrl-W, Up/Down for earlier
lines, Ctrl-D on an empty line to end. Elsewhere (a pipe, a file) :class:`StreamReader`
reads whole lines on a thread.
"""

from __future__ import annotations

import asyncio
import atexit
import codecs
import contextlib
import os
import threading
from typing import TextIO

CLEAR_LINE = "\r\x1b[K"


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def wants_ansi(out: TextIO, environ: dict[str, str] | os._Environ[str] | None = None) -> bool:
    """ANSI styles: only on a terminal that is not ``TERM=dumb``, and not with ``NO_COLOR``
    set to anything but the empty string (https://no-color.org)."""
    env = os.environ if environ is None else environ
    return is_terminal(out) and env.get("TERM") != "dumb" and not env.get("NO_COLOR")


class Screen:
    def __init__(self, out: TextIO, *, cursor_control: bool) -> None:
        self.out = out
        self.cursor_control = cursor_control
        self.prompt_text: str | None = None  # None: no prompt on screen
        self.typed = ""

    def write(self, *lines: str) -> None:
        """``lines`` on the screen; above the prompt when one is shown."""
        if not lines:
            return
        if self.prompt_text is None:
            self._raw("".join(line + "\n" for line in lines))
            return
        lead = CLEAR_LINE if self.cursor_control else "\n"
        body = "".join(line + "\n" for line in lines)
        self._raw(lead + body + self.prompt_text + self.typed)

    def show_prompt(self, text: str) -> None:
        self.prompt_text = text
        self._raw(text + self.typed)

    def hide_prompt(self) -> None:
        self.prompt_text = None

    def echo(self, text: str) -> None:
        if self.prompt_text is not None:
            self._raw(text)

    def redraw(self) -> None:
        if self.prompt_text is not None:
            lead = CLEAR_LINE if self.cursor_control else "\n"
            self._raw(lead + self.prompt_text + self.typed)

    def _raw(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


class StreamReader:
    """Lines from a blocking text stream, read on a daemon thread so the event loop (and the
    bot with it) keeps running while the person types. ``None`` marks the end of input."""

    def __init__(self, stream: TextIO) -> None:
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._stream = stream
        threading.Thread(target=self._pump, name="console-stdin", daemon=True).start()

    def _pump(self) -> None:
        while True:
            try:
                line = self._stream.readline()
            except (OSError, ValueError):
                line = ""
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line or None)
            if not line:
                return

    async def next_line(self) -> str | None:
        return await self._queue.get()

    def close(self) -> None:
        return None


class LineEditor:
    """Keys from a terminal, edited into lines on the event loop (no thread). The terminal
    is put in cbreak mode (Ctrl-C still interrupts) and restored by :meth:`close`."""

    def __init__(self, stream: TextIO, screen: Screen) -> None:
        import termios
        import tty

        self._fd = stream.fileno()
        self._screen = screen
        self._saved = termios.tcgetattr(self._fd)
        tty.setcbreak(self._fd)
        atexit.register(self._restore)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._escape: str | None = None
        self._history: list[str] = []
        self._history_index = 0
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self._fd, self._readable)

    def _restore(self) -> None:
        import termios

        with contextlib.suppress(OSError, ValueError):
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)

    def close(self) -> None:
        with contextlib.suppress(ValueError, OSError):
            self._loop.remove_reader(self._fd)
        self._restore()
        atexit.unregister(self._restore)

    async def next_line(self) -> str | None:
        return await self._queue.get()

    def _readable(self) -> None:
        try:
            data = os.read(self._fd, 4096)
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(self._fd)
            self._queue.put_nowait(None)
            return
        for key in self._decoder.decode(data):
            self.key(key)

    def key(self, key: str) -> None:
        """One character typed."""
        screen = self._screen
        if self._escape is not None:
            self._escape_key(key)
        elif key in ("\r", "\n"):
            line, screen.typed = screen.typed, ""
            screen.echo("\n")
            screen.hide_prompt()
            if line.strip():
                self._history.append(line)
            self._history_index = len(self._history)
            self._queue.put_nowait(line)
        elif key in ("\x7f", "\b"):
            if screen.typed:
                screen.typed = screen.typed[:-1]
                screen.echo("\b \b")
        elif key == "\x15":  # Ctrl-U: the whole line
            screen.typed = ""
            screen.redraw()
        elif key == "\x17":  # Ctrl-W: the last word
            screen.typed = screen.typed.rstrip()
            screen.typed = screen.typed[: len(screen.typed) - len(screen.typed.split(" ")[-1])]
            screen.redraw()
        elif key == "\x04":  # Ctrl-D: the end, on an empty line
            if not screen.typed:
                screen.echo("\n")
                screen.hide_prompt()
                self._queue.put_nowait(None)
        elif key == "\x1b":
            self._escape = ""
        elif key == "\t":
            screen.typed += " "
            screen.echo(" ")
        elif key >= " ":
            screen.typed += key
            screen.echo(key)

    def _escape_key(self, key: str) -> None:
        assert self._escape is not None
        self._escape += key
        sequence = self._escape
        if sequence in ("[", "O") or (len(sequence) > 1 and not ("@" <= key <= "~")):
            return  # more of the sequence to come
        self._escape = None
        if sequence in ("[A", "OA"):
            self._recall(-1)
        elif sequence in ("[B", "OB"):
            self._recall(+1)

    def _recall(self, step: int) -> None:
        index = self._history_index + step
        if not 0 <= index <= len(self._history):
            return
        self._history_index = index
        screen = self._screen
        screen.typed = self._history[index] if index < len(self._history) else ""
        screen.redraw()
