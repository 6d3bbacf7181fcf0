"""Use-cases of councils, rosters and convening: a transaction, a pure rule, journal events."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Protocol
from uuid import UUID

import asyncpg
import structlog

from orchestrator.convening import roster, store
from orchestrator.convening import rules as convening
from orchestrator.convening.bodies import BodyKind, RuleSet, body_title, rule_set
from orchestrator.convening.categories import category_uk
from orchestrator.convening.citations import parse_citations
from orchestrator.kernel.clock import Clock, utc_now
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal import events
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.kernel.ukrainian import Case, number_of, ordinal
from orchestrator.kernel.web import validation as v
from orchestrator.kernel.web.auth import Principal

log = structlog.get_logger(__name__)


def kyiv(at: datetime) -> str:
    """A time as a Ukrainian reader sees it: Kyiv local time."""
    return at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


@dataclass(frozen=True, slots=True)
class ConveningDraft:
    title: str
    number: int
    starts_at: datetime
    planned_end: datetime
    agenda: list[convening.AgendaItem]
    guests: list[convening.Person]
    chair_member_id: UUID | None
    chair_reason: str
    body: BodyKind = BodyKind.COUNCIL  # E1–E8: which of the council's bodies meets


@dataclass(frozen=True, slots=True)
class RosterReport:
    added: int
    updated: int
    retired: int


class NoticeQueue(Protocol):
    """Queues one convening notice per participant (R4) inside the caller's transaction and
    returns how many were asked for. The package that mails the notices owns their table and
    provides this (identity, wired by ``create_app``): convening only says who is notified."""

    async def __call__(
        self, conn: Conn, session_id: UUID, participant_ids: Sequence[UUID]
    ) -> int: ...


class RemovedFromList(Protocol):
    """What happens to a participant taken off the list beyond the list (R6): the package that
    runs the call removes them from it (identity, wired by ``create_app``). Called after the
    removal is committed; its failure does not undo the removal."""

    async def __call__(self, session_id: UUID, participant_id: UUID) -> object: ...


class CouncilService:
    """Councils, rosters, convening, the participant list, documents and announcements."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        public_url: str,
        queue_notices: NoticeQueue,
        removed_from_list: RemovedFromList | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.pool = pool
        self.public_url = public_url
        self.queue_notices = queue_notices
        self.removed_from_list = removed_from_list
        self.clock = clock

    # --- councils and rosters ------------------------------------------------------------

    async def create_council(
        self, name: str, convocation: int, total: int, heading: Mapping[str, Any] | None = None
    ) -> store.Council:
        council = store.Council(uuid.uuid4(), name, convocation, total, **(heading or {}))
        async with self.pool.acquire() as conn:
            await store.insert_council(conn, council)
        log.info("council_created", council_id=str(council.id))
        return council

    async def update_council(self, council_id: UUID, changes: Mapping[str, Any]) -> store.Council:
        """Change a council's settings; sessions already convened keep what they were
        convened with (their journal carries it)."""
        async with self.pool.acquire() as conn, conn.transaction():
            council = await store.get_council(conn, council_id, lock=True)
            council = dataclasses.replace(council, **changes)
            await store.update_council(conn, council)
        log.info("council_updated", council_id=str(council_id), fields=sorted(changes))
        return council

    async def council(self, council_id: UUID) -> store.Council:
        async with self.pool.acquire() as conn:
            return await store.get_council(conn, council_id)

    async def councils(self) -> list[store.Council]:
        async with self.pool.acquire() as conn:
            return await store.list_councils(conn)

    async def _composition(
        self, conn: Conn, council: store.Council, body: BodyKind
    ) -> tuple[RuleSet, int]:
        """The body's rule set and total composition (R7: the council's; E4: the committee's,
        which must be set before its roster or a meeting)."""
        rules = rule_set(body)
        if body is BodyKind.COUNCIL:
            return rules, council.total_composition
        total = await store.get_body_composition(conn, council.id, body.value)
        if total is None:
            raise Conflict(
                f"set the {body.value} total composition first (E4)",
                code="body_composition_unset",
                field="total_composition",
            )
        return rules, total

    async def set_body_composition(self, council_id: UUID, body: BodyKind, total: int) -> int:
        """E4: the total composition of one of the council's other bodies."""
        if body is BodyKind.COUNCIL:
            raise Invalid(
                "the council's composition is its total_composition (PATCH the council)",
                field="body",
            )
        async with self.pool.acquire() as conn, conn.transaction():
            await store.get_council(conn, council_id, lock=True)
            await store.set_body_composition(conn, council_id, body.value, total)
        log.info("body_composition_set", council_id=str(council_id), body=body.value)
        return total

    async def body_composition(self, council_id: UUID, body: BodyKind) -> int:
        async with self.pool.acquire() as conn:
            council = await store.get_council(conn, council_id)
            return (await self._composition(conn, council, body))[1]

    async def import_roster_csv(
        self, council_id: UUID, data: bytes, body: BodyKind = BodyKind.COUNCIL
    ) -> RosterReport:
        async with self.pool.acquire() as conn, conn.transaction():
            council = await store.get_council(conn, council_id, lock=True)
            rules, total = await self._composition(conn, council, body)
            rows = roster.read_csv(data, total, rules)
            return await self._replace(conn, council_id, rows, body)

    async def import_roster_rows(
        self,
        council_id: UUID,
        raws: Sequence[Mapping[str, Any]],
        body: BodyKind = BodyKind.COUNCIL,
    ) -> RosterReport:
        async with self.pool.acquire() as conn, conn.transaction():
            council = await store.get_council(conn, council_id, lock=True)
            rules, total = await self._composition(conn, council, body)
            rows = roster.check_rows(raws, total, rules=rules)
            return await self._replace(conn, council_id, rows, body)

    async def _replace(
        self, conn: Conn, council_id: UUID, rows: list[roster.MemberRow], body: BodyKind
    ) -> RosterReport:
        ids = [uuid.uuid4() for _ in rows]
        added, updated, retired = await store.replace_roster(
            conn, council_id, rows, ids, body.value
        )
        log.info(
            "roster_imported",
            council_id=str(council_id),
            body=body.value,
            added=added,
            updated=updated,
            retired=retired,
        )
        return RosterReport(added, updated, retired)

    async def members(
        self, council_id: UUID, body: BodyKind = BodyKind.COUNCIL
    ) -> list[store.Member]:
        async with self.pool.acquire() as conn:
            await store.get_council(conn, council_id)
            return await store.list_members(conn, council_id, body.value)

    # --- convening (R1–R6) ---------------------------------------------------------------

    async def convene(
        self, council_id: UUID, draft: ConveningDraft, by: Principal
    ) -> store.SessionRow:
        now = self.clock()
        convening.check_window(draft.starts_at, draft.planned_end, now)
        convening.check_notice(draft.starts_at, now)  # R3 can no longer be met otherwise
        async with self.pool.acquire() as conn, conn.transaction():
            council = await store.get_council(conn, council_id)
            rules, total = await self._composition(conn, council, draft.body)
            members = [
                m.person() for m in await store.list_members(conn, council_id, draft.body.value)
            ]
            participants, chair, secretary = convening.form_participants(
                members,
                draft.guests,
                chair_member_id=draft.chair_member_id,
                chair_reason=draft.chair_reason,
                new_id=uuid.uuid4,
                rules=rules,
            )
            row = store.SessionRow(
                id=uuid.uuid4(),
                council_id=council_id,
                title=draft.title,
                number=draft.number,
                starts_at=draft.starts_at,
                planned_end=draft.planned_end,
                room=f"rada-{secrets.token_hex(16)}",
                status="convened",
                announced_at=None,
                body=draft.body.value,
            )
            await store.insert_session(conn, row)
            await store.insert_participants(conn, row.id, participants)
            await journal_store.append_event(
                conn,
                row.id,
                events.SESSION_CONVENED,
                {
                    "council": council.to_json(),
                    "title": draft.title,
                    "number": draft.number,
                    "starts_at": journal.format_time(draft.starts_at),
                    "planned_end": journal.format_time(draft.planned_end),
                    # no "room": the journal is public and the Jitsi room is not (the room
                    # stays in sessions.room; journals convened before kept it, and are
                    # published as hashed, so that they still verify)
                    "broadcast_url": self.broadcast_url(row.id),
                    "agenda": [item.to_payload() for item in draft.agenda],
                    "participants": [p.public() for p in participants],
                    "chair_participant_id": str(chair),
                    "secretary_participant_id": str(secretary),
                    "chair_reason": draft.chair_reason or None,
                    # E1–E8: another body than the council (a council session's payload is as
                    # it always was)
                    **(
                        {}
                        if draft.body is BodyKind.COUNCIL
                        else {"body": {"kind": draft.body.value, "total_composition": total}}
                    ),
                },
                actor=by.actor,
                at=now,
            )
        structlog.contextvars.bind_contextvars(session_id=str(row.id))
        log.info("session_convened", participants=len(participants), items=len(draft.agenda))
        return row

    def broadcast_url(self, session_id: UUID) -> str:
        """Where the public watches (R3): the session's page in the public archive."""
        return f"{self.public_url}/archive/sessions/{session_id}"

    async def attach_document(
        self,
        session_id: UUID,
        item: int,
        filename: str,
        content_type: str,
        content: bytes,
        by: Principal,
    ) -> store.Document:
        async with self.pool.acquire() as conn, conn.transaction():
            session = await store.get_session(conn, session_id)
            self._require_status(session, ("convened",), "attach documents")
            agenda = (await self._convened(conn, session_id))["agenda"]
            if not 0 <= item < len(agenda):
                raise NotFound(f"the agenda has no item {item}", code="item_not_found")
            doc = store.Document(
                uuid.uuid4(),
                session_id,
                item,
                filename,
                content_type,
                len(content),
                hashlib.sha256(content).hexdigest(),
            )
            await store.insert_document(conn, doc, content)
            await journal_store.append_event(
                conn,
                session_id,
                events.DOCUMENT_ATTACHED,
                {
                    "item": item,
                    "document_id": str(doc.id),
                    "filename": filename,
                    "content_type": content_type,
                    "size": doc.size,
                    "sha256": doc.sha256,
                },
                actor=by.actor,
                at=self.clock(),
            )
        return doc

    async def announce(self, session_id: UUID, by: Principal) -> journal.Event:
        """R3, R4: publish the announcement and queue one notice per participant."""
        now = self.clock()
        async with self.pool.acquire() as conn, conn.transaction():
            session = await store.get_session(conn, session_id)
            self._require_status(session, ("convened",), "announce")
            await conn.execute("SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", session_id)
            convening.check_notice(session.starts_at, now)
            participants = await store.list_participants(conn, session_id)
            queued = await self.queue_notices(
                conn, session_id, [p.participant.participant_id for p in participants]
            )
            await store.set_session_status(conn, session_id, "announced", announced_at=now)
            event = await journal_store.append_event(
                conn,
                session_id,
                events.SESSION_ANNOUNCED,
                {
                    "announced_at": journal.format_time(now),
                    "starts_at": journal.format_time(session.starts_at),
                    "broadcast_url": self.broadcast_url(session_id),
                    "notices_queued": queued,
                },
                actor=by.actor,
                at=now,
            )
        log.info("session_announced", session_id=str(session_id), notices=queued)
        return event

    async def add_participant(
        self, session_id: UUID, person: convening.Person, reason: str, by: Principal
    ) -> convening.Participant:
        """R6: the list changes only with a journal entry saying why."""
        participant = convening.Participant(uuid.uuid4(), person, "guest")
        async with self.pool.acquire() as conn, conn.transaction():
            session = await store.get_session(conn, session_id)
            self._require_status(session, ("convened", "announced"), "amend the participant list")
            await store.insert_participants(conn, session_id, [participant])
            if session.status == "announced":
                await self.queue_notices(conn, session_id, [participant.participant_id])
            await journal_store.append_event(
                conn,
                session_id,
                events.PARTICIPANT_ADDED,
                {"participant": participant.public(), "reason": reason},
                actor=by.actor,
                at=self.clock(),
            )
        return participant

    async def remove_participant(
        self, session_id: UUID, participant_id: UUID, reason: str, by: Principal
    ) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            session = await store.get_session(conn, session_id)
            self._require_status(session, ("convened", "announced"), "amend the participant list")
            removed = await store.remove_participant(conn, session_id, participant_id)
            if removed.role in ("chair", "secretary"):
                raise Conflict(
                    f"the {removed.role} cannot be removed from the list (R5, R17)",
                    code="participant_required",
                )
            await journal_store.append_event(
                conn,
                session_id,
                events.PARTICIPANT_REMOVED,
                {"participant_id": str(participant_id), "reason": reason},
                actor=by.actor,
                at=self.clock(),
            )
        if self.removed_from_list is not None:  # their sign-ins ended with the commit
            await self.removed_from_list(session_id, participant_id)

    # --- reading --------------------------------------------------------------------------

    async def session(self, session_id: UUID) -> store.SessionRow:
        async with self.pool.acquire() as conn:
            return await store.get_session(conn, session_id)

    async def sessions(self, council_id: UUID | None = None) -> list[store.SessionRow]:
        async with self.pool.acquire() as conn:
            return await store.list_sessions(conn, council_id)

    async def session_view(self, session_id: UUID) -> dict[str, Any]:
        """The public description of a session: agenda, documents, participants (no contacts)."""
        async with self.pool.acquire() as conn:
            session = await store.get_session(conn, session_id)
            convened = await self._convened(conn, session_id)
            docs = await store.list_documents(conn, session_id)
            people = await store.list_participants(conn, session_id)
            last_seq, last_hash = await journal_store.journal_head(conn, session_id)
        agenda = []
        for i, item in enumerate(convened["agenda"]):
            agenda.append(
                {
                    "index": i,
                    "title": item["title"],
                    "category": item["category"],
                    "category_uk": category_uk(item["category"]),
                    "description": item.get("description", ""),
                    "documents": [
                        {
                            "id": str(d.id),
                            "filename": d.filename,
                            "size": d.size,
                            "sha256": d.sha256,
                            "url": f"/api/v1/documents/{d.id}",
                        }
                        for d in docs
                        if d.item == i
                    ],
                }
            )
        return {
            "id": str(session.id),
            "council": convened["council"],
            "body": session.body,
            "title": session.title,
            "number": session.number,
            "status": session.status,
            "starts_at": journal.format_time(session.starts_at),
            "starts_at_kyiv": kyiv(session.starts_at),
            "planned_end": journal.format_time(session.planned_end),
            "announced_at": journal.format_time(session.announced_at)
            if session.announced_at
            else None,
            "broadcast_url": self.broadcast_url(session.id),
            "agenda": agenda,
            "participants": [p.participant.public() for p in people],
            "chair_participant_id": convened["chair_participant_id"],
            "secretary_participant_id": convened["secretary_participant_id"],
            "journal": {"last_seq": last_seq, "last_hash": last_hash},
        }

    async def announcement(self, session_id: UUID) -> dict[str, Any]:
        """R3: the public announcement in Ukrainian: when, what, how to watch."""
        view = await self.session_view(session_id)
        if view["announced_at"] is None:
            raise Conflict("the session has not been announced yet", code="not_announced")
        rules = rule_set(view["body"])
        council = view["council"]["name"]
        heading = (  # E2: the community is told in the committee's words
            f"{council} ({convocation_uk(view['council']['convocation'])})"
            if rules.words.convocation_in_heading
            else body_title(rules, council)
        )
        lines = [
            heading,
            f"{rules.words.announcement} № {view['number']}: {view['title']}",
            f"Початок: {view['starts_at_kyiv']} (за київським часом).",
            "Порядок денний:",
        ]
        lines += [f"{i['index'] + 1}. {i['title']} — {i['category_uk']}" for i in view["agenda"]]
        lines.append(f"Відкрита онлайн-трансляція: {view['broadcast_url']}")
        return {
            "session_id": view["id"],
            "announced_at": view["announced_at"],
            "starts_at": view["starts_at"],
            "broadcast_url": view["broadcast_url"],
            "agenda": view["agenda"],
            "text_uk": "\n".join(lines),
        }

    async def contacts(self, session_id: UUID) -> list[convening.Participant]:
        """The participant list with contact data (R6): for the administrator and the mailer."""
        async with self.pool.acquire() as conn:
            await store.get_session(conn, session_id)
            return [p.participant for p in await store.list_participants(conn, session_id)]

    async def document(self, doc_id: UUID) -> tuple[store.Document, bytes]:
        async with self.pool.acquire() as conn:
            return await store.get_document(conn, doc_id)

    async def events(self, session_id: UUID, after: int = 0) -> list[journal.Event]:
        async with self.pool.acquire() as conn:
            await store.get_session(conn, session_id)
            return await journal_store.load_events(conn, session_id, after=after)

    # --- internals ------------------------------------------------------------------------

    async def _convened(self, conn: Conn, session_id: UUID) -> dict[str, Any]:
        first = await journal_store.load_events(conn, session_id)
        for ev in first:
            if ev.type == events.SESSION_CONVENED:
                return dict(ev.payload)
        raise NotFound(f"session {session_id} has no convening record", code="session_not_found")

    @staticmethod
    def _require_status(session: store.SessionRow, allowed: tuple[str, ...], act: str) -> None:
        if session.status not in allowed:
            raise Conflict(
                f"cannot {act}: the session is {session.status}",
                code="wrong_state",
                state=session.status,
            )


def parse_draft(body: Mapping[str, Any]) -> ConveningDraft:
    """The convening request body, validated field by field (R1, R2 in ``parse_agenda``)."""
    title = convening.one_line(body, "title", max_len=500)
    number = v.integer(body, "number", lo=1, hi=100000)
    starts_at = v.timestamp(body, "starts_at")
    planned_end = (
        v.timestamp(body, "planned_end")
        if body.get("planned_end") is not None
        else starts_at + convening.DEFAULT_DURATION
    )
    agenda = convening.parse_agenda(v.array(body, "agenda", max_len=convening.MAX_AGENDA))
    guests = [
        convening.parse_guest(v.obj(g, f"guests[{i}]"), f"guests[{i}].")
        for i, g in enumerate(v.array(body, "guests", max_len=convening.MAX_GUESTS, required=False))
    ]
    chair = body.get("chair_member_id")
    chair_id = v.uuid(chair, "chair_member_id") if chair is not None else None
    reason = v.text(body, "chair_reason", max_len=1000, required=False)
    kind = parse_body(body.get("body", BodyKind.COUNCIL.value))
    return ConveningDraft(
        title, number, starts_at, planned_end, agenda, guests, chair_id, reason, kind
    )


def parse_body(value: object, field: str = "body") -> BodyKind:
    """A body kind named in a request (``council`` or ``executive_committee``)."""
    if not isinstance(value, str) or value not in {b.value for b in BodyKind}:
        raise Invalid(f"{field} must be one of {', '.join(b.value for b in BodyKind)}", field=field)
    return BodyKind(value)


MAX_EMBLEM_BYTES = 64 * 1024
HEADING_FIELDS = ("oblast", "place", "emblem", "citations")


def parse_emblem(value: Any) -> bytes | None:
    """The council's emblem for the protocol's heading: base64 PNG or JPEG, ≤ 64 KiB."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid("emblem must be a PNG or JPEG image in base64", field="emblem")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("emblem is not valid base64", field="emblem") from None
    if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        raise Invalid("emblem must be a PNG or JPEG image", field="emblem")
    if len(data) > MAX_EMBLEM_BYTES:
        raise Invalid(f"emblem is larger than {MAX_EMBLEM_BYTES} bytes", field="emblem")
    return data


def parse_council_settings(body: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """The council's settings in a request body: every field on creation (the heading ones
    optional), only those present on a change."""
    out: dict[str, Any] = {}
    if not partial or "name" in body:
        out["name"] = convening.one_line(body, "name", max_len=300)  # notices' From name (R4)
    if not partial or "convocation" in body:
        out["convocation"] = v.integer(body, "convocation", lo=1, hi=100)
    if not partial or "total_composition" in body:
        out["total_composition"] = v.integer(body, "total_composition", lo=1, hi=1000)
    for key in ("oblast", "place"):
        if key in body:
            out[key] = v.text(body, key, max_len=200, required=False)
    if "emblem" in body:
        out["emblem"] = parse_emblem(body["emblem"])
    if "citations" in body:
        out["citations"] = parse_citations(body["citations"])
    return out


def convocation_uk(convocation: int | str) -> str:
    """«восьмого скликання» (as written: «VIII скликання» when it is no number)."""
    n = number_of(convocation)
    if n is None or not 1 <= n <= 999:
        return f"{convocation} скликання"
    return f"{ordinal(n, case=Case.GENITIVE)} скликання"


def check_upload(filename: str, size: int, limit: int) -> str:
    name = v.file_name(filename, "filename")
    if size == 0:
        raise Invalid("the document is empty", field="file")
    if size > limit:
        raise Invalid(f"the document is larger than {limit} bytes", field="file")
    return name


_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The kinds of draft a council attaches (R4): suffix -> (stored type, what the file starts with).
DRAFT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (_ZIP,),
    ),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (_ZIP,)),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        (_ZIP,),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (_ZIP,)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (_ZIP,)),
    ".doc": ("application/msword", (_OLE,)),
    ".xls": ("application/vnd.ms-excel", (_OLE,)),
    ".rtf": ("application/rtf", (b"{\\rtf",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".p7s": ("application/pkcs7-signature", (b"\x30",)),
    ".zip": ("application/zip", (_ZIP,)),
}
DOWNLOAD = "application/octet-stream"


def draft_content_type(filename: str, content: bytes) -> str:
    """The type a draft is stored and mailed with: taken from its suffix only when its first
    bytes agree (a ``.txt`` must be UTF-8 text), never from what the uploader declared, so an
    HTML or SVG page is stored as a plain download and no browser renders it as rada's."""
    suffix = PurePosixPath(filename.casefold()).suffix
    if suffix == ".txt":
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return DOWNLOAD
        return "text/plain" if "\x00" not in text else DOWNLOAD
    known = DRAFT_TYPES.get(suffix)
    if known is None or not content.startswith(known[1]):
        return DOWNLOAD
    return known[0]
