"""Errors that carry a message meant for the user.

Services raise these; the global app-command error handler turns them into an
ephemeral reply. Anything else is a bug: logged with a traceback, answered with
an apology and an error id.
"""

from __future__ import annotations


class AgoraError(Exception):
    """A known, expected failure whose message can be shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(AgoraError):
    """The thing the user named does not exist."""


class InvalidInput(AgoraError):
    """The user's input is wrong; the message says what and how to fix it."""


class PermissionDenied(AgoraError):
    """The user may not do this."""


class Conflict(AgoraError):
    """The request clashes with the current state (already a member, ...)."""
