"""What every Agora embed shares: its colour."""

from __future__ import annotations

import discord

AGORA_COLOUR = discord.Colour(0x2E86AB)
