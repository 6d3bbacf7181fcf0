"""Titles and council names are one line: they go into mail headers, the invite and the
protocol (R4); a line break accepted at convening used to stop the notices for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from orchestrator.convening import rules
from orchestrator.convening.service import parse_draft
from orchestrator.kernel.errors import Invalid

BREAKS = ["\n", "\r", "\r\n", "\t", "\v", "\f", "\x85", "\u2028", "\u2029", "\x1e", "\x00"]


def draft(**over: Any) -> dict[str, Any]:
    return {
        "title": "Позачергова сесія",
        "number": 1,
        "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(),
        "agenda": [{"title": "Питання 1", "category": "urgent_budget"}],
        **over,
    }


@pytest.mark.parametrize("brk", BREAKS)
def test_session_title_with_a_line_break_is_refused(brk: str) -> None:
    """A session title with any line break or control character is refused (422, field)."""
    with pytest.raises(Invalid) as caught:
        parse_draft(draft(title=f"Сесія{brk}Bcc: all@example.org"))
    assert caught.value.field == "title"


@pytest.mark.parametrize("brk", BREAKS)
def test_agenda_item_title_with_a_line_break_is_refused(brk: str) -> None:
    """So is an agenda item's title (it is printed in the notice and the chapters)."""
    with pytest.raises(Invalid) as caught:
        rules.parse_agenda([{"title": f"Питання{brk}1", "category": "urgent_budget"}])
    assert caught.value.field == "agenda[0].title"


@pytest.mark.parametrize("brk", BREAKS)
def test_council_name_with_a_line_break_is_refused(brk: str) -> None:
    """The council's name is the notices' From name."""
    with pytest.raises(Invalid):
        rules.one_line({"name": f"Рада{brk}X"}, "name", max_len=300)


def test_ordinary_titles_pass() -> None:
    """Apostrophes, dashes, quotes and numbers are one line and pass, trimmed."""
    got = parse_draft(draft(title="  LXXXIII (позачергова) сесія «Про бюджет» — м. Кам'янське "))
    assert got.title == "LXXXIII (позачергова) сесія «Про бюджет» — м. Кам'янське"
