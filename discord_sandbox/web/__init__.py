"""A Discord-like web client for the sandbox: channels, messages with markdown and embeds,
buttons, select menus, forms, slash commands with autocomplete, users and roles, live.

Plain HTML, CSS and JavaScript in ``static/`` (no build step, nothing fetched from outside
loopback) over a JSON API built on the user driver; see :mod:`discord_sandbox.web.app`.
"""

from discord_sandbox.web.app import WebClient, build_web_app, start_web_client

__all__ = ["WebClient", "build_web_app", "start_web_client"]
