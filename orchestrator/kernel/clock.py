"""The clock: one type for "now", passed in wherever a rule or a service needs the time.

Rules take the time as a parameter; services take a ``Clock`` so tests can move time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: an aware UTC datetime."""
    return datetime.now(UTC)
