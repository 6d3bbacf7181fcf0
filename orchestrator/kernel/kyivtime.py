"""Time as the council reads it: Kyiv's zone and Ukrainian dates ("23 листопада 2026").

Pure: one place for the zone and the month names in the genitive, so the notices, the protocol
and the pages write a date the same way.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

KYIV = ZoneInfo("Europe/Kyiv")

MONTHS_GENITIVE = (
    "січня", "лютого", "березня", "квітня", "травня", "червня",
    "липня", "серпня", "вересня", "жовтня", "листопада", "грудня",
)  # fmt: skip


def day_uk(d: date) -> str:
    """``23 листопада 2026``: a calendar day in words (callers add "р." or "року")."""
    return f"{d.day} {MONTHS_GENITIVE[d.month - 1]} {d.year}"
