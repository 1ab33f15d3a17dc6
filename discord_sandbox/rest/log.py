"""The record of every REST call the bot made, with awaitable matching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from discord_sandbox.rest.body import UploadedFile

_UNPARSED: Any = object()


class RestCall:
    """One REST call: ``body`` is the JSON the bot sent (None without one), ``response`` the
    JSON the sandbox answered (None for 204).

    Both are kept as the bytes that travelled and parsed on first access: a busy sandbox logs
    thousands of calls a second, and parsed bodies would be long-lived objects that Python's
    garbage collector keeps walking (a quarter of the sandbox's CPU under load)."""

    __slots__ = (
        "_body",
        "_body_bytes",
        "_response",
        "_response_bytes",
        "files",
        "method",
        "path",
        "query",
        "route",
        "status",
    )

    def __init__(
        self,
        method: str,
        route: str,  # template: /channels/{channel_id}/messages
        path: str,  # concrete: /channels/123/messages
        body: Any = None,
        status: int = 0,
        response: Any = None,
        files: list[UploadedFile] | None = None,
        query: dict[str, str] | None = None,
        *,
        body_bytes: bytes | None = None,
        response_bytes: bytes | None = None,
    ) -> None:
        """``body_bytes`` / ``response_bytes``: the JSON text, parsed when first read, instead
        of ``body`` / ``response``."""
        self.method = method
        self.route = route
        self.path = path
        self.status = status
        self.files = files if files is not None else []
        self.query = query if query is not None else {}
        self._body_bytes = body_bytes
        self._body = body if body_bytes is None else _UNPARSED
        self._response_bytes = response_bytes
        self._response = response if response_bytes is None else _UNPARSED

    @property
    def body(self) -> Any:
        if self._body is _UNPARSED:
            assert self._body_bytes is not None
            self._body = orjson.loads(self._body_bytes)
        return self._body

    @body.setter
    def body(self, value: Any) -> None:
        self._body, self._body_bytes = value, None

    @property
    def response(self) -> Any:
        if self._response is _UNPARSED:
            assert self._response_bytes is not None
            self._response = orjson.loads(self._response_bytes)
        return self._response

    @response.setter
    def response(self, value: Any) -> None:
        self._response, self._response_bytes = value, None

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.method,
            self.route,
            self.path,
            self.body,
            self.status,
            self.response,
            self.files,
            self.query,
        )

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, RestCall)
        return self._fields() == other._fields()

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value (as a dataclass)

    def __repr__(self) -> str:
        return (
            f"RestCall(method={self.method!r}, route={self.route!r}, path={self.path!r}, "
            f"body={self.body!r}, status={self.status!r}, response={self.response!r}, "
            f"files={self.files!r}, query={self.query!r})"
        )

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status}"


CallPredicate = Callable[[RestCall], bool]


class RestLog:
    def __init__(self) -> None:
        self.calls: list[RestCall] = []
        self._waiters: list[tuple[CallPredicate, asyncio.Future[RestCall]]] = []
        # Called with every call once it is logged (the web client follows the bot's writes).
        self.listeners: list[Callable[[RestCall], None]] = []

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
        for listener in self.listeners:
            listener(call)
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
