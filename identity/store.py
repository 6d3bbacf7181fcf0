"""All SQL of the identity package, including all of the ``notices`` table (R4): convening
queues notices through :func:`queue_notices` (its ``NoticeQueue``), identity mails them and
reports them. Functions take a connection the service owns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from identity.links import Purpose, StoredLink
from orchestrator.convening import attendance
from orchestrator.convening import store as core
from orchestrator.kernel.database import Conn
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.journal.chain import Event
from orchestrator.kernel.web.auth import Role


@dataclass(frozen=True, slots=True)
class ParticipantRef:
    """The participant-list row identity needs (contact data stays inside rada)."""

    session_id: UUID
    participant_id: UUID
    role: Role
    surname: str
    given_name: str
    email: str
    removed: bool


@dataclass(frozen=True, slots=True)
class SignIn:
    """A live browser sign-in, already checked against its link and the participant list."""

    session_id: UUID
    participant_id: UUID
    role: Role
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Occupant:
    occupant_id: str
    participant_id: UUID | None
    name: str
    joined_at: datetime
    nick: str | None = None
    """The MUC nick (the occupant JID's resource), when Prosody reported it."""


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """One participant's convening notice (R4) and where its e-mail stands (no address)."""

    participant_id: UUID
    surname: str
    given_name: str
    role: str
    kind: str
    status: str  # queued | sending | sent | failed
    attempts: int
    last_error: str | None
    queued_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimedNotice:
    notice_id: int
    session_id: UUID
    participant_id: UUID


# --- participants and sessions ---------------------------------------------------------


def _ref(r: asyncpg.Record) -> ParticipantRef:
    return ParticipantRef(
        r["session_id"],
        r["participant_id"],
        Role(r["role"]),
        r["surname"],
        r["given_name"],
        r["email"],
        r["removed"],
    )


async def get_participant(
    conn: Conn, session_id: UUID, participant_id: UUID
) -> ParticipantRef | None:
    r = await conn.fetchrow(
        """SELECT session_id, participant_id, role, surname, given_name, email, removed
           FROM participants WHERE session_id = $1 AND participant_id = $2""",
        session_id,
        participant_id,
    )
    return None if r is None else _ref(r)


@dataclass(frozen=True, slots=True)
class TokenContext:
    """What a Jitsi token needs, read in one query."""

    participant: ParticipantRef
    room: str
    starts_at: datetime
    planned_end: datetime
    ended: bool
    opened: bool = False


async def token_context(conn: Conn, session_id: UUID, participant_id: UUID) -> TokenContext | None:
    r = await conn.fetchrow(
        """SELECT p.session_id, p.participant_id, p.role, p.surname, p.given_name, p.email,
                  p.removed, s.room, s.starts_at, s.planned_end,
                  EXISTS (SELECT 1 FROM journal j WHERE j.session_id = s.id
                          AND j.type = ANY($3::text[])) AS ended,
                  EXISTS (SELECT 1 FROM journal j WHERE j.session_id = s.id
                          AND j.type = $4) AS opened
           FROM participants p JOIN sessions s ON s.id = p.session_id
           WHERE p.session_id = $1 AND p.participant_id = $2""",
        session_id,
        participant_id,
        [events.SESSION_CLOSED, events.SESSION_CANCELLED],
        events.SESSION_OPENED,
    )
    if r is None:
        return None
    return TokenContext(
        _ref(r), r["room"], r["starts_at"], r["planned_end"], r["ended"], r["opened"]
    )


async def last_revocation(conn: Conn, session_id: UUID, participant_id: UUID) -> datetime | None:
    """When the participant's most recent personal link was revoked (``None``: never)."""
    value = await conn.fetchval(
        """SELECT max(revoked_at) FROM personal_links
           WHERE session_id = $1 AND participant_id = $2""",
        session_id,
        participant_id,
    )
    return value if isinstance(value, datetime) else None


async def session_by_room(conn: Conn, room: str) -> UUID | None:
    value = await conn.fetchval("SELECT id FROM sessions WHERE room = $1", room)
    return value if isinstance(value, UUID) else None


async def journal_types(conn: Conn, session_id: UUID, types: list[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT type FROM journal WHERE session_id = $1 AND type = ANY($2::text[])",
        session_id,
        types,
    )
    return {r["type"] for r in rows}


async def attendance_events(conn: Conn, session_id: UUID) -> list[Event]:
    """The session's journal events that attendance is folded from, in order."""
    return await journal_store.load_events(conn, session_id, types=attendance.TYPES)


# --- personal links --------------------------------------------------------------------


async def insert_link(conn: Conn, link: StoredLink, created_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO personal_links (token_sha256, session_id, participant_id, purpose,
               created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6)""",
        link.digest,
        link.session_id,
        link.participant_id,
        link.purpose.value,
        created_at,
        link.expires_at,
    )


async def revoke_current_link(
    conn: Conn, session_id: UUID, participant_id: UUID, at: datetime, reason: str
) -> bool:
    """Revoke the participant's current link and end every sign-in made with it."""
    digest = await conn.fetchval(
        """UPDATE personal_links SET revoked_at = $3, revoke_reason = $4
           WHERE session_id = $1 AND participant_id = $2 AND revoked_at IS NULL
           RETURNING token_sha256""",
        session_id,
        participant_id,
        at,
        reason,
    )
    await conn.execute(
        "DELETE FROM signins WHERE session_id = $1 AND participant_id = $2",
        session_id,
        participant_id,
    )
    return digest is not None


async def get_link(conn: Conn, digest: bytes) -> StoredLink | None:
    r = await conn.fetchrow("SELECT * FROM personal_links WHERE token_sha256 = $1", digest)
    if r is None:
        return None
    return StoredLink(
        bytes(r["token_sha256"]),
        r["session_id"],
        r["participant_id"],
        Purpose(r["purpose"]),
        r["expires_at"],
        r["revoked_at"],
    )


async def mark_link_used(conn: Conn, digest: bytes, at: datetime) -> None:
    await conn.execute(
        """UPDATE personal_links SET uses = uses + 1, last_used_at = $2,
               first_used_at = coalesce(first_used_at, $2) WHERE token_sha256 = $1""",
        digest,
        at,
    )


# --- sign-ins --------------------------------------------------------------------------


async def replace_signin(
    conn: Conn,
    cookie_digest: bytes,
    link: StoredLink,
    csrf_token: str,
    at: datetime,
) -> None:
    """The participant's new browser sign-in; their earlier ones end (one browser at a time)."""
    await conn.execute(
        "DELETE FROM signins WHERE session_id = $1 AND participant_id = $2",
        link.session_id,
        link.participant_id,
    )
    await conn.execute(
        """INSERT INTO signins (cookie_sha256, link_sha256, session_id, participant_id,
               csrf_token, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)""",
        cookie_digest,
        link.digest,
        link.session_id,
        link.participant_id,
        csrf_token,
        at,
        link.expires_at,
    )


async def get_signin(conn: Conn, cookie_digest: bytes, now: datetime) -> SignIn | None:
    """The sign-in, only while its link is unrevoked and unexpired and the person is listed."""
    r = await conn.fetchrow(
        """SELECT s.session_id, s.participant_id, p.role, s.csrf_token, s.expires_at
           FROM signins s
           JOIN personal_links l ON l.token_sha256 = s.link_sha256
           JOIN participants p ON p.session_id = s.session_id
                              AND p.participant_id = s.participant_id
           WHERE s.cookie_sha256 = $1 AND s.expires_at > $2 AND l.revoked_at IS NULL
             AND l.expires_at > $2 AND NOT p.removed""",
        cookie_digest,
        now,
    )
    if r is None:
        return None
    return SignIn(
        r["session_id"], r["participant_id"], Role(r["role"]), r["csrf_token"], r["expires_at"]
    )


async def delete_signin(conn: Conn, cookie_digest: bytes) -> None:
    await conn.execute("DELETE FROM signins WHERE cookie_sha256 = $1", cookie_digest)


# --- wrong-link rate limit -------------------------------------------------------------


async def link_failures(
    conn: Conn, address: str, now: datetime, window: timedelta
) -> tuple[int, datetime | None]:
    """Wrong links from ``address`` in its current window, and when that window began."""
    r = await conn.fetchrow(
        "SELECT failures, window_start FROM link_failures WHERE address = $1 AND window_start > $2",
        address,
        now - window,
    )
    return (0, None) if r is None else (int(r["failures"]), r["window_start"])


async def record_link_failure(conn: Conn, address: str, now: datetime, window: timedelta) -> int:
    """Count one more wrong link from ``address`` in the current window; return the count.
    Rows whose window has passed are deleted first, so the table holds only the addresses that
    failed within one window (many addresses guessing cannot grow it without bound)."""
    await conn.execute("DELETE FROM link_failures WHERE window_start <= $1", now - window)
    value = await conn.fetchval(
        """INSERT INTO link_failures (address, window_start, failures) VALUES ($1, $2, 1)
           ON CONFLICT (address) DO UPDATE SET
               failures = CASE WHEN link_failures.window_start > $2 - $3::interval
                               THEN link_failures.failures + 1 ELSE 1 END,
               window_start = CASE WHEN link_failures.window_start > $2 - $3::interval
                                   THEN link_failures.window_start ELSE $2 END
           RETURNING failures""",
        address,
        now,
        window,
    )
    return int(value)


# --- presence --------------------------------------------------------------------------


async def open_presence(conn: Conn, session_id: UUID, occupant: Occupant) -> bool:
    """Record a join; ``False`` if this occupant is already in (a repeated webhook)."""
    exists = await conn.fetchval(
        "SELECT 1 FROM presence WHERE session_id = $1 AND occupant_id = $2 AND left_at IS NULL",
        session_id,
        occupant.occupant_id,
    )
    if exists:
        return False
    await conn.execute(
        """INSERT INTO presence (session_id, occupant_id, participant_id, name, joined_at, nick)
           VALUES ($1,$2,$3,$4,$5,$6)""",
        session_id,
        occupant.occupant_id,
        occupant.participant_id,
        occupant.name,
        occupant.joined_at,
        occupant.nick,
    )
    return True


async def nicks_in_call(conn: Conn, session_id: UUID, participant_id: UUID) -> list[str]:
    """The MUC nicks of the participant's occupants still in the call."""
    rows = await conn.fetch(
        """SELECT nick FROM presence WHERE session_id = $1 AND participant_id = $2
             AND left_at IS NULL AND nick IS NOT NULL ORDER BY id""",
        session_id,
        participant_id,
    )
    return [r["nick"] for r in rows]


async def room_of(conn: Conn, session_id: UUID) -> str | None:
    value = await conn.fetchval("SELECT room FROM sessions WHERE id = $1", session_id)
    return value if isinstance(value, str) else None


async def close_presence(
    conn: Conn, session_id: UUID, occupant_id: str | None, at: datetime
) -> list[Occupant]:
    """Record a leave (or, with ``occupant_id=None``, everyone's: the room was destroyed)."""
    rows = await conn.fetch(
        """UPDATE presence SET left_at = $3
           WHERE session_id = $1 AND left_at IS NULL AND ($2::text IS NULL OR occupant_id = $2)
           RETURNING occupant_id, participant_id, name, joined_at""",
        session_id,
        occupant_id,
        at,
    )
    return [
        Occupant(r["occupant_id"], r["participant_id"], r["name"], r["joined_at"]) for r in rows
    ]


async def present(conn: Conn, session_id: UUID) -> list[Occupant]:
    rows = await conn.fetch(
        """SELECT occupant_id, participant_id, name, joined_at FROM presence
           WHERE session_id = $1 AND left_at IS NULL ORDER BY joined_at, id""",
        session_id,
    )
    return [
        Occupant(r["occupant_id"], r["participant_id"], r["name"], r["joined_at"]) for r in rows
    ]


# --- notices (R4) ----------------------------------------------------------------------

KIND = "convening"


async def queue_notices(conn: Conn, session_id: UUID, participant_ids: Sequence[UUID]) -> int:
    """Queue one convening notice per participant (a participant already notified is not
    notified twice); convening calls this inside the announcement's transaction."""
    await conn.executemany(
        """INSERT INTO notices (session_id, participant_id, kind) VALUES ($1, $2, $3)
           ON CONFLICT ON CONSTRAINT notices_once DO NOTHING""",
        [(session_id, pid, KIND) for pid in participant_ids],
    )
    return len(participant_ids)


async def claim_notices(
    conn: Conn, now: datetime, lease: timedelta, limit: int
) -> list[ClaimedNotice]:
    """Take up to ``limit`` queued notices (or ones whose sender died mid-lease)."""
    rows = await conn.fetch(
        """UPDATE notices SET status = 'sending', claimed_at = $1::timestamptz
           WHERE id IN (
               SELECT id FROM notices
               WHERE status = 'queued' OR (status = 'sending' AND claimed_at < $1::timestamptz - $2::interval)
               ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
           RETURNING id, session_id, participant_id""",
        now,
        lease,
        limit,
    )
    return [ClaimedNotice(r["id"], r["session_id"], r["participant_id"]) for r in rows]


async def finish_notice(
    conn: Conn,
    notice_id: int,
    *,
    sent: bool,
    attempts: int,
    error: str | None,
    at: datetime,
) -> None:
    await conn.execute(
        """UPDATE notices SET status = $2, attempts = attempts + $3, last_error = $4,
               sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END, claimed_at = NULL
           WHERE id = $1""",
        notice_id,
        "sent" if sent else "failed",
        attempts,
        error,
        at,
    )


async def requeue_notice(conn: Conn, session_id: UUID, participant_id: UUID) -> None:
    await conn.execute(
        """INSERT INTO notices (session_id, participant_id, kind) VALUES ($1, $2, $3)
           ON CONFLICT ON CONSTRAINT notices_once
           DO UPDATE SET status = 'queued', last_error = NULL, claimed_at = NULL,
                         queued_at = now()""",
        session_id,
        participant_id,
        KIND,
    )


NOTICE_ROWS = """SELECT n.participant_id, p.surname, p.given_name, p.role, n.kind, n.status,
       n.attempts, n.last_error, n.queued_at, n.sent_at
FROM notices n JOIN participants p
  ON p.session_id = n.session_id AND p.participant_id = n.participant_id
WHERE n.session_id = $1"""


def _notice(r: asyncpg.Record) -> NoticeRow:
    return NoticeRow(
        r["participant_id"],
        r["surname"],
        r["given_name"],
        r["role"],
        r["kind"],
        r["status"],
        r["attempts"],
        r["last_error"],
        r["queued_at"],
        r["sent_at"],
    )


async def list_notices(conn: Conn, session_id: UUID) -> list[NoticeRow]:
    """The session's notices in the order they were queued."""
    rows = await conn.fetch(NOTICE_ROWS + " ORDER BY n.id", session_id)
    return [_notice(r) for r in rows]


async def deliveries(conn: Conn, session_id: UUID) -> list[NoticeRow]:
    """The session's notices in the Ukrainian order of the participants' names (R15)."""
    rows = await conn.fetch(NOTICE_ROWS + " ORDER BY n.participant_id", session_id)
    return [_notice(r) for r in core.by_name(rows)]
