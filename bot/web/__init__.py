"""Agora's public web pages: the directory, the meetings and their calendar feeds, read
only, for people who are not on Discord.

Like a cog, this package only reads the request, asks a service (``PublicSite`` in
bot/services/web/site.py) and renders the answer (Jinja2 templates in ``templates/``,
one stylesheet in ``static/``); it imports neither discord nor storage. ``server.py``
builds the aiohttp application and starts and stops it with Agora (bot/runtime.py).
"""
