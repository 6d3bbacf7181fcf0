"""All SQL of the register of decisions and their distribution. Records stay here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

import asyncpg

from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class Decision:
    id: UUID
    session_id: UUID
    council_id: UUID
    convocation: int
    item: int
    seq: int
    number: str
    title: str
    filename: str
    content_type: str
    size: int
    sha256: str
    registered_at: datetime
    signed_at: datetime | None
    signed_by: str | None
    signature_sha256: str | None
    off_control_at: datetime | None = None  # S5


@dataclass(frozen=True, slots=True)
class Delivery:
    decision_id: UUID
    position: int
    name: str
    email: str
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    sent_at: datetime | None


_BY_ID = """SELECT id, session_id, council_id, convocation, item, seq, number, title, filename,
    content_type, length(content) AS size, sha256, registered_at, signed_at, signed_by,
    signature_sha256, off_control_at FROM decisions WHERE id = $1"""
_OF_SESSION = """SELECT id, session_id, council_id, convocation, item, seq, number, title, filename,
    content_type, length(content) AS size, sha256, registered_at, signed_at, signed_by,
    signature_sha256, off_control_at FROM decisions WHERE session_id = $1 ORDER BY item"""
_SIGNED = """SELECT id, session_id, council_id, convocation, item, seq, number, title, filename,
    content_type, length(content) AS size, sha256, registered_at, signed_at, signed_by,
    signature_sha256, off_control_at FROM decisions WHERE signed_at IS NOT NULL ORDER BY signed_at DESC, seq DESC"""


def _decision(r: asyncpg.Record) -> Decision:
    return Decision(*(r[k] for k in Decision.__dataclass_fields__))


def _delivery(r: asyncpg.Record) -> Delivery:
    return Delivery(*(r[k] for k in Delivery.__dataclass_fields__))


async def pattern(conn: Conn, council_id: UUID, convocation: int) -> str | None:
    value: str | None = await conn.fetchval(
        "SELECT pattern FROM decision_numbering WHERE council_id = $1 AND convocation = $2",
        council_id,
        convocation,
    )
    return value


async def put_pattern(conn: Conn, council_id: UUID, convocation: int, value: str) -> None:
    await conn.execute(
        """INSERT INTO decision_numbering (council_id, convocation, pattern) VALUES ($1, $2, $3)
           ON CONFLICT (council_id, convocation) DO UPDATE SET pattern = $3""",
        council_id,
        convocation,
        value,
    )


async def next_seq(conn: Conn, council_id: UUID, convocation: int) -> int:
    """The next number in the convocation (the caller holds the council's row lock)."""
    last = await conn.fetchval(
        "SELECT max(seq) FROM decisions WHERE council_id = $1 AND convocation = $2",
        council_id,
        convocation,
    )
    return int(last or 0) + 1


async def insert(conn: Conn, d: Decision, content: bytes) -> None:
    try:
        await conn.execute(
            """INSERT INTO decisions (id, session_id, council_id, convocation, item, seq, number,
                   title, filename, content_type, content, sha256, registered_at)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)""",
            d.id,
            d.session_id,
            d.council_id,
            d.convocation,
            d.item,
            d.seq,
            d.number,
            d.title,
            d.filename,
            d.content_type,
            content,
            d.sha256,
            d.registered_at,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "decisions_item_once":
            raise Conflict(
                "this question's decision is already registered", code="decision_registered"
            ) from None
        if exc.constraint_name == "decisions_number_once":
            raise Conflict(
                f"the number {d.number} is already taken in this convocation",
                code="decision_number_taken",
            ) from None
        raise


async def get(conn: Conn, decision_id: UUID, *, lock: bool = False) -> Decision:
    r = await conn.fetchrow(_BY_ID + (" FOR UPDATE" if lock else ""), decision_id)
    if r is None:
        raise NotFound(f"no decision {decision_id}", code="decision_not_found")
    return _decision(r)


async def content(conn: Conn, decision_id: UUID) -> bytes:
    data: bytes | None = await conn.fetchval(
        "SELECT content FROM decisions WHERE id = $1", decision_id
    )
    if data is None:
        raise NotFound(f"no decision {decision_id}", code="decision_not_found")
    return data


async def of_session(conn: Conn, session_id: UUID) -> list[Decision]:
    rows = await conn.fetch(_OF_SESSION, session_id)
    return [_decision(r) for r in rows]


async def signed(conn: Conn) -> list[Decision]:
    """Every signed decision, newest first: what the public register shows (S3, R20)."""
    rows = await conn.fetch(_SIGNED)
    return [_decision(r) for r in rows]


async def sign(
    conn: Conn,
    decision_id: UUID,
    at: datetime,
    by: str,
    signature_sha256: str | None,
    signature: bytes | None,
) -> None:
    await conn.execute(
        """UPDATE decisions SET signed_at = $2, signed_by = $3, signature_sha256 = $4,
               signature = $5 WHERE id = $1""",
        decision_id,
        at,
        by,
        signature_sha256,
        signature,
    )


async def put_distribution(
    conn: Conn, decision_id: UUID, executors: Sequence[tuple[str, str]]
) -> None:
    await conn.execute("DELETE FROM decision_deliveries WHERE decision_id = $1", decision_id)
    await conn.executemany(
        "INSERT INTO decision_deliveries (decision_id, position, name, email) VALUES ($1,$2,$3,$4)",
        [(decision_id, i, name, email) for i, (name, email) in enumerate(executors, start=1)],
    )


async def deliveries(conn: Conn, decision_id: UUID) -> list[Delivery]:
    rows = await conn.fetch(
        "SELECT * FROM decision_deliveries WHERE decision_id = $1 ORDER BY position", decision_id
    )
    return [_delivery(r) for r in rows]


async def queue(conn: Conn, decision_id: UUID, at: datetime, position: int | None = None) -> int:
    """Queue the listed (or one bounced) deliveries of a decision for sending now."""
    result: str = await conn.execute(
        """UPDATE decision_deliveries SET status = 'queued', next_attempt_at = $2, last_error = NULL
           WHERE decision_id = $1 AND ($3::integer IS NULL OR position = $3)
             AND status IN ('listed', 'bounced')""",
        decision_id,
        at,
        position,
    )
    return int(result.split()[-1])


async def set_email(conn: Conn, decision_id: UUID, position: int, email: str) -> None:
    done = await conn.execute(
        "UPDATE decision_deliveries SET email = $3 WHERE decision_id = $1 AND position = $2",
        decision_id,
        position,
        email,
    )
    if done.endswith(" 0"):
        raise NotFound("no such executor on the list", code="executor_not_found")


async def claim_due(conn: Conn, now: datetime, limit: int, lease_until: datetime) -> list[Delivery]:
    """Claim the deliveries due now: each is leased (``next_attempt_at`` moved to
    ``lease_until``) so that no other instance takes it while this one sends; the caller commits
    before sending. A process that dies mid-send leaves the lease to expire: sent again then."""
    rows = await conn.fetch(
        """UPDATE decision_deliveries d SET next_attempt_at = $3
           FROM (SELECT decision_id, position FROM decision_deliveries
                 WHERE status IN ('queued', 'retrying') AND next_attempt_at <= $1
                 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED) due
           WHERE d.decision_id = due.decision_id AND d.position = due.position
           RETURNING d.*""",
        now,
        limit,
        lease_until,
    )
    return sorted((_delivery(r) for r in rows), key=lambda d: (d.decision_id.bytes, d.position))


async def finish(
    conn: Conn,
    d: Delivery,
    *,
    status: str,
    error: str | None,
    next_attempt_at: datetime | None,
    at: datetime,
) -> bool:
    """Record an attempt of a claimed delivery; False if its lease was lost meanwhile (expired
    and claimed again, or the delivery re-listed): then the other attempt records."""
    done: str = await conn.execute(
        """UPDATE decision_deliveries SET status = $3, attempts = attempts + 1, last_error = $4,
               next_attempt_at = $5, sent_at = CASE WHEN $3 = 'sent' THEN $6 ELSE sent_at END
           WHERE decision_id = $1 AND position = $2 AND next_attempt_at = $7
             AND status IN ('queued', 'retrying')""",
        d.decision_id,
        d.position,
        status,
        error,
        next_attempt_at,
        at,
        d.next_attempt_at,
    )
    return not done.endswith(" 0")


# --- control of execution (S5) ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Control:
    decision_id: UUID
    position: int
    executor: str
    due_on: date
    reports: int
    last_report_at: datetime | None
    off_control_at: datetime | None


async def put_controls(conn: Conn, decision_id: UUID, controls: Sequence[tuple[str, date]]) -> None:
    """Place under control (once: a control with reports cannot be replaced)."""
    if await conn.fetchval("SELECT 1 FROM decision_controls WHERE decision_id = $1", decision_id):
        raise Conflict("the decision is already under control", code="already_controlled")
    await conn.executemany(
        "INSERT INTO decision_controls (decision_id, position, executor, due_on) VALUES ($1,$2,$3,$4)",
        [(decision_id, i, executor, due) for i, (executor, due) in enumerate(controls, start=1)],
    )


async def controls(conn: Conn, decision_id: UUID | None = None) -> list[Control]:
    """Every control row (of one decision, or all), with its reports counted."""
    rows = await conn.fetch(
        """SELECT c.decision_id, c.position, c.executor, c.due_on,
                  count(r.id) AS reports, max(r.submitted_at) AS last_report_at, d.off_control_at
           FROM decision_controls c JOIN decisions d ON d.id = c.decision_id
           LEFT JOIN decision_reports r
             ON r.decision_id = c.decision_id AND r.position = c.position
           WHERE $1::uuid IS NULL OR c.decision_id = $1
           GROUP BY c.decision_id, c.position, c.executor, c.due_on, d.off_control_at,
                    d.registered_at
           ORDER BY d.registered_at, c.decision_id, c.position""",
        decision_id,
    )
    return [Control(*(r[k] for k in Control.__dataclass_fields__)) for r in rows]


async def insert_report(
    conn: Conn,
    decision_id: UUID,
    position: int,
    filename: str,
    content_type: str,
    content: bytes,
    sha256: str,
    at: datetime,
) -> UUID:
    report_id = uuid4()
    try:
        await conn.execute(
            """INSERT INTO decision_reports (id, decision_id, position, filename, content_type,
                   content, sha256, submitted_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)""",
            report_id,
            decision_id,
            position,
            filename,
            content_type,
            content,
            sha256,
            at,
        )
    except asyncpg.ForeignKeyViolationError:
        raise NotFound("no such executor under control", code="control_not_found") from None
    return report_id


async def take_off_control(conn: Conn, decision_id: UUID, at: datetime) -> None:
    await conn.execute("UPDATE decisions SET off_control_at = $2 WHERE id = $1", decision_id, at)
