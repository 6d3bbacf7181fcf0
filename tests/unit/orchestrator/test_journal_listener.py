"""The journal listener's pure parts: the notification payload and the reconnection backoff."""

from __future__ import annotations

import uuid

import pytest

from orchestrator.kernel.journal.listener import (
    BACKOFF_CAP_SECONDS,
    Appended,
    backoff,
    parse,
)

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
