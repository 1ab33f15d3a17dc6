"""How services mark long-lived data for the process's memory manager, without tuning it.

A big guild's directory is a million long-lived objects; the start-up code
(``bot/runtime.py``) decides what to do about the garbage collector and hands the
directory cache a ``Heap``. Services never touch the collector themselves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol


class Heap(Protocol):
    def loading(self) -> AbstractContextManager[None]:
        """Around building a large, long-lived structure."""
        ...

    def settled(self) -> None:
        """Everything allocated so far is long-lived."""
        ...


class UntunedHeap:
    """The default: nothing is done (tests, tools, one-off commands)."""

    @contextlib.contextmanager
    def loading(self) -> Iterator[None]:
        yield

    def settled(self) -> None:
        return None
