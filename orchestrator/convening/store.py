"""All SQL of the orchestrator. Functions take a connection the service owns; records stay here."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from orchestrator.convening.citations import citations_of
from orchestrator.convening.names import name_key
from orchestrator.convening.roster import MemberRow
from orchestrator.convening.rules import Participant, Person
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class Council:
    id: UUID
    name: str
    convocation: int
    total_composition: int
    # the protocol's heading (R18): as the council prints them, and its own article numbers
    oblast: str = ""
    place: str = ""
    emblem: bytes | None = None
    citations: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The council as the API shows it and as ``session_convened`` carries it (the
        citations with the defaults filled in, so the protocol needs nothing but the journal)."""
        return {
            "id": str(self.id),
            "name": self.name,
            "convocation": self.convocation,
            "total_composition": self.total_composition,
            "oblast": self.oblast,
            "place": self.place,
            "emblem": None if self.emblem is None else base64.b64encode(self.emblem).decode(),
            "citations": citations_of(self.citations),
        }


@dataclass(frozen=True, slots=True)
class Member:
    id: UUID
    row: MemberRow

    def person(self) -> Person:
        r = self.row
        return Person(r.surname, r.given_name, r.patronymic, r.kind, r.email, r.phone, self.id)


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: UUID
    council_id: UUID
    title: str
    number: int
    starts_at: datetime
    planned_end: datetime
    room: str
    status: str
    announced_at: datetime | None
    body: str = "council"  # which of the council's bodies sits (convening.bodies, E1–E8)


@dataclass(frozen=True, slots=True)
class StoredParticipant:
    participant: Participant
    removed: bool


@dataclass(frozen=True, slots=True)
class Document:
    id: UUID
    session_id: UUID
    item: int
    filename: str
    content_type: str
    size: int
    sha256: str


# --- councils and rosters --------------------------------------------------------------


def _council(r: asyncpg.Record) -> Council:
    return Council(
        r["id"],
        r["name"],
        r["convocation"],
        r["total_composition"],
        r["oblast"],
        r["place"],
        r["emblem"],
        dict(r["citations"] or {}),
    )


def _council_row(council: Council) -> tuple[Any, ...]:
    """A council's columns in the order the INSERT and the UPDATE name them ($1…$8)."""
    return (
        council.id,
        council.name,
        council.convocation,
        council.total_composition,
        council.oblast,
        council.place,
        council.emblem,
        dict(council.citations),
    )


async def insert_council(conn: Conn, council: Council) -> None:
    await conn.execute(
        """INSERT INTO councils (id, name, convocation, total_composition, oblast, place, emblem,
                                 citations)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8)""",
        *_council_row(council),
    )


async def update_council(conn: Conn, council: Council) -> None:
    """Write every setting of an existing council (the service read and locked it)."""
    await conn.execute(
        """UPDATE councils SET name = $2, convocation = $3, total_composition = $4, oblast = $5,
                               place = $6, emblem = $7, citations = $8
           WHERE id = $1""",
        *_council_row(council),
    )


async def get_council(conn: Conn, council_id: UUID, *, lock: bool = False) -> Council:
    sql = "SELECT * FROM councils WHERE id = $1" + (" FOR UPDATE" if lock else "")  # noqa: S608
    r = await conn.fetchrow(sql, council_id)
    if r is None:
        raise NotFound(f"no council {council_id}", code="council_not_found")
    return _council(r)


async def list_councils(conn: Conn) -> list[Council]:
    return [_council(r) for r in await conn.fetch("SELECT * FROM councils ORDER BY created_at")]


def _member(r: asyncpg.Record) -> Member:
    return Member(
        r["id"],
        MemberRow(
            r["surname"], r["given_name"], r["patronymic"], r["kind"], r["email"], r["phone"]
        ),
    )


def by_name(rows: Sequence[asyncpg.Record]) -> list[asyncpg.Record]:
    """Rows holding ``surname``, ``given_name`` (and ``patronymic``) in the Ukrainian order of
    names (``rollcall.name_key``, R15): a database collation does not know where Ґ, Є, І, Ї go."""
    return sorted(
        rows, key=lambda r: name_key(r["surname"], r["given_name"], r.get("patronymic") or "")
    )


async def list_members(conn: Conn, council_id: UUID, body: str = "council") -> list[Member]:
    rows = await conn.fetch(
        "SELECT * FROM members WHERE council_id = $1 AND body = $2 AND active ORDER BY id",
        council_id,
        body,
    )
    return [_member(r) for r in by_name(rows)]


async def get_body_composition(conn: Conn, council_id: UUID, body: str) -> int | None:
    """The total composition of one of the council's other bodies (E4), None if not set."""
    value = await conn.fetchval(
        "SELECT total_composition FROM bodies WHERE council_id = $1 AND kind = $2",
        council_id,
        body,
    )
    return None if value is None else int(value)


async def set_body_composition(conn: Conn, council_id: UUID, body: str, total: int) -> None:
    await conn.execute(
        """INSERT INTO bodies (council_id, kind, total_composition) VALUES ($1, $2, $3)
           ON CONFLICT (council_id, kind)
           DO UPDATE SET total_composition = $3, updated_at = now()""",
        council_id,
        body,
        total,
    )


async def replace_roster(
    conn: Conn,
    council_id: UUID,
    rows: Sequence[MemberRow],
    new_ids: Sequence[UUID],
    body: str = "council",
) -> tuple[int, int, int]:
    """Make the body's active roster exactly ``rows`` (matched by e-mail). Returns added,
    updated, retired."""
    existing = {
        r["email"].lower(): r["id"]
        for r in await conn.fetch(
            "SELECT id, email FROM members WHERE council_id = $1 AND body = $2", council_id, body
        )
    }
    added = updated = 0
    keep: list[UUID] = []
    for row, new_id in zip(rows, new_ids, strict=True):
        member_id = existing.get(row.email.lower())
        if member_id is None:
            await conn.execute(
                """INSERT INTO members (id, council_id, surname, given_name, patronymic, kind,
                       email, phone, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)""",
                new_id,
                council_id,
                *row.columns(),
                body,
            )
            keep.append(new_id)
            added += 1
        else:
            await conn.execute(
                """UPDATE members SET surname=$2, given_name=$3, patronymic=$4, kind=$5, email=$6,
                       phone=$7, active=true, updated_at=now() WHERE id = $1""",
                member_id,
                *row.columns(),
            )
            keep.append(member_id)
            updated += 1
    retired = await conn.fetchval(
        """WITH r AS (UPDATE members SET active=false, updated_at=now()
               WHERE council_id = $1 AND body = $3 AND active AND NOT (id = ANY($2::uuid[]))
               RETURNING 1)
           SELECT count(*) FROM r""",
        council_id,
        keep,
        body,
    )
    return added, updated, int(retired)


# --- sessions, participants, documents --------------------------------------------------


def _session(r: asyncpg.Record) -> SessionRow:
    return SessionRow(
        r["id"],
        r["council_id"],
        r["title"],
        r["number"],
        r["starts_at"],
        r["planned_end"],
        r["room"],
        r["status"],
        r["announced_at"],
        r["body"],
    )


async def insert_session(conn: Conn, s: SessionRow) -> None:
    try:
        await conn.execute(
            """INSERT INTO sessions (id, council_id, title, number, starts_at, planned_end, room,
                   status, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)""",
            s.id,
            s.council_id,
            s.title,
            s.number,
            s.starts_at,
            s.planned_end,
            s.room,
            s.status,
            s.body,
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "sessions_council_number":
            raise Conflict(
                f"this body already has a session number {s.number}",
                code="session_number_taken",
                field="number",
            ) from None
        raise


async def get_session(conn: Conn, session_id: UUID) -> SessionRow:
    r = await conn.fetchrow("SELECT * FROM sessions WHERE id = $1", session_id)
    if r is None:
        raise NotFound(f"no session {session_id}", code="session_not_found")
    return _session(r)


async def list_sessions(conn: Conn, council_id: UUID | None = None) -> list[SessionRow]:
    if council_id is None:
        rows = await conn.fetch("SELECT * FROM sessions ORDER BY starts_at DESC")
    else:
        rows = await conn.fetch(
            "SELECT * FROM sessions WHERE council_id = $1 ORDER BY starts_at DESC", council_id
        )
    return [_session(r) for r in rows]


async def set_session_status(
    conn: Conn, session_id: UUID, status: str, announced_at: datetime | None = None
) -> None:
    await conn.execute(
        "UPDATE sessions SET status = $2, announced_at = coalesce($3, announced_at) WHERE id = $1",
        session_id,
        status,
        announced_at,
    )


async def insert_participants(
    conn: Conn, session_id: UUID, participants: Sequence[Participant]
) -> None:
    try:
        await conn.executemany(
            """INSERT INTO participants (session_id, participant_id, member_id, surname, given_name,
                   patronymic, kind, role, email, phone, organisation)
               VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)""",
            [
                (
                    session_id,
                    p.participant_id,
                    p.person.member_id,
                    p.person.surname,
                    p.person.given_name,
                    p.person.patronymic,
                    p.person.kind,
                    p.role,
                    p.person.email,
                    p.person.phone,
                    p.person.organisation,
                )
                for p in participants
            ],
        )
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "participants_session_email":
            raise Conflict(
                "this e-mail is already on the participant list",
                code="participant_email_taken",
                field="email",
            ) from None
        raise


def _participant(r: asyncpg.Record) -> StoredParticipant:
    person = Person(
        r["surname"],
        r["given_name"],
        r["patronymic"],
        r["kind"],
        r["email"],
        r["phone"],
        r["member_id"],
        r["organisation"],
    )
    return StoredParticipant(Participant(r["participant_id"], person, r["role"]), r["removed"])


async def list_participants(
    conn: Conn, session_id: UUID, *, include_removed: bool = False
) -> list[StoredParticipant]:
    rows = await conn.fetch(
        "SELECT * FROM participants WHERE session_id = $1 AND (NOT removed OR $2)"
        " ORDER BY participant_id",
        session_id,
        include_removed,
    )
    return [_participant(r) for r in by_name(rows)]


async def remove_participant(conn: Conn, session_id: UUID, pid: UUID) -> Participant:
    r = await conn.fetchrow(
        """UPDATE participants SET removed = true
           WHERE session_id = $1 AND participant_id = $2 AND NOT removed RETURNING *""",
        session_id,
        pid,
    )
    if r is None:
        raise NotFound(f"no participant {pid} on this session's list", code="participant_not_found")
    return _participant(r).participant


async def insert_document(conn: Conn, doc: Document, content: bytes) -> None:
    await conn.execute(
        """INSERT INTO documents (id, session_id, item, filename, content_type, size, sha256, content)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8)""",
        doc.id,
        doc.session_id,
        doc.item,
        doc.filename,
        doc.content_type,
        doc.size,
        doc.sha256,
        content,
    )


def _document(r: asyncpg.Record) -> Document:
    return Document(
        r["id"],
        r["session_id"],
        r["item"],
        r["filename"],
        r["content_type"],
        r["size"],
        r["sha256"],
    )


async def list_documents(conn: Conn, session_id: UUID) -> list[Document]:
    rows = await conn.fetch(
        """SELECT id, session_id, item, filename, content_type, size, sha256 FROM documents
           WHERE session_id = $1 ORDER BY item, created_at""",
        session_id,
    )
    return [_document(r) for r in rows]


async def get_document(conn: Conn, doc_id: UUID) -> tuple[Document, bytes]:
    r = await conn.fetchrow("SELECT * FROM documents WHERE id = $1", doc_id)
    if r is None:
        raise NotFound(f"no document {doc_id}", code="document_not_found")
    return _document(r), bytes(r["content"])
