"""Challenges: /challenge add, list, remove and match.

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.challenges.commands import ChallengeCog
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(ChallengeCog(bot))
