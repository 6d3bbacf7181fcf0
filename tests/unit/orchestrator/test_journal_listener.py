"""The journal listener's pure parts: the notification payload and the reconnection backoff."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from orchestrator.kernel.journal.chain import event_from_public, seal
from orchestrator.kernel.journal.listener import (
    BACKOFF_CAP_SECONDS,
    Appended,
    backoff,
    parse,
)
from orchestrator.kernel.journal.store import NOTICE_MAX_BYTES, notice

SID = uuid.UUID("7f1c3d2e-0b9a-4c5d-8e6f-112233445566")


@pytest.mark.parametrize(
    ("payload", "parsed"),
    [
        (f"{SID}:1", Appended(SID, 1)),
        (f"{SID}:12345", Appended(SID, 12345)),
        (f"{SID}", None),
        (f"{SID}:", None),
        (f"{SID}:x", None),
        ("not-a-uuid:3", None),
        ("", None),
    ],
)
def test_payload_is_session_and_seq(payload: str, parsed: Appended | None) -> None:
    """``"<session id>:<seq>"`` parses; anything else is None (logged and dropped)."""
    assert parse(payload) == parsed


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(0, 0.0), (1, 0.1), (2, 0.2), (3, 0.4), (6, 3.2), (7, BACKOFF_CAP_SECONDS), (50, 5.0)],
)
def test_backoff_is_immediate_then_doubles_to_the_cap(failures: int, seconds: float) -> None:
    """The first attempt after a loss is immediate; then 0.1 s doubling, capped at 5 s."""
    assert backoff(failures) == pytest.approx(seconds)


def test_a_notice_carries_the_event_when_it_fits() -> None:
    """Issue 14: an act's notice carries the event's public JSON, which reads back as the
    event; one too large for NOTIFY's 8,000 bytes carries only the seq (the journal is read)."""
    small = seal(
        SID, 7, datetime(2026, 12, 2, 10, 0, tzinfo=UTC), "system", "x", {"a": "ї"}, "0" * 64
    )
    heard = parse(notice(small), 42)
    assert heard == Appended(SID, 7) and heard.pid == 42
    assert heard.event is not None
    assert event_from_public(json.loads(heard.event)) == small
    big = seal(SID, 8, small.at, "system", "x", {"text": "ґ" * 4000}, small.hash)
    assert len(notice(big).encode()) < NOTICE_MAX_BYTES
    heard = parse(notice(big))
    assert heard == Appended(SID, 8) and heard.event is None
