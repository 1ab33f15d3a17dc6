"""Links people added, written as Discord markdown that cannot lie about where it goes.

A document titled ``https://good.example/report.pdf`` whose link is
``https://evil.example/phish`` must not read as a link to good.example. Every
user-supplied link Agora shows (documents, projects, digests, meeting links)
goes through ``masked_link``:

* the title is shown as text only: markdown escaped, brackets made parentheses
  (so it cannot close the link early or nest another), and anything URL-like
  (``scheme://``) broken so Discord does not turn it into a link of its own;
* the real host is always written after the link, in plain sight:
  ``[Report](https://evil.example/phish) (evil.example)``. A host in another
  script is shown in its ASCII (punycode) form, which no look-alike survives.

Discord-free on purpose: the digest is rendered in services.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# What Discord's markdown gives a meaning to anywhere in a line: emphasis, code,
# spoilers, links, mentions and emoji (<...>), the backslash itself, and the colon
# of "https://" (escaped, it is no longer auto-linked).
_INLINE = re.compile(r"([\\*_~`|\[\]<:])")
# ... and at the start of a line: headings, quotes, list items.
_LINE_START = re.compile(r"^(\s*)([#>\-])", re.MULTILINE)
# The slashes of "scheme://" in a link's text (the colon before them already escaped).
_SLASHES_AFTER_COLON = re.compile(r"(?<=:)/+")


def escape_markdown(text: str) -> str:
    """``text`` as literal characters in Discord: no emphasis, code, link or mention,
    and nothing Discord would turn into a link by itself."""
    return _LINE_START.sub(r"\1\\\2", _INLINE.sub(r"\\\1", text))


def link_label(title: str) -> str:
    """A title safe inside a masked link's brackets: its words as text, never a link.

    Discord does not read escapes inside a masked link's text (the backslashes show)
    and judges that text as written, so an escaped colon alone would still leave
    ``\\://`` in it; the slashes after a colon are escaped too, and no ``://`` is left.
    """
    label = escape_markdown(" ".join(title.replace("[", "(").replace("]", ")").split()))
    return _SLASHES_AFTER_COLON.sub(lambda slashes: "\\/" * len(slashes[0]), label)


def link_target(url: str) -> str:
    """A URL safe inside a masked link's parentheses (validated URLs have no spaces)."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def link_host(url: str) -> str:
    """The host a link really goes to, as shown to readers: ``evil.example``.

    Login details before an ``@`` are not the host (``https://good.example@evil.example``
    goes to evil.example); a host in another script is shown as punycode.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        host, port = "", None
    if not host:
        return "no host"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            host = host.encode("ascii", "backslashreplace").decode("ascii")
    return f"{host}:{port}" if port is not None else host


def masked_link(title: str, url: str) -> str:
    """``[title](url) (host)``: a link whose text cannot pretend to be another link."""
    return f"[{link_label(title)}]({link_target(url)}) ({escape_markdown(link_host(url))})"
