"""The record of every REST call the bot made, with awaitable matching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.rest.body import UploadedFile


@dataclass(slots=True)
class RestCall:
    method: str
    route: str  # template: /channels/{channel_id}/messages
    path: str  # concrete: /channels/123/messages
    body: Any
    status: int
    response: Any
    files: list[UploadedFile] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


CallPredicate = Callable[[RestCall], bool]


class RestLog:
    def __init__(self) -> None:
        self.calls: list[RestCall] = []
        self._waiters: list[tuple[CallPredicate, asyncio.Future[RestCall]]] = []

    def __iter__(self) -> Iterator[RestCall]:
        return iter(self.calls)

    def __len__(self) -> int:
        return len(self.calls)

    def __getitem__(self, index: int) -> RestCall:
        return self.calls[index]

    def clear(self) -> None:
        self.calls.clear()

    def append(self, call: RestCall) -> None:
        self.calls.append(call)
        if self._waiters:
            keep = []
            for predicate, future in self._waiters:
                if future.done():
                    continue
                if predicate(call):
                    future.set_result(call)
                else:
                    keep.append((predicate, future))
            self._waiters = keep

    def find(self, method: str | None = None, route: str | None = None) -> list[RestCall]:
        return [
            c
            for c in self.calls
            if (method is None or c.method == method) and (route is None or c.route == route)
        ]

    async def wait_for(self, predicate: CallPredicate, timeout: float = 5.0) -> RestCall:  # noqa: ASYNC109
        """Wait for the *next* call matching ``predicate``."""
        future: asyncio.Future[RestCall] = asyncio.get_running_loop().create_future()
        self._waiters.append((predicate, future))
        return await asyncio.wait_for(future, timeout)
