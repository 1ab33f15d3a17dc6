"""A Discord-compatible server (REST v10 + gateway) for testing bots without Discord.

Point an unmodified discord.py client at it with::

    discord.http.Route.BASE = sb.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sb.gateway_url)

See docs/sandbox.md.
"""

from discord_sandbox.driver import CommandError, InteractionFailed, InteractionResult, UserDriver
from discord_sandbox.interactions import InteractionFailure
from discord_sandbox.server import Sandbox

__all__ = [
    "CommandError",
    "InteractionFailed",
    "InteractionFailure",
    "InteractionResult",
    "Sandbox",
    "UserDriver",
]
