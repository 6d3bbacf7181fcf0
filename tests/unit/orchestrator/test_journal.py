"""The journal's hash chain (DESIGN principle 1)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from orchestrator.kernel.journal import chain as journal

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def chain(n: int = 5) -> list[journal.Event]:
    sid = uuid.UUID(int=7)
    out, prev = [], journal.GENESIS
    for i in range(1, n + 1):
        ev = journal.seal(
            sid,
            i,
            T0 + timedelta(seconds=i),
            "admin",
            "remark_recorded",
            {"item": i, "text": "Зауваження щодо ґрунтів і їжі"},
            prev,
        )
        out.append(ev)
        prev = ev.hash
    return out


def test_intact_chain_verifies() -> None:
    """A chain built by seal() has no faults."""
    assert journal.verify_chain(chain()) == []


@pytest.mark.parametrize("field", ["seq", "at", "actor", "type", "payload", "prev_hash", "hash"])
def test_any_altered_field_is_found(field: str) -> None:
    """Changing any field of any stored event breaks the chain at that event."""
    events = chain()
    victim = events[2]
    changed = {
        "seq": 99,
        "at": victim.at + timedelta(microseconds=1),
        "actor": "chair",
        "type": "ballot_recorded",
        "payload": {**victim.payload, "text": "інше"},
        "prev_hash": "f" * 64,
        "hash": "0" * 64,
    }[field]
    events[2] = dataclasses.replace(victim, **{field: changed})
    faults = journal.verify_chain(events)
    assert faults and faults[0].seq in (3, 99)


def test_removed_event_is_found() -> None:
    """Dropping an event from the middle is a sequence gap and a broken link."""
    events = chain()
    del events[1]
    reasons = [f.reason for f in journal.verify_chain(events)]
    assert any("gap" in r for r in reasons)
    assert any("previous hash" in r for r in reasons)


def test_canonical_form_is_stable_and_keeps_ukrainian() -> None:
    """Key order does not change the hash; Ukrainian letters are hashed as UTF-8, not escaped."""
    sid = uuid.uuid4()
    a = journal.canonical(sid, 1, T0, "a", "t", {"b": 1, "a": "Їжак"})
    b = journal.canonical(sid, 1, T0, "a", "t", {"a": "Їжак", "b": 1})
    assert a == b
    assert "Їжак".encode() in a


def test_public_form_round_trips() -> None:
    """An event published as JSON reads back identical (archive verification depends on it)."""
    for ev in chain(3):
        assert journal.event_from_public(ev.to_public()) == ev


def test_naive_times_are_refused() -> None:
    """A journal time without a zone would hash differently on another machine."""
    with pytest.raises(ValueError, match="timezone"):
        journal.format_time(datetime(2026, 1, 1))


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 12, 2, 17, 5, 9, 0, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2026, 12, 2, 17, 5, 9, 7, tzinfo=UTC),
        datetime(2026, 3, 29, 5, 30, 0, 999999, tzinfo=ZoneInfo("Europe/Kyiv")),
        datetime(2026, 10, 25, 3, 30, 0, 5, tzinfo=timezone(timedelta(hours=-11, minutes=-30))),
    ],
)
def test_a_journal_time_reads_as_it_always_has(at: datetime) -> None:
    """Every hash in every archive covers this text: it must stay byte for byte what
    ``strftime("%Y-%m-%dT%H:%M:%S.%fZ")`` in UTC gave."""
    assert journal.format_time(at) == at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert journal.parse_time(journal.format_time(at)) == at
