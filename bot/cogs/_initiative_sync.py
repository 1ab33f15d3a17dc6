"""What ``directory_sync`` dispatches after each gateway event it handled.

Lives in a private module (imported once, unlike extensions, which discord.py
loads as fresh modules) so that tests and other cogs share the same class.
"""

from __future__ import annotations

from dataclasses import dataclass

SYNC_EVENT = "directory_sync"  # bot.wait_for("directory_sync", check=...)


@dataclass(frozen=True)
class SyncNote:
    """One handled gateway event: ``kind`` is channel_deleted, channel_renamed,
    role_deleted, roles_changed, member_left or guild_joined; ``subject_id`` the
    channel, role, user or guild; ``changed`` whether the directory changed."""

    kind: str
    guild_id: int
    subject_id: int
    changed: bool
