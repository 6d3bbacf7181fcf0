"""Use-cases before the sitting: the council's plan template, the session's plan and its ticks
(P1, S1), the deputies' answers and the forecast (P1, R7), the presiding script (P1)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from identity import mail
from identity import store as identity_store
from orchestrator.convening import store as core_store
from orchestrator.kernel.clock import Clock
from orchestrator.kernel.database import Conn
from orchestrator.kernel.errors import Conflict, Forbidden, Invalid, NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.ukrainian import salutation
from orchestrator.kernel.web.auth import Principal
from orchestrator.preparation import attendance, checks, plan, script, store
from orchestrator.preparation.attendance import Answer, Forecast, Reply

log = structlog.get_logger(__name__)

MAX_REASON = 500
# a deputy may change their answer until the sitting has begun (after it, presence is the truth)
ANSWERABLE = ("convened", "announced")


@dataclass(frozen=True, slots=True)
class Session:
    """What the preparation reads of a session: its row, its convening and its journal."""

    row: core_store.SessionRow
    convened: ev.SessionConvened
    events: tuple[journal.Event, ...]

    @property
    def council_name(self) -> str:
        return self.convened.council.name if self.convened.council else ""

    @property
    def convocation(self) -> int | str:
        return self.convened.council.convocation if self.convened.council else ""

    @property
    def total_composition(self) -> int:
        council = self.convened.council
        return council.total_composition or 0 if council else 0

    def person(self, participant_id: str) -> ev.Participant | None:
        return next(
            (p for p in self.convened.participants if p.participant_id == participant_id), None
        )


@dataclass(frozen=True, slots=True)
class Plan:
    title: str
    template: tuple[plan.MeasureSpec, ...]
    lines: list[plan.PlanLine]


class PreparationService:
    def __init__(self, pool: asyncpg.Pool, *, clock: Clock) -> None:
        self.pool = pool
        self.clock = clock

    async def load(self, session_id: UUID, conn: Conn | None = None) -> Session:
        if conn is None:
            async with self.pool.acquire() as c:
                return await self.load(session_id, c)
        row = await core_store.get_session(conn, session_id)
        events = tuple(await journal_store.load_events(conn, session_id))
        if not events or events[0].type != ev.SESSION_CONVENED:
            raise NotFound(f"session {session_id} has no journal", code="session_not_found")
        return Session(row, ev.SessionConvened.from_payload(events[0].payload), events)

    # --- the template (the council edits it, S1) -------------------------------------------

    async def template(self, council_id: UUID) -> tuple[bool, tuple[plan.MeasureSpec, ...]]:
        """(whether the council has its own template, the template in force)."""
        async with self.pool.acquire() as conn:
            await core_store.get_council(conn, council_id)
            raw = await store.council_template(conn, council_id)
        if raw is None:
            return False, plan.DEFAULT_TEMPLATE
        return True, plan.parse_template(raw)

    async def put_template(
        self, council_id: UUID, measures: Sequence[plan.MeasureSpec]
    ) -> tuple[plan.MeasureSpec, ...]:
        async with self.pool.acquire() as conn, conn.transaction():
            await core_store.get_council(conn, council_id, lock=True)
            await store.put_council_template(
                conn, council_id, [m.to_json() for m in measures], self.clock()
            )
        log.info("plan_template_saved", council_id=str(council_id), measures=len(measures))
        return tuple(measures)

    # --- the session's plan (P1) -------------------------------------------------------------

    async def plan(self, session_id: UUID) -> Plan:
        async with self.pool.acquire() as conn:
            session = await self.load(session_id, conn)
            _, frozen = await store.session_plan(conn, session_id)
        template = plan.DEFAULT_TEMPLATE if frozen is None else plan.parse_template(frozen)
        ticks = plan.journal_ticks(session.events)
        lines = plan.lines(template, session.row.starts_at, ticks, self.clock())
        title = plan.title_uk(
            session.row.number, session.row.title, session.council_name, session.convocation
        )
        return Plan(title, template, lines)

    async def tick(self, session_id: UUID, measure: str, by: Principal) -> journal.Event:
        """The office marks a measure done (P1); journaled once (the session's row is locked
        while the plan is read, so two offices ticking at once journal it once)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await journal_store.lock_session(conn, session_id)
            session = await self.load(session_id, conn)
            _, frozen = await store.session_plan(conn, session_id)
            template = plan.DEFAULT_TEMPLATE if frozen is None else plan.parse_template(frozen)
            spec = next((m for m in template if m.key == measure), None)
            if spec is None:
                raise NotFound(f"the plan has no measure {measure!r}", code="measure_not_found")
            ticks = plan.journal_ticks(session.events)
            if measure in ticks or (spec.auto is not None and spec.auto.value in ticks):
                raise Conflict("this measure is already marked done", code="measure_done")
            payload = {"measure": measure, "by": by.actor}
            event = await journal_store.append_event(
                conn, session_id, ev.PLAN_MEASURE_DONE, payload, actor=by.actor, at=self.clock()
            )
        log.info("plan_measure_done", session_id=str(session_id), measure=measure)
        return event

    # --- attendance (P1, R7) -----------------------------------------------------------------

    async def answer(
        self, session_id: UUID, by: Principal, answer: Answer, reason: str
    ) -> journal.Event:
        """A deputy's «буду» / «не зможу»: the answer and the reason stay in the database (the
        office and the chair read them); the public journal says only that the deputy answered."""
        pid = str(by.participant_id)
        async with self.pool.acquire() as conn, conn.transaction():
            await journal_store.lock_session(conn, session_id)
            session = await self.load(session_id, conn)
            if session.row.status not in ANSWERABLE:
                raise Conflict(
                    "the sitting has begun: attendance is now who is present",
                    code="attendance_closed",
                )
            person = session.person(pid)
            if person is None or person.kind not in ("deputy", "secretary"):
                raise Forbidden(
                    "only deputies answer whether they will attend", code="not_a_deputy"
                )
            if answer is Answer.ABSENT and not reason:
                raise Invalid("say why you cannot attend", field="reason", code="reason_required")
            now = self.clock()
            await store.put_reply(conn, session_id, UUID(pid), Reply(answer, reason, now))
            event = await journal_store.append_event(
                conn,
                session_id,
                ev.ATTENDANCE_ANSWERED,
                {"participant_id": pid},  # not the answer: the journal is public
                actor=by.actor,
                at=now,
            )
        log.info("attendance_answered", session_id=str(session_id), answer=answer.value)
        return event

    async def my_answer(self, session_id: UUID, participant_id: UUID) -> Reply | None:
        async with self.pool.acquire() as conn:
            return (await store.replies(conn, session_id)).get(str(participant_id))

    async def forecast(self, session_id: UUID) -> tuple[Forecast, list[dict[str, Any]]]:
        """The forecast and each deputy's answer (with the reason, for the office and chair)."""
        async with self.pool.acquire() as conn:
            session = await self.load(session_id, conn)
            replies = await store.replies(conn, session_id)
        people = [
            attendance.Person(p.participant_id, p.name, p.kind or "")
            for p in session.convened.participants
        ]
        result = attendance.forecast(
            people,
            replies,
            total_composition=session.total_composition,
            starts_at=session.row.starts_at,
            now=self.clock(),
        )
        rows = []
        for p in people:
            if p.kind not in ("deputy", "secretary"):
                continue
            reply = replies.get(p.participant_id)
            rows.append(
                {
                    "participant_id": p.participant_id,
                    "name": p.name,
                    "answer": None if reply is None else reply.answer.value,
                    "answer_uk": None if reply is None else attendance.ANSWER_UK[reply.answer],
                    "reason": "" if reply is None else reply.reason,
                    "at": None if reply is None else journal.format_time(reply.at),
                }
            )
        return result, rows

    # --- the technical check (P1) ----------------------------------------------------------

    async def record_check(
        self,
        session_id: UUID,
        by: Principal,
        camera: bool,
        microphone: bool,
        joined: bool | None = None,
    ) -> journal.Event:
        """One participant's «Перевірка зв’язку», journaled (P1): the devices and whether the
        page joined the participant's test Jitsi room (``None``: the join was not tried)."""
        payload: dict[str, Any] = {
            "participant_id": str(by.participant_id),
            "camera": camera,
            "microphone": microphone,
            "passed": checks.passed(camera, microphone, joined),
        }
        if joined is not None:
            payload["joined"] = joined
        async with self.pool.acquire() as conn, conn.transaction():
            event = await journal_store.append_event(
                conn,
                session_id,
                ev.CONNECTION_CHECKED,
                payload,
                actor=by.actor,
                at=self.clock(),
            )
        log.info("connection_checked", session_id=str(session_id), passed=event.payload["passed"])
        return event

    async def checks(self, session_id: UUID) -> list[checks.Row]:
        return checks.summary((await self.load(session_id)).events)

    async def remind(
        self, session_id: UUID, mailer: mail.Mailer, public_url: str
    ) -> list[tuple[str, str]]:
        """Mail a reminder to everyone on the list who has not passed the check (P1), to the
        official address on the list (R12), once each: (participant id, sent|already|the
        failure). Each reminder is claimed in its own transaction before the mail goes (no
        lock is held while the relay answers); a failed mail releases the claim."""
        async with self.pool.acquire() as conn:
            session = await self.load(session_id, conn)
            people = await core_store.list_participants(conn, session_id)
        not_passed = {r.participant_id for r in checks.summary(session.events) if not r.passed}
        council = session.council_name
        page = f"{public_url.rstrip('/')}/sessions/{session_id}/check"
        out = []
        for stored in people:
            p = stored.participant
            if str(p.participant_id) not in not_passed:
                continue
            message = reminder(
                council,
                session.row.number,
                session.row.starts_at,
                p.person.email,
                f"{p.person.surname} {p.person.given_name}",
                salutation(p.person.given_name, p.person.patronymic),
                page,
                mailer.settings.sender,
            )
            async with self.pool.acquire() as conn:
                fresh = await store.claim_reminder(conn, session_id, p.participant_id, self.clock())
            if not fresh:
                out.append((str(p.participant_id), "already"))
                continue
            try:
                await mailer.send_once(message)
                outcome = "sent"
            except mail.SEND_ERRORS as exc:
                outcome = mail.describe(exc)
            async with self.pool.acquire() as conn:
                if outcome == "sent":
                    await store.reminder_sent(conn, session_id, p.participant_id, self.clock())
                else:
                    await store.release_reminder(conn, session_id, p.participant_id)
            out.append((str(p.participant_id), outcome))
        log.info("check_reminders", session_id=str(session_id), sent=len(out))
        return out

    # --- guest packets (S2) ------------------------------------------------------------------

    async def packets(self, session_id: UUID) -> list[dict[str, Any]]:
        """Each invited guest's packet: their notice's delivery and, of the session's documents,
        those attached before it was sent (the notice carries every draft, R4) and those
        attached since (not received: re-issue the guest's link to send them)."""
        async with self.pool.acquire() as conn:
            await core_store.get_session(conn, session_id)
            notices = await identity_store.deliveries(conn, session_id)
            documents = await store.packet_documents(conn, session_id)
            organisations = await store.organisations(conn, session_id)
        out = []
        for n in notices:
            pid = str(n.participant_id)
            if pid not in organisations:
                continue
            sent = n.sent_at if n.status == "sent" else None
            out.append(
                {
                    "participant_id": pid,
                    "name": f"{n.surname} {n.given_name}",
                    "organisation": organisations[pid],
                    "status": n.status,
                    "sent_at": timestamp(sent),
                    "last_error": n.last_error,
                    "documents": [
                        {
                            "item": item + 1,
                            "filename": filename,
                            "sha256": sha,
                            "received": sent is not None and attached <= sent,
                        }
                        for filename, sha, item, attached in documents
                    ],
                }
            )
        return out

    # --- the presiding script (P1) -------------------------------------------------------------

    async def script(self, session_id: UUID) -> tuple[str, list[script.Step]]:
        session = await self.load(session_id)
        title = "Порядок ведення " + plan.title_uk(
            session.row.number, session.row.title, session.council_name, session.convocation
        ).removeprefix("План організаційно-технічних заходів з підготовки та проведення ")
        return title, script.steps(session.convened, session.row.starts_at)


def reminder(
    council: str,
    number: int,
    starts_at: datetime,
    email: str,
    name: str,
    greeting: str,
    page: str,
    sender: str,
) -> EmailMessage:
    """«Перевірте зв’язок»: the reminder to a participant who has not passed the check."""
    message = EmailMessage()
    message["Subject"] = f"Перевірте зв’язок перед засіданням № {number}"
    message["From"] = formataddr((council, sender))
    message["To"] = formataddr((name, email))
    local = starts_at.astimezone(KYIV)
    message.set_content(
        f"{greeting}\n\n"
        f"Засідання № {number} починається {day_uk(local.date())} р. о {local:%H:%M} "
        "(за київським часом). Ви ще не пройшли перевірку зв’язку: головуючий ідентифікує "
        "кожного учасника за зображенням і голосом.\n\n"
        "Відкрийте ваше персональне посилання з листа-повідомлення, а тоді сторінку перевірки:\n"
        f"{page}\n"
    )
    return message


def parse_answer(body: dict[str, Any]) -> tuple[Answer, str]:
    raw = body.get("answer")
    try:
        answer = Answer(str(raw))
    except ValueError:
        raise Invalid("answer must be attend or absent", field="answer") from None
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise Invalid("reason must be a string", field="reason")
    reason = reason.strip()
    if len(reason) > MAX_REASON or any(ord(c) < 32 for c in reason):
        raise Invalid(f"reason: at most {MAX_REASON} characters of text", field="reason")
    return answer, reason if answer is Answer.ABSENT else ""


def timestamp(at: datetime | None) -> str | None:
    return None if at is None else journal.format_time(at)
