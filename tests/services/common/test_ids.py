"""Ids typed by people: ASCII digits only, and no larger than a stored id can be."""

from bot.services.common.ids import plain_id


def test_plain_ids() -> None:
    assert plain_id("12") == 12
    assert plain_id(" #12 ") == 12
    assert plain_id("²") is None
    assert plain_id("1²") is None
    assert plain_id("١٢") is None  # Arabic-Indic digits: isdigit() but not an id
    assert plain_id(str(10**23)) is None
    assert plain_id(str(2**63 - 1)) == 2**63 - 1
    assert plain_id("") is None and plain_id("#") is None and plain_id("12a") is None
