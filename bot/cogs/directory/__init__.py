"""The directory: /initiative, /cluster, /me, and the listeners that keep the mapping
in step with Discord.

This module only registers the area's cogs; the code is in the modules beside it.
"""

from __future__ import annotations

from bot.cogs.directory.clusters import ClusterCog
from bot.cogs.directory.initiatives import InitiativeCog
from bot.cogs.directory.me import MeCog
from bot.cogs.directory.pitches import PitchForms
from bot.cogs.directory.sync import DirectorySync
from bot.cogs.shared.client import AgoraClient


async def setup(bot: AgoraClient) -> None:
    await bot.add_cog(InitiativeCog(bot))
    await bot.add_cog(ClusterCog(bot))
    await bot.add_cog(MeCog(bot))
    await bot.add_cog(DirectorySync(bot))
    await bot.add_cog(PitchForms(bot))
