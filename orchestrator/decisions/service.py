"""Use-cases after the sitting: register an adopted question's decision (S3), the mayor's
signature, distribution to the executors with retries and bounces (S4), the public register.

A decision is registered only for a question the closed session adopted (the protocol's fold
of the journal says so); its final text (the draft as amended) is uploaded by the office and
hashed. The presiding person signs it naming that hash, with an optional detached ``.p7s``
(as the protocol is signed, R19). Signing queues the delivery to every executor on the
distribution list; nothing is sent before. The :class:`Distributor` sends what is due: a
transient refusal is retried with a doubling delay, a permanent one bounces and shows with its
SMTP reply until the office corrects the address and sends again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from identity import mail
from orchestrator.convening import store as core_store
from orchestrator.decisions import register, store
from orchestrator.kernel.clock import Clock
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.settings.identity import SmtpSettings
from orchestrator.kernel.web import validation
from orchestrator.kernel.web.auth import Principal
from orchestrator.protocol.model import build

log = structlog.get_logger(__name__)

BATCH = 20
SEND_LEASE = timedelta(minutes=5)
"""A claimed delivery is not claimed again for this long (the relay's timeout is far below)."""


@dataclass(frozen=True, slots=True)
class View:
    decision: store.Decision
    deliveries: list[store.Delivery]


class DecisionService:
    def __init__(self, pool: asyncpg.Pool, *, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock
        self.wake = asyncio.Event()  # the distributor's: signing queued something

    # --- the numbering scheme (S3) ---------------------------------------------------------

    async def pattern(self, council_id: UUID) -> tuple[int, str]:
        async with self.pool.acquire() as conn:
            council = await core_store.get_council(conn, council_id)
            own = await store.pattern(conn, council_id, council.convocation)
        return council.convocation, own or register.DEFAULT_PATTERN

    async def put_pattern(self, council_id: UUID, pattern: str) -> tuple[int, str]:
        register.check_pattern(pattern)
        async with self.pool.acquire() as conn, conn.transaction():
            council = await core_store.get_council(conn, council_id, lock=True)
            await store.put_pattern(conn, council_id, council.convocation, pattern)
        return council.convocation, pattern

    # --- the register (S3) -------------------------------------------------------------------

    async def register(
        self,
        session_id: UUID,
        item: int,
        filename: str,
        content_type: str,
        content: bytes,
        by: Principal,
    ) -> store.Decision:
        """Register the adopted question ``item`` (0-based) with its final text."""
        async with self.pool.acquire() as conn, conn.transaction():
            session = await core_store.get_session(conn, session_id)
            council = await core_store.get_council(conn, session.council_id, lock=True)
            protocol = build(await journal_store.load_events(conn, session_id))
            if protocol.closed_at is None:
                raise Conflict("the session has not been closed yet", code="session_not_closed")
            found = next((i for i in protocol.items if i.index == item), None)
            if found is None:
                raise NotFound(f"the agenda has no item {item + 1}", code="item_not_found")
            if found.vote is None or found.vote.adopted is not True:
                raise Conflict(
                    "only an adopted question becomes a decision", code="question_not_adopted"
                )
            now = self.clock()
            pattern = await store.pattern(conn, council.id, council.convocation)
            seq = await store.next_seq(conn, council.id, council.convocation)
            decision = store.Decision(
                id=uuid.uuid4(),
                session_id=session_id,
                council_id=council.id,
                convocation=council.convocation,
                item=item,
                seq=seq,
                number=register.number(
                    pattern or register.DEFAULT_PATTERN,
                    seq=seq,
                    item=item,
                    session=session.number,
                    convocation=council.convocation,
                    at=now.astimezone(KYIV),
                ),
                title=found.title,
                filename=filename,
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                registered_at=now,
                signed_at=None,
                signed_by=None,
                signature_sha256=None,
            )
            await store.insert(conn, decision, content)
            await self.append(
                conn,
                session_id,
                ev.DECISION_REGISTERED,
                {
                    "decision_id": str(decision.id),
                    "item": item,
                    "number": decision.number,
                    "sha256": decision.sha256,
                    "by": by.actor,
                },
                by.actor,
                now,
            )
        log.info("decision_registered", session_id=str(session_id), item=item, seq=seq)
        return decision

    async def view(self, decision_id: UUID) -> View:
        async with self.pool.acquire() as conn:
            return View(
                await store.get(conn, decision_id), await store.deliveries(conn, decision_id)
            )

    async def of_session(self, session_id: UUID) -> list[View]:
        async with self.pool.acquire() as conn:
            await core_store.get_session(conn, session_id)
            return [
                View(d, await store.deliveries(conn, d.id))
                for d in await store.of_session(conn, session_id)
            ]

    async def published(self) -> list[store.Decision]:
        async with self.pool.acquire() as conn:
            return await store.signed(conn)

    async def text(self, decision_id: UUID) -> tuple[store.Decision, bytes]:
        async with self.pool.acquire() as conn:
            return await store.get(conn, decision_id), await store.content(conn, decision_id)

    # --- distribution list, signature, sending (S4) --------------------------------------------

    async def set_distribution(
        self, decision_id: UUID, executors: Sequence[tuple[str, str]]
    ) -> list[store.Delivery]:
        """The author's distribution list, before signing (after it, correct one address)."""
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await store.get(conn, decision_id, lock=True)
            if decision.signed_at is not None:
                raise Conflict(
                    "the decision is signed: its list is sent; correct a bounced address instead",
                    code="decision_signed",
                )
            await store.put_distribution(conn, decision_id, executors)
            return await store.deliveries(conn, decision_id)

    async def sign(
        self, decision_id: UUID, by: Principal, named_sha256: str, p7s: bytes | None
    ) -> journal.Event:
        """The presiding person signs the text they name; the distribution is queued."""
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await store.get(conn, decision_id, lock=True)
            if by.session_id != decision.session_id:
                raise NotFound(f"no decision {decision_id}", code="decision_not_found")
            if decision.signed_at is not None:
                raise Conflict("the decision is already signed", code="decision_already_signed")
            if named_sha256 != decision.sha256:
                raise Conflict(
                    "the text you name is not the registered one; reload and read it again",
                    code="decision_changed",
                    field="sha256",
                )
            now = self.clock()
            signature_sha = None if p7s is None else hashlib.sha256(p7s).hexdigest()
            await store.sign(conn, decision_id, now, by.actor, signature_sha, p7s)
            listed = await store.deliveries(conn, decision_id)
            event = await self.append(
                conn,
                decision.session_id,
                ev.DECISION_SIGNED,
                {
                    "decision_id": str(decision_id),
                    "by": by.actor,
                    "signature_sha256": signature_sha,
                    "executors": len(listed),
                },
                by.actor,
                now,
            )
            await store.queue(conn, decision_id, now)
        self.wake.set()
        log.info("decision_signed", decision_id=str(decision_id), executors=len(listed))
        return event

    async def distribute(
        self, decision_id: UUID, position: int | None = None, email: str | None = None
    ) -> int:
        """Send (again) to the list or to one executor, after correcting the address; refused
        before the decision is signed (S4)."""
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await store.get(conn, decision_id, lock=True)
            if decision.signed_at is None:
                raise Conflict(
                    "a decision is sent to its executors only once it is signed",
                    code="decision_not_signed",
                )
            if email is not None and position is not None:
                await store.set_email(conn, decision_id, position, email)
            queued = await store.queue(conn, decision_id, self.clock(), position)
        self.wake.set()
        return queued

    # --- control of execution (S5) --------------------------------------------------------

    async def control(
        self, decision_id: UUID, controls: Sequence[tuple[str, date]], by: Principal
    ) -> list[store.Control]:
        """Place a signed decision under control: executors and their control dates."""
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await store.get(conn, decision_id, lock=True)
            if decision.signed_at is None:
                raise Conflict(
                    "a decision goes under control once it is signed", code="decision_not_signed"
                )
            await store.put_controls(conn, decision_id, controls)
            await self.append(
                conn,
                decision.session_id,
                ev.DECISION_CONTROLLED,
                {
                    "decision_id": str(decision_id),
                    "by": by.actor,
                    "controls": [
                        {"position": i, "executor": executor, "due_on": due.isoformat()}
                        for i, (executor, due) in enumerate(controls, start=1)
                    ],
                },
                by.actor,
                self.clock(),
            )
            return await store.controls(conn, decision_id)

    async def report(
        self,
        decision_id: UUID,
        position: int,
        filename: str,
        content_type: str,
        content: bytes,
        by: Principal,
    ) -> str:
        """Attach an executor's report (S5); its SHA-256 is journaled."""
        digest = hashlib.sha256(content).hexdigest()
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await store.get(conn, decision_id, lock=True)
            if decision.off_control_at is not None:
                raise Conflict("the decision is off control", code="off_control")
            now = self.clock()
            await store.insert_report(
                conn, decision_id, position, filename, content_type, content, digest, now
            )
            await self.append(
                conn,
                decision.session_id,
                ev.DECISION_REPORTED,
                {"decision_id": str(decision_id), "position": position, "sha256": digest},
                by.actor,
                now,
            )
        return digest

    async def off_control(self, decision_id: UUID, reason: str, by: Principal) -> journal.Event:
        """Take the decision off control (S5: executed), journaled."""
        async with self.pool.acquire() as conn, conn.transaction():
            decision = await store.get(conn, decision_id, lock=True)
            if not await store.controls(conn, decision_id):
                raise Conflict("the decision is not under control", code="not_controlled")
            if decision.off_control_at is not None:
                raise Conflict("the decision is already off control", code="off_control")
            now = self.clock()
            await store.take_off_control(conn, decision_id, now)
            return await self.append(
                conn,
                decision.session_id,
                ev.DECISION_OFF_CONTROL,
                {"decision_id": str(decision_id), "by": by.actor, "reason": reason},
                by.actor,
                now,
            )

    async def control_list(self) -> list[tuple[store.Decision, list[store.Control]]]:
        """Every decision under control (or taken off it) with its executors."""
        async with self.pool.acquire() as conn:
            rows = await store.controls(conn)
            out: dict[UUID, tuple[store.Decision, list[store.Control]]] = {}
            for c in rows:
                if c.decision_id not in out:
                    out[c.decision_id] = (await store.get(conn, c.decision_id), [])
                out[c.decision_id][1].append(c)
        return list(out.values())

    async def append(
        self,
        conn: Conn,
        session_id: UUID,
        type_: str,
        payload: dict[str, Any],
        actor: str,
        at: datetime,
    ) -> journal.Event:
        return await journal_store.append_event(
            conn, session_id, type_, payload, actor=actor, at=at
        )


def late(d: store.Decision, delivery: store.Delivery, now: datetime) -> bool:
    return register.late(d.signed_at, delivery.sent_at, now)


def compose(
    d: store.Decision, delivery: store.Delivery, council: str, sender: str, content: bytes
) -> EmailMessage:
    """The signed decision to one executor, in Ukrainian, with the text attached."""
    message = EmailMessage()
    message["Subject"] = f"Рішення № {d.number}: {d.title}"
    message["From"] = formataddr((council, sender))
    message["To"] = formataddr((delivery.name, delivery.email))
    message["Message-ID"] = make_msgid(
        idstring=f"{d.id.hex[:16]}-{delivery.position}", domain="rada"
    )
    signed = d.signed_at.astimezone(KYIV).date() if d.signed_at else None
    message.set_content(
        "\n".join(
            [
                f"Шановний виконавцю ({delivery.name})!",
                "",
                f"{council} надсилає для виконання рішення № {d.number} «{d.title}»"
                + (f", підписане {day_uk(signed)} р." if signed else "."),
                "Текст рішення — у вкладенні; його SHA-256:",
                d.sha256,
                "",
                "Ви в списку розсилки, складеному автором проєкту рішення.",
            ]
        )
        + "\n"
    )
    maintype, _, subtype = d.content_type.partition("/")
    message.add_attachment(content, maintype=maintype, subtype=subtype, filename=d.filename)
    return message


class Distributor:
    """Sends the due deliveries (several instances may run it: rows are claimed with
    ``FOR UPDATE SKIP LOCKED`` and leased for :data:`SEND_LEASE`, the claim committed before the
    mail goes, so no row lock is held while the relay answers); each outcome is journaled as
    ``decision_delivered``."""

    def __init__(
        self,
        service: DecisionService,
        smtp: SmtpSettings,
        *,
        interval: float = 30.0,
    ) -> None:
        self.service = service
        self.mailer = mail.Mailer(smtp)
        self.sender = smtp.sender
        self.interval = interval

    async def run_once(self) -> int:
        """Attempt every delivery due now; how many were attempted. Rows are claimed (leased)
        and committed first, the mail is sent with no lock held, then the outcome recorded."""
        attempted = 0
        while True:
            now = self.service.clock()
            async with self.service.pool.acquire() as conn, conn.transaction():
                due = await store.claim_due(conn, now, BATCH, now + SEND_LEASE)
            if not due:
                return attempted
            for delivery in due:
                await self._attempt(delivery)
                attempted += 1

    async def _attempt(self, delivery: store.Delivery) -> None:
        async with self.service.pool.acquire() as conn:
            d = await store.get(conn, delivery.decision_id)
            session = await core_store.get_session(conn, d.session_id)
            council = await core_store.get_council(conn, session.council_id)
            content = await store.content(conn, d.id)
        error: str | None = None
        permanent = False
        try:
            await self.mailer.send_once(compose(d, delivery, council.name, self.sender, content))
        except mail.SEND_ERRORS as exc:
            error, permanent = mail.describe(exc), mail.is_permanent(exc)
        now = self.service.clock()
        attempts = delivery.attempts + 1
        outcome = register.after_attempt(attempts, ok=error is None, permanent=permanent, now=now)
        async with self.service.pool.acquire() as conn, conn.transaction():
            recorded = await store.finish(
                conn,
                delivery,
                status=outcome.status,
                error=error,
                next_attempt_at=outcome.next_attempt_at,
                at=now,
            )
            if recorded and outcome.status in ("sent", "bounced"):
                await self.service.append(
                    conn,
                    d.session_id,
                    ev.DECISION_DELIVERED,
                    {
                        "decision_id": str(d.id),
                        "executor": delivery.position,
                        "status": outcome.status,
                        "attempts": attempts,
                    },
                    "rada",
                    now,
                )
        log.info(
            "decision_delivery",
            decision_id=str(d.id),
            executor=delivery.position,
            status=outcome.status,
            attempts=attempts,
            recorded=recorded,
        )

    async def run(self) -> None:
        while True:
            try:
                await self.run_once()
            except Exception:  # the distributor outlives one bad delivery or an outage; logged
                log.exception("distributor_failed")
            self.service.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.service.wake.wait(), self.interval)


def parse_executors(value: Any) -> list[tuple[str, str]]:
    """``[{name, email}, …]``: the author's distribution list (at most 100)."""
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        raise Invalid("executors: a list of 1–100 {name, email}", field="executors")
    out = []
    for i, raw in enumerate(value):
        if not isinstance(raw, dict):
            raise Invalid(f"executors[{i}] must be an object", field=f"executors[{i}]")
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise Invalid(f"executors[{i}].name: 1–200 characters", field=f"executors[{i}].name")
        if any(ord(c) < 32 for c in name):
            raise Invalid(
                f"executors[{i}].name contains control characters", field=f"executors[{i}].name"
            )
        out.append((name.strip(), check_email(raw.get("email"), f"executors[{i}].email")))
    return out


def parse_controls(value: Any) -> list[tuple[str, date]]:
    """``[{executor, due_on: YYYY-MM-DD}, …]``: who answers for the execution, by when (S5)."""
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        raise Invalid("controls: a list of 1–20 {executor, due_on}", field="controls")
    out = []
    for i, raw in enumerate(value):
        field = f"controls[{i}]"
        if not isinstance(raw, dict):
            raise Invalid(f"{field} must be an object", field=field)
        executor = raw.get("executor")
        if not isinstance(executor, str) or not executor.strip() or len(executor) > 200:
            raise Invalid(f"{field}.executor: 1–200 characters", field=f"{field}.executor")
        if any(ord(c) < 32 for c in executor):
            raise Invalid(
                f"{field}.executor contains control characters", field=f"{field}.executor"
            )
        try:
            due = date.fromisoformat(str(raw.get("due_on")))
        except ValueError:
            raise Invalid(f"{field}.due_on: a date YYYY-MM-DD", field=f"{field}.due_on") from None
        out.append((executor.strip(), due))
    return out


def check_email(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise Invalid(f"{field} must be an e-mail address", field=field)
    return validation.email(value.strip(), field)
