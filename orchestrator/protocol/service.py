"""Use-cases after the session: finalise, sign, publish the protocol (R18, R19); keep the public
archive folder in step with the journal; read what the archive pages show.

Signing (R19) is a journaled act by the authenticated person (``protocol_signed``), optionally
with a detached qualified electronic signature (``.p7s``) made outside rada, stored with its
SHA-256. The document signed is named by ``protocol_finalised.protocol_sha256`` (the SHA-256 of
``protocol.json``); a signer must name the same hash, so nobody signs a text they did not see.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from aiohttp import web

from orchestrator.convening import store as core_store
from orchestrator.kernel.clock import Clock, utc_now
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.web.auth import Principal, Role
from orchestrator.protocol import archive, store
from orchestrator.protocol.feeds import Listed
from orchestrator.protocol.model import Protocol, Publication, build, publication
from orchestrator.protocol.render import protocol_sha256

log = structlog.get_logger(__name__)

MAX_SIGNATURE_BYTES = 1024 * 1024
HEAD_MARK = ".journal-head"  # the journal seq the archive folder was built from


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One session's journal and what it folds to."""

    events: tuple[journal.Event, ...]
    protocol: Protocol
    publication: Publication


def voters(p: Protocol) -> set[str]:
    """R19: the members who actually voted (answered for, against or abstain at least once)."""
    return {
        r.participant_id
        for v in p.votes
        for r in v.rows
        if r.answer in ("for", "against", "abstain")
    }


def publication_json(pub: Publication, now: datetime) -> dict[str, Any]:
    """The 24-hour clock and the signatures, for consoles and pages (R18, R19)."""
    remaining = pub.remaining(now)
    fmt = journal.format_time
    return {
        "closed_at": fmt(pub.closed_at) if pub.closed_at else None,
        "deadline": fmt(pub.deadline) if pub.deadline else None,
        "remaining_seconds": None if remaining is None else int(remaining.total_seconds()),
        "overdue": pub.overdue(now),
        "finalised_at": fmt(pub.finalised_at) if pub.finalised_at else None,
        "finalised_by": pub.finalised_by,
        "protocol_sha256": pub.protocol_sha256,
        "chair_signed": pub.chair_signed,
        "signatures": [
            {
                "participant_id": s.participant_id,
                "name": s.name,
                "role": s.role,
                "at": fmt(s.at),
                "signature_sha256": s.signature_sha256,
            }
            for s in pub.signatures
        ],
        "published_at": fmt(pub.published_at) if pub.published_at else None,
        "late": pub.late,
    }


PlanPdf = Callable[[UUID], Awaitable[bytes | None]]
"""The session plan's PDF as it stands now, or None (a hook the composition fills)."""


class PublicationService:
    """Protocol signing and publishing, and the archive folder of each session."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        archive_root: Path,
        media_root: Path,
        clock: Clock = utc_now,
        recorded: bool = False,
        plan_pdf: PlanPdf | None = None,
    ) -> None:
        self.pool = pool
        # the session plan's PDF (P2), rendered by the preparation above this package: copied
        # into the archive at publication, its SHA-256 in protocol_published
        self.plan_pdf = plan_pdf
        # With a recorder wired, the recording's manifest (archive_ready) is part of the
        # protocol (R9): it cannot be finalised before the recorder has sealed the archive.
        self.recorded = recorded
        self.archive_root = archive_root
        self.media_root = media_root
        self.clock = clock
        self._cache: dict[UUID, tuple[int, Snapshot]] = {}
        self._build_lock = asyncio.Lock()
        self._built: dict[UUID, int] = {}  # session → journal seq its archive folder reflects

    # --- reading --------------------------------------------------------------------------

    async def snapshot(self, session_id: UUID, conn: Conn | None = None) -> Snapshot:
        """The session's journal folded (cached by journal head)."""
        if conn is None:
            async with self.pool.acquire() as c:
                return await self.snapshot(session_id, c)
        seq, _ = await journal_store.journal_head(conn, session_id)
        cached = self._cache.get(session_id)
        if cached is not None and cached[0] == seq:
            return cached[1]
        events = tuple(await journal_store.load_events(conn, session_id))
        if not events:
            raise NotFound(f"session {session_id} has no journal", code="session_not_found")
        snap = Snapshot(events, build(events), publication(events))
        self._cache[session_id] = (events[-1].seq, snap)
        return snap

    async def listed(self) -> list[Listed]:
        async with self.pool.acquire() as conn:
            return await store.list_sessions(conn)

    async def listed_session(self, session_id: UUID) -> Listed:
        async with self.pool.acquire() as conn:
            found = await store.listed_session(conn, session_id)
        if found is None:
            raise NotFound(f"no session {session_id}", code="session_not_found")
        return found

    async def member_history(self, member_id: UUID) -> list[Snapshot]:
        async with self.pool.acquire() as conn:
            ids = await store.sessions_of_member(conn, member_id)
            return [await self.snapshot(sid, conn) for sid in ids]

    # --- acts (R18, R19) --------------------------------------------------------------------

    async def finalise(self, session_id: UUID, by: Principal) -> journal.Event:
        """The secretary (R17) finalises the draft: its hash goes into the journal."""
        async with self.pool.acquire() as conn, conn.transaction():
            await core_store.get_session(conn, session_id)
            snap = await self._locked(conn, session_id)
            self._require_closed(snap)
            if snap.publication.published_at is not None:
                raise Conflict("the protocol is already published", code="already_published")
            if self.recorded and not any(e.type == ev.ARCHIVE_READY for e in snap.events):
                raise Conflict(
                    "R9: the recording is part of the protocol and its archive is not sealed yet; "
                    "try again in a few seconds",
                    code="recording_not_archived",
                )
            digest = protocol_sha256(snap.protocol)
            if snap.publication.protocol_sha256 == digest:
                raise Conflict(
                    "this protocol is already finalised",
                    code="already_finalised",
                    protocol_sha256=digest,
                )
            payload = {"by": str(by.participant_id), "protocol_sha256": digest}
            event = await self._append(conn, session_id, ev.PROTOCOL_FINALISED, payload, by)
        log.info("protocol_finalised", session_id=str(session_id))
        await self.refresh_archive(session_id)
        return event

    async def sign(
        self, session_id: UUID, by: Principal, named_sha256: str, p7s: bytes | None
    ) -> journal.Event:
        """The chair signs; members who actually voted confirm (R19). Optional ``.p7s``."""
        async with self.pool.acquire() as conn, conn.transaction():
            await core_store.get_session(conn, session_id)
            snap = await self._locked(conn, session_id)
            pub = snap.publication
            if pub.protocol_sha256 is None:
                raise Conflict(
                    "the secretary has not finalised the protocol yet", code="not_finalised"
                )
            if named_sha256 != pub.protocol_sha256:
                raise Conflict(
                    "the protocol you name is not the finalised one; reload and read it again",
                    code="protocol_changed",
                    field="protocol_sha256",
                    protocol_sha256=pub.protocol_sha256,
                )
            pid = str(by.participant_id)
            if any(s.participant_id == pid for s in pub.signatures):
                raise Conflict("you have already signed this protocol", code="already_signed")
            if by.role == Role.CHAIR:
                role = "chair"
            elif pid in voters(snap.protocol):
                role = "member"
            else:
                raise Forbidden(
                    "only the presiding person and the members who voted sign (R19)",
                    code="did_not_vote",
                )
            signature_sha = None
            if p7s is not None:
                signature_sha = hashlib.sha256(p7s).hexdigest()
                await store.insert_signature(
                    conn,
                    session_id,
                    UUID(pid),
                    pub.protocol_sha256,
                    signature_sha,
                    p7s,
                    self.clock(),
                )
            payload = {"by": pid, "role": role, "signature_sha256": signature_sha}
            event = await self._append(conn, session_id, ev.PROTOCOL_SIGNED, payload, by)
        log.info(
            "protocol_signed", session_id=str(session_id), role=role, with_file=p7s is not None
        )
        await self.refresh_archive(session_id)
        return event

    async def publish(self, session_id: UUID, by: Principal) -> journal.Event:
        """Publish the signed protocol (R18, R20); after 24 hours it is marked late. The plan's
        PDF as it stands is copied into the archive (``plan.pdf``, P2) and named by hash."""
        plan = await self.plan_pdf(session_id) if self.plan_pdf is not None else None
        async with self.pool.acquire() as conn, conn.transaction():
            await core_store.get_session(conn, session_id)
            snap = await self._locked(conn, session_id)
            pub = snap.publication
            if pub.protocol_sha256 is None:
                raise Conflict("finalise the protocol first", code="not_finalised")
            if not pub.chair_signed:
                raise Conflict(
                    "the presiding person has not signed yet (R19)", code="chair_not_signed"
                )
            if pub.published_at is not None:
                raise Conflict("the protocol is already published", code="already_published")
            now = self.clock()
            late = pub.deadline is not None and now > pub.deadline
            payload: dict[str, Any] = {"by": str(by.participant_id), "late": late}
            if plan is not None:
                payload["plan_sha256"] = hashlib.sha256(plan).hexdigest()
                await store.put_published_plan(conn, session_id, plan, payload["plan_sha256"])
            event = await self._append(conn, session_id, ev.PROTOCOL_PUBLISHED, payload, by, now)
        log.info("protocol_published", session_id=str(session_id), late=late)
        await self.refresh_archive(session_id)
        return event

    async def _append(
        self,
        conn: Conn,
        session_id: UUID,
        type_: str,
        payload: dict[str, Any],
        by: Principal,
        at: datetime | None = None,
    ) -> journal.Event:
        return await journal_store.append_event(
            conn, session_id, type_, payload, actor=by.actor, at=at or self.clock()
        )

    async def _locked(self, conn: Conn, session_id: UUID) -> Snapshot:
        """The snapshot with the session row locked until commit (acts are serialised)."""
        await conn.execute("SELECT 1 FROM sessions WHERE id = $1 FOR NO KEY UPDATE", session_id)
        return await self.snapshot(session_id, conn)

    @staticmethod
    def _require_closed(snap: Snapshot) -> None:
        if snap.protocol.closed_at is None:
            raise Conflict("the session has not been closed yet", code="session_not_closed")

    # --- the archive folder ---------------------------------------------------------------------

    def folder(self, session_id: UUID) -> Path:
        return self.archive_root / str(session_id)

    async def ensure_archive(self, session_id: UUID) -> Path | None:
        """The closed session's archive folder, rebuilt if the journal moved on; None if open."""
        snap = await self.snapshot(session_id)
        if snap.protocol.closed_at is None:
            return None
        folder = self.folder(session_id)
        head = snap.events[-1].seq
        if self._built.get(session_id) != head:
            mark = folder / HEAD_MARK
            built = await asyncio.to_thread(lambda: mark.read_text() if mark.is_file() else "")
            if built != str(head):
                await self.refresh_archive(session_id)
            self._built[session_id] = head
        return folder

    async def refresh_archive(self, session_id: UUID) -> None:
        """Write the archive folder from the journal, the media folder and the stored files."""
        async with self._build_lock:
            async with self.pool.acquire() as conn:
                snap = await self.snapshot(session_id, conn)
                if snap.protocol.closed_at is None:
                    return
                documents = {}
                for item in snap.protocol.items:
                    for d in item.documents:
                        try:
                            _, content = await core_store.get_document(conn, UUID(d.document_id))
                        except (NotFound, ValueError):
                            continue
                        documents[d.document_id] = content
                sha = snap.publication.protocol_sha256
                signatures = await store.signature_contents(conn, session_id, sha) if sha else {}
                plan = await store.published_plan(conn, session_id)
            folder = self.folder(session_id)
            media = self.media_root / str(session_id)
            events: Sequence[journal.Event] = snap.events

            def write() -> None:
                archive.write_archive(
                    folder,
                    events,
                    media_dir=media,
                    documents=documents,
                    signatures=signatures,
                    plan=plan,
                )
                (folder / HEAD_MARK).write_text(str(events[-1].seq))

            await asyncio.to_thread(write)
            self._built[session_id] = events[-1].seq
        log.info("archive_written", session_id=str(session_id), seq=snap.events[-1].seq)


def parse_signature(body: dict[str, Any]) -> tuple[str, bytes | None]:
    """The sign request: ``protocol_sha256`` and an optional base64 ``p7s``."""
    digest = body.get("protocol_sha256")
    if (
        not isinstance(digest, str)
        or len(digest) != 64
        or not all(c in "0123456789abcdef" for c in digest)
    ):
        raise Invalid("protocol_sha256 must be 64 lower-case hex digits", field="protocol_sha256")
    raw = body.get("p7s")
    if raw is None:
        return digest, None
    if not isinstance(raw, str):
        raise Invalid("p7s must be the signature file in base64", field="p7s")
    try:
        content = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("p7s is not valid base64", field="p7s") from None
    if not content:
        raise Invalid("the signature file is empty", field="p7s")
    if len(content) > MAX_SIGNATURE_BYTES:
        raise Invalid(f"the signature file is larger than {MAX_SIGNATURE_BYTES} bytes", field="p7s")
    if content[:1] != b"\x30" and not content.startswith(b"-----BEGIN"):
        # a CMS/PKCS#7 file is DER (an ASN.1 SEQUENCE, 0x30) or PEM
        raise Invalid("p7s is neither DER nor PEM PKCS#7", field="p7s")
    return digest, content


PUBLICATION: web.AppKey[PublicationService] = web.AppKey("publication", PublicationService)
PLAN_PDF: web.AppKey[PlanPdf] = web.AppKey("plan_pdf")
"""Filled by the preparation's setup (a package above this one): the plan PDF at publication."""
