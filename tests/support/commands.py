"""Which commands change nothing, said once for the fuzz of every command
(tests/reliability/test_fuzz_commands.py: they must not change any table, whatever they
are given) and for the check that every command that writes is limited
(tests/reliability/test_trust_limits.py)."""

from __future__ import annotations

# Commands that change nothing and carry no limit. (Some only ask first: the change comes
# with a button or a form, limited there.)
READS = frozenset(
    {
        "action list",
        "admin export",
        "calendar ics",
        "challenge add",
        "challenge list",
        "cluster info",
        "cluster list",
        "digest preview",
        "discussion list",
        "discussion top",
        "initiative doc list",
        "initiative info",
        "initiative list",
        "initiative members",
        "initiative pitch set",
        "initiative project list",
        "initiative search",
        "me",
        "meeting attendees",
        "meeting ics",
        "meeting info",
        "meeting list",
        "meeting summary",
        "outcome list",
        "poll results",
        "privacy forget",
        "privacy forget-member",
        "privacy show",
    }
)
# Commands that change nothing yet, and carry the limit of what they ask about: they open
# a form or ask for a confirmation.
ASKS_FIRST = frozenset({"challenge match", "meeting cancel", "meeting create", "outcome add"})
# Commands that must not change any table, whatever they are given.
READ_ONLY = READS | ASKS_FIRST
