"""Match concrete REST paths (``/channels/123/messages``) to the spec's path templates.

Templates are stored in a segment trie built once: a lookup walks the concrete path's
segments, trying the literal child before the parameter child and backtracking, so a
literal segment such as ``@me``, ``@original`` or ``bulk-delete`` always beats a
``{parameter}`` at the same position, and the cost is proportional to the path's length,
not to the number of routes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# discord.py sends ``/api/v10/...``; the spec's templates start after that prefix.
_API_PREFIX = re.compile(r"^/api/v\d+(?=/)")


@dataclass
class _Node:
    literals: dict[str, _Node] = field(default_factory=dict)
    parameter: _Node | None = None
    # Upper-case method -> template, for templates ending at this node.
    templates: dict[str, str] = field(default_factory=dict)


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _segments(path: str) -> list[str]:
    return path.strip("/").split("/")


def template_segments(template: str) -> list[str]:
    """``/channels/{channel_id}/messages`` -> ``['channels', '{channel_id}', 'messages']``."""
    return _segments(template)


def concrete_segments(concrete_path: str) -> list[str]:
    """The segments a template's are matched against (no ``/api/v10``, no query string)."""
    return _segments(_API_PREFIX.sub("", concrete_path.split("?", 1)[0]))


class RouteTable:
    def __init__(self, routes: Iterable[tuple[str, Iterable[str]]]) -> None:
        """``routes``: (template, methods) pairs, e.g. ('/channels/{channel_id}', ['get'])."""
        self._root = _Node()
        for template, methods in routes:
            node = self._root
            for segment in _segments(template):
                if _is_parameter(segment):
                    if node.parameter is None:
                        node.parameter = _Node()
                    node = node.parameter
                else:
                    node = node.literals.setdefault(segment, _Node())
            for method in methods:
                node.templates[method.upper()] = template

    def match(self, method: str, concrete_path: str) -> str | None:
        return _find(self._root, concrete_segments(concrete_path), 0, method.upper())


def _find(node: _Node, segments: list[str], index: int, method: str) -> str | None:
    if index == len(segments):
        return node.templates.get(method)
    segment = segments[index]
    literal = node.literals.get(segment)
    if literal is not None:
        found = _find(literal, segments, index + 1, method)
        if found is not None:
            return found
    if node.parameter is not None and segment:
        return _find(node.parameter, segments, index + 1, method)
    return None
