"""Privacy: /privacy show, forget and forget-member.

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.privacy.commands import PrivacyCog
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(PrivacyCog(bot))
