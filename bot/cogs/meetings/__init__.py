"""Meetings: /meeting, /calendar and /remind.

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.meetings.calendar import CalendarCog
from bot.cogs.meetings.commands import MeetingCog
from bot.cogs.meetings.remind import RemindCog
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(MeetingCog(bot))
    await bot.add_cog(CalendarCog(bot))
    await bot.add_cog(RemindCog(bot))
