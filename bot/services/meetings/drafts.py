"""``/meeting create`` forms waiting for their title and description, kept in the database.

The command checks everything it was given, then opens a form for the long text. What it
was given is stored first, so a form left open across a restart is still answered; rows
go when the form is answered, and are dropped after ``DRAFT_LIFETIME`` unanswered. A form
is answered only by the person who opened it: a submission by anyone else (a forged
custom_id) is refused and leaves the draft as it was.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from bot.errors import PermissionDenied
from bot.services.common.clock import Clock
from bot.services.meetings.service import MeetingDraft, RepeatSpec
from bot.storage.meetings.models import Location, Scope
from bot.storage.store import Store

# Longer than anyone spends on a form, short enough that nothing lingers.
DRAFT_LIFETIME = timedelta(hours=3)
NOT_YOUR_FORM = (
    "This form belongs to someone else's /meeting create: nothing was created or changed."
    " Run /meeting create to open your own."
)


def draft_to_json(draft: MeetingDraft) -> str:
    return json.dumps(asdict(draft), sort_keys=True)


def draft_from_json(text: str) -> MeetingDraft:
    data: dict[str, Any] = json.loads(text)
    location = data.pop("location")
    scope = data.pop("scope")
    offsets = data.pop("reminder_offsets")
    repeat = data.pop("repeat")
    return MeetingDraft(
        **data,
        location=Location(**location),
        scope=Scope(tuple(scope["cluster_ids"]), tuple(scope["initiative_ids"])),
        reminder_offsets=None if offsets is None else tuple(offsets),
        repeat=None if repeat is None else RepeatSpec(**repeat),
    )


@dataclass(frozen=True)
class PendingDraft:
    id: int
    guild_id: int
    user_id: int
    draft: MeetingDraft


class MeetingDraftService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._drafts = store.meeting_drafts
        self._clock = clock

    async def keep(self, guild_id: int, user_id: int, draft: MeetingDraft) -> int:
        """Store the draft until its form is answered; returns its id."""
        await self._drafts.delete_before(self._clock() - DRAFT_LIFETIME)
        return await self._drafts.insert(guild_id, user_id, draft_to_json(draft), self._clock())

    async def pending(self) -> list[PendingDraft]:
        """Drafts whose form may still be answered (after a restart), oldest first."""
        since = self._clock() - DRAFT_LIFETIME
        await self._drafts.delete_before(since)
        return [
            PendingDraft(row.id, row.guild_id, row.user_id, draft_from_json(row.draft))
            for row in await self._drafts.since(since)
        ]

    @staticmethod
    def check_answerer(owner_id: int, user_id: int) -> None:
        """Refuse (PermissionDenied, nothing touched) unless ``user_id`` opened the form."""
        if user_id != owner_id:
            raise PermissionDenied(NOT_YOUR_FORM)

    async def discard(self, draft_id: int, user_id: int) -> None:
        """The form was answered by its owner: drop its draft (someone else's stays)."""
        await self._drafts.delete(draft_id, user_id)
