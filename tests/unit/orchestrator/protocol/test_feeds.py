"""Feeds of announced sessions: Atom and iCalendar built by hand, parsed by real parsers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID
from xml.etree import ElementTree as ET

from icalendar import Calendar

from orchestrator.protocol import feeds
from orchestrator.protocol.feeds import Listed

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def listed(n: int, *, announced: bool = True, cancelled: bool = False) -> Listed:
    starts = NOW + timedelta(days=n)
    return Listed(
        id=UUID(int=n),
        council_name="Коростишівська міська рада",
        convocation=8,
        title="Позачергова сесія; бюджет, ремонт — «невідкладні» питання " * 2,
        number=80 + n,
        starts_at=starts,
        planned_end=starts + timedelta(hours=3),
        status="announced" if announced else "convened",
        announced_at=NOW if announced else None,
        opened_at=None,
        closed_at=None,
        cancelled=cancelled,
        published_at=None,
    )


def test_ical_folds_long_ukrainian_lines_and_escapes_text():
    """Lines stay within 75 octets without splitting a letter; commas and semicolons escaped."""
    body = feeds.ical([listed(1), listed(2, cancelled=True)], "http://rada.test", NOW)
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # never cut inside a UTF-8 sequence
    cal = Calendar.from_ical(body)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 2
    assert str(events[0]["SUMMARY"]).endswith(listed(1).title)
    assert {str(e["STATUS"]) for e in events} == {"CONFIRMED", "CANCELLED"}


def test_unannounced_sessions_are_not_in_the_feeds():
    """R3: only announced (or held) sessions are public."""
    sessions = [listed(1), listed(2, announced=False)]
    cal = Calendar.from_ical(feeds.ical(sessions, "http://rada.test", NOW))
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == [f"{UUID(int=1)}@rada"]
    root = ET.fromstring(feeds.atom(sessions, "http://rada.test", NOW))  # noqa: S314 - ours
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1
    assert root.attrib["{http://www.w3.org/XML/1998/namespace}lang"] == "uk"
