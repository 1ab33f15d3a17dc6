"""Outcomes: /outcome, /action and /meeting summary.

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.outcomes.actions import ActionCog
from bot.cogs.outcomes.commands import OutcomeCog
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(OutcomeCog(bot))
    await bot.add_cog(ActionCog(bot))
