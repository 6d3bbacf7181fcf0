"""The register of decisions (S3) and their distribution (S4): numbering, delivery rules. Pure.

A council numbers its decisions by its own scheme per convocation, e.g. «45-III/VIII» (the 45th
decision of the convocation, session III, convocation VIII); the pattern names its parts in
braces: ``{seq}`` (required: the decision's order in the convocation), ``{item}`` (the agenda
item, from 1), ``{session}``, ``{session_roman}``, ``{convocation}``, ``{convocation_roman}``,
``{year}``. A signed decision goes to every executor on the author's distribution list within
1–2 days of signing (S4): a transient refusal is retried with a doubling delay, a permanent one
(5xx, the mailbox does not exist) bounces at once and shows for the office to correct.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.ukrainian import number_of, roman

DEFAULT_PATTERN = "{seq}-{session_roman}/{convocation_roman}"
PARTS = frozenset(
    {"seq", "item", "session", "session_roman", "convocation", "convocation_roman", "year"}
)
MAX_PATTERN = 100

DISTRIBUTION_DAYS = 2  # S4: «не пізніше 1–2 днів після підписання»
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=5)


def check_pattern(pattern: str) -> str:
    """A numbering pattern: plain ``{name}`` parts of :data:`PARTS`, ``{seq}`` among them."""
    if not 1 <= len(pattern) <= MAX_PATTERN or any(ord(c) < 32 for c in pattern):
        raise Invalid(f"pattern: 1–{MAX_PATTERN} characters", field="pattern")
    names = []
    try:
        parsed = list(string.Formatter().parse(pattern))
    except ValueError:
        raise Invalid("pattern: unbalanced braces", field="pattern") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PARTS or spec or conversion:
            allowed = ", ".join(sorted(f"{{{p}}}" for p in PARTS))
            raise Invalid(f"pattern: only {allowed}", field="pattern")
        names.append(name)
    if "seq" not in names:
        raise Invalid("pattern must contain {seq}", field="pattern")
    return pattern


def number(
    pattern: str, *, seq: int, item: int, session: int, convocation: int | str, at: datetime
) -> str:
    """The registry number of a decision."""
    conv = number_of(convocation)
    return check_pattern(pattern).format(
        seq=seq,
        item=item + 1,
        session=session,
        session_roman=roman(session),
        convocation=conv if conv is not None else convocation,
        convocation_roman=roman(conv) if conv is not None else convocation,
        year=at.year,
    )


# --- delivery (S4) ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happens to a delivery after one attempt."""

    status: str  # sent | retrying | bounced
    next_attempt_at: datetime | None


def after_attempt(attempts: int, *, ok: bool, permanent: bool, now: datetime) -> Outcome:
    """``attempts`` made so far (this one included): sent, retried later, or bounced."""
    if ok:
        return Outcome("sent", None)
    if permanent or attempts >= MAX_ATTEMPTS:
        return Outcome("bounced", None)
    return Outcome("retrying", now + FIRST_RETRY * 2 ** (attempts - 1))


def distribution_deadline(signed_at: datetime) -> datetime:
    return signed_at + timedelta(days=DISTRIBUTION_DAYS)


def late(signed_at: datetime | None, sent_at: datetime | None, now: datetime) -> bool:
    """Delivered after the deadline, or not delivered and the deadline passed (S4)."""
    if signed_at is None:
        return False
    deadline = distribution_deadline(signed_at)
    return (sent_at or now) > deadline


# --- control of execution (S5) -------------------------------------------------------------------

DUE_SOON_DAYS = 7


def control_state(due_on: date, reported: bool, off: bool, today: date) -> str:
    """One executor's control: ``off`` (taken off control), ``reported`` (their report is
    attached), ``overdue`` (past the control date), ``due`` (within a week) or ``pending``."""
    if off:
        return "off"
    if reported:
        return "reported"
    if today > due_on:
        return "overdue"
    if (due_on - today).days <= DUE_SOON_DAYS:
        return "due"
    return "pending"


CONTROL_STATE_UK = {
    "off": "знято з контролю",
    "reported": "звіт надано",
    "overdue": "прострочено",
    "due": "настає строк",
    "pending": "на контролі",
}
