"""The bot as the cogs see it: discord.py's ``Bot`` with what Agora gives it.

``bot/app.py``'s ``AgoraBot`` is the one implementation; the cogs name this class, so
they never import the module that starts them.
"""

from __future__ import annotations

from collections.abc import Callable

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from discord.ext import commands

from bot.cogs.shared.pagination import Pages
from bot.config import Config
from bot.wiring import Services


class AgoraClient(commands.Bot):
    config: Config
    services: Services
    scheduler: AsyncIOScheduler
    # Paginated lists register how to draw a page (bot/cogs/shared/pagination.py).
    pages: Pages
    # Set by the discussions tracker: counts one message, synchronously (AgoraBot.dispatch).
    message_hook: Callable[[discord.Message], None] | None
