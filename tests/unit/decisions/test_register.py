"""The register's rules (S3, S4, S5): numbering patterns, retries and bounces, lateness, control."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from orchestrator.decisions import register
from orchestrator.kernel.errors import Invalid

AT = datetime(2026, 5, 22, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("{seq}-{session_roman}/{convocation_roman}", "45-LXXXIII/VII"),
        ("{seq}", "45"),
        ("№ {session}/{item}-{seq} ({year})", "№ 83/2-45 (2026)"),
        ("{seq}-{convocation}", "45-7"),
    ],
)
def test_numbers_follow_the_councils_pattern(pattern: str, expected: str) -> None:
    """The council's pattern names the parts of a registry number (S3)."""
    got = register.number(pattern, seq=45, item=1, session=83, convocation=7, at=AT)
    assert got == expected


@pytest.mark.parametrize(
    "pattern", ["{session}", "{seq.__class__}", "{seq!r}", "{seq:>10}", "{seq", "{other}{seq}", ""]
)
def test_bad_patterns_are_refused(pattern: str) -> None:
    """Without {seq}, with attributes, conversions, formats, unknown parts or broken braces."""
    with pytest.raises(Invalid):
        register.check_pattern(pattern)


def test_transient_refusals_are_retried_with_doubling_delay_then_bounce() -> None:
    """4xx: retried 5, 10, 20… minutes later; a 5xx or the last attempt bounces (S4)."""
    first = register.after_attempt(1, ok=False, permanent=False, now=AT)
    second = register.after_attempt(2, ok=False, permanent=False, now=AT)
    assert (first.status, first.next_attempt_at) == ("retrying", AT + timedelta(minutes=5))
    assert second.next_attempt_at == AT + timedelta(minutes=10)
    assert register.after_attempt(1, ok=False, permanent=True, now=AT).status == "bounced"
    last = register.after_attempt(register.MAX_ATTEMPTS, ok=False, permanent=False, now=AT)
    assert last.status == "bounced"
    assert register.after_attempt(3, ok=True, permanent=False, now=AT).status == "sent"


def test_late_after_two_days_of_signing() -> None:
    """A delivery is late when made, or still missing, more than two days after signing."""
    deadline = AT + timedelta(days=2)
    assert not register.late(AT, deadline, deadline + timedelta(days=5))
    assert register.late(AT, deadline + timedelta(seconds=1), deadline)
    assert register.late(AT, None, deadline + timedelta(seconds=1))
    assert not register.late(None, None, deadline + timedelta(days=9))


@pytest.mark.parametrize(
    ("due", "reported", "off", "state"),
    [
        (date(2026, 6, 1), False, True, "off"),
        (date(2026, 5, 1), True, False, "reported"),
        (date(2026, 5, 21), False, False, "overdue"),
        (date(2026, 5, 22), False, False, "due"),
        (date(2026, 5, 29), False, False, "due"),
        (date(2026, 5, 30), False, False, "pending"),
    ],
)
def test_control_states(due: date, reported: bool, off: bool, state: str) -> None:
    """S5: off control, reported, overdue past the date, due within a week, else pending."""
    assert register.control_state(due, reported, off, date(2026, 5, 22)) == state
