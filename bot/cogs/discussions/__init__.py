"""Discussions: the thread tracker, /discussion, /digest and /nudges.

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.discussions.commands import DiscussionCog
from bot.cogs.discussions.digest import DigestCog
from bot.cogs.discussions.nudges import NudgeCog
from bot.cogs.discussions.tracker import ActivityListener
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(ActivityListener(bot))
    await bot.add_cog(DiscussionCog(bot))
    await bot.add_cog(DigestCog(bot))
    await bot.add_cog(NudgeCog(bot))
