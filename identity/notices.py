"""The notice sender: takes the convening notices queued at announcement (R3, R4; convening
queues them through identity's ``store.queue_notices`` inside its own transaction), issues each
participant's personal link, and mails it with the agenda, the drafts and an ``.ics`` to the
official address on the participant list (R12). Status per recipient lands in the ``notices``
table (identity's alone), which the secretary reads as deliveries.

Several rada instances may run it: a notice is claimed with ``FOR UPDATE SKIP LOCKED`` and a
lease, so one sender mails it and a dead sender's claims are taken over.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from identity import mail, store
from identity.service import IdentityService
from orchestrator.convening.bodies import rule_set
from orchestrator.convening.service import CouncilService
from orchestrator.kernel.clock import Clock
from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.ukrainian import salutation

log = structlog.get_logger(__name__)

LEASE = timedelta(minutes=15)
BATCH = 20


class NoticeSender:
    def __init__(
        self,
        pool: asyncpg.Pool,
        council: CouncilService,
        identity: IdentityService,
        mailer: mail.Mailer,
        *,
        public_url: str,
        clock: Clock,
        interval: float = 5.0,
    ) -> None:
        self.pool = pool
        self.council = council
        self.identity = identity
        self.mailer = mailer
        self.public_url = public_url.rstrip("/")
        self.clock = clock
        self.interval = interval
        self.wake = asyncio.Event()

    async def run_once(self) -> list[mail.Delivery]:
        """Send every notice that is queued now; one delivery per notice."""
        results: list[mail.Delivery] = []
        while True:
            async with self.pool.acquire() as conn:
                claimed = await store.claim_notices(conn, self.clock(), LEASE, BATCH)
            if not claimed:
                return results
            results += await asyncio.gather(*(self._send(c) for c in claimed))

    async def run(self) -> None:
        """Forever: send what is queued, then sleep until woken or the interval passes."""
        while True:
            try:
                await self.run_once()
            except Exception:  # the sender must outlive any one bad notice or outage; logged
                log.exception("notice_sender_failed")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.interval)

    async def _send(self, claim: store.ClaimedNotice) -> mail.Delivery:
        """Mail one notice and record how it went. Whatever goes wrong with this notice fails
        it alone, with its error in deliveries (R4): the rest of the batch goes out, and the
        notice does not stay "sending" to fail again at every lease."""
        try:
            notice = await self._compose(claim)
            if isinstance(notice, mail.Delivery):
                return notice
            delivery = await self.mailer.deliver(notice)
        except Exception as exc:  # any one notice's fault; logged and recorded, never raised
            log.warning(
                "notice_failed",
                notice_id=claim.notice_id,
                session_id=str(claim.session_id),
                error=type(exc).__name__,
            )
            delivery = mail.Delivery(
                str(claim.notice_id),
                mail.DeliveryStatus.FAILED,
                0,
                self.clock(),
                f"the notice could not be composed ({type(exc).__name__}); "
                "correct the session's data and re-issue the link",
            )
        async with self.pool.acquire() as conn:
            await store.finish_notice(
                conn,
                claim.notice_id,
                sent=delivery.status is mail.DeliveryStatus.SENT,
                attempts=delivery.attempts,
                error=delivery.error,
                at=delivery.at,
            )
        return delivery

    async def _compose(self, claim: store.ClaimedNotice) -> mail.Notice | mail.Delivery:
        """Issue a fresh link (revoking any earlier one) and build the notice around it."""
        try:
            token, ref, session = await self.identity.issue_link(
                claim.session_id, claim.participant_id
            )
        except NotFound:
            now = self.clock()
            async with self.pool.acquire() as conn:
                await store.finish_notice(
                    conn,
                    claim.notice_id,
                    sent=False,
                    attempts=0,
                    error="participant removed from the list",
                    at=now,
                )
            return mail.Delivery(
                str(claim.notice_id), mail.DeliveryStatus.FAILED, 0, now, "removed"
            )
        view = await self.council.session_view(claim.session_id)
        attachments = []
        for item in view["agenda"]:
            for doc in item["documents"]:
                meta, content = await self.council.document(UUID(doc["id"]))
                attachments.append(mail.Attachment(meta.filename, meta.content_type, content))
        return mail.Notice(
            notice_id=f"{claim.session_id}-{claim.participant_id}",
            recipient_name=f"{ref.surname} {ref.given_name}",
            salutation=_salutation(view, claim.participant_id),
            recipient_email=ref.email,
            council_name=view["council"]["name"],
            session_title=session.title,
            session_number=str(session.number),
            starts_at=session.starts_at,
            planned_end=session.planned_end,
            agenda=[
                mail.AgendaLine(i["index"], i["title"], i["category_uk"]) for i in view["agenda"]
            ],
            broadcast_url=view["broadcast_url"],
            link_url=f"{self.public_url}/join/{token}",
            attachments=attachments,
            words=rule_set(view.get("body")).words,  # E3: the committee's own words
        )


def _salutation(view: Mapping[str, Any], participant_id: UUID) -> str:
    """The notice's salutation in the vocative, from the participant list's given name and
    patronymic («Шановна Ларисо Іванівно!»)."""
    for person in view.get("participants", []):
        if person.get("participant_id") == str(participant_id):
            return salutation(str(person.get("given_name", "")), str(person.get("patronymic", "")))
    return ""
