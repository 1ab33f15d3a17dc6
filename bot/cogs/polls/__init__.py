"""Polls: /poll create, close and results (finding a time for a meeting).

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.polls.commands import PollCog
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(PollCog(bot))
