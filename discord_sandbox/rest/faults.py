"""Test-controlled REST faults: fail or delay the next matching requests."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(slots=True)
class _Rule:
    method: str | None
    pattern: str
    times: int
    status: int = 500
    delay: float = 0.0

    def matches(self, method: str, route: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return fnmatchcase(route, self.pattern) or fnmatchcase(path, self.pattern)


def _split(route_pattern: str) -> tuple[str | None, str]:
    """``"POST /channels/*/messages"`` -> ("POST", "/channels/*/messages")."""
    head, _, rest = route_pattern.partition(" ")
    if rest and head.isupper():
        return head, rest.strip()
    return None, route_pattern.strip()


class FaultInjector:
    """Patterns are fnmatch globs matched against the route template
    (``/channels/{channel_id}/messages``) or the concrete path (``/channels/123/messages``),
    optionally prefixed with an HTTP method."""

    def __init__(self) -> None:
        self._failures: list[_Rule] = []
        self._delays: list[_Rule] = []

    def __bool__(self) -> bool:
        return bool(self._failures or self._delays)

    def fail_next(self, route_pattern: str, status: int = 500, times: int = 1) -> None:
        method, pattern = _split(route_pattern)
        self._failures.append(_Rule(method, pattern, times, status=status))

    def delay_next(self, route_pattern: str, seconds: float, times: int = 1) -> None:
        method, pattern = _split(route_pattern)
        self._delays.append(_Rule(method, pattern, times, delay=seconds))

    def clear(self) -> None:
        self._failures.clear()
        self._delays.clear()

    @staticmethod
    def _take(rules: list[_Rule], method: str, route: str, path: str) -> _Rule | None:
        for rule in rules:
            if rule.matches(method, route, path):
                rule.times -= 1
                if rule.times <= 0:
                    rules.remove(rule)
                return rule
        return None

    def take_failure(self, method: str, route: str, path: str) -> int | None:
        rule = self._take(self._failures, method, route, path)
        return None if rule is None else rule.status

    def take_delay(self, method: str, route: str, path: str) -> float:
        rule = self._take(self._delays, method, route, path)
        return 0.0 if rule is None else rule.delay
