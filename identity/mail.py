"""The convening notice (R3, R4) sent to each participant's official e-mail address (R12).

Composing is plain data → ``EmailMessage``: the agenda with each item's R1 category, how the
public can watch the open broadcast, the personal link, the draft acts as attachments and an
``.ics`` invitation. Sending goes over SMTP with ``aiosmtplib``, retrying transient failures
with exponential backoff, and returns one :class:`Delivery` per recipient (what the secretary
sees). Logs never carry the address, the link or the body.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from enum import StrEnum

import aiosmtplib
import icalendar
import structlog

from orchestrator.convening.bodies import COUNCIL, BodyWords
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.settings.identity import SmtpSettings
from orchestrator.kernel.ukrainian import salutation

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AgendaLine:
    index: int
    title: str
    category_uk: str
    """The R1 category in Ukrainian, e.g. "термінові зміни до місцевого бюджету"."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Notice:
    """One participant's convening notice."""

    notice_id: str
    recipient_name: str
    recipient_email: str
    council_name: str
    session_title: str
    session_number: str
    starts_at: datetime
    planned_end: datetime
    agenda: Sequence[AgendaLine]
    broadcast_url: str
    link_url: str
    salutation: str = ""  # «Шановний Іване Михайловичу!» (given name and patronymic, vocative)
    attachments: Sequence[Attachment] = ()
    words: BodyWords = COUNCIL.words  # the body's words (E3: the executive committee's)


class DeliveryStatus(StrEnum):
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome for one recipient: no address, no body, just what happened."""

    notice_id: str
    status: DeliveryStatus
    attempts: int
    at: datetime
    error: str | None = None
    """SMTP reply code and text, or the exception class, of the last failure."""


def local_time(at: datetime) -> str:
    """ "23 листопада 2026 р. о 10:00 (за київським часом)"."""
    local = at.astimezone(KYIV)
    return f"{day_uk(local)} р. о {local:%H:%M} (за київським часом)"


def body_text(notice: Notice) -> str:
    """The Ukrainian text of the notice."""
    lines = [
        notice.salutation or salutation(notice.recipient_name.rpartition(" ")[2], ""),
        "",
        f"{notice.council_name} {notice.words.notice_calls} № {notice.session_number}",
        f"«{notice.session_title}».",
        "",
        f"Початок: {local_time(notice.starts_at)}.",
        f"Орієнтовне завершення: {local_time(notice.planned_end)}.",
        "",
        "Порядок денний:",
    ]
    for line in notice.agenda:
        lines.append(f"  {line.index + 1}. {line.title} (категорія: {line.category_uk})")
    lines += [
        "",
        "Ваше персональне посилання для участі в засіданні (не пересилайте його нікому):",
        notice.link_url,
        *notice.words.notice_identification.split("\n"),
        "",
        "Відкрита трансляція засідання для громадськості:",
        notice.broadcast_url,
        "",
    ]
    if notice.attachments:
        lines.append("До листа додано проєкти рішень та матеріали до них:")
        lines += [f"  – {a.filename}" for a in notice.attachments]
        lines.append("")
    lines += [
        f"Лист надіслано на {notice.words.notice_sent_to}.",
        "Запрошення до календаря — у вкладенні invite.ics.",
    ]
    return "\n".join(lines) + "\n"


def calendar_invite(notice: Notice, organizer: str) -> bytes:
    """An iCalendar REQUEST for the session, addressed to this recipient."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//rada//convening notice//UK")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = icalendar.Event()
    event.add("uid", f"{notice.notice_id}@rada")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", notice.starts_at.astimezone(UTC))
    event.add("dtend", notice.planned_end.astimezone(UTC))
    event.add("summary", f"{notice.council_name}: засідання № {notice.session_number}")
    event.add("description", body_text(notice))
    event.add("location", notice.link_url)
    event.add("url", notice.link_url)
    organizer_prop = icalendar.vCalAddress(f"mailto:{organizer}")
    organizer_prop.params["cn"] = icalendar.vText(notice.council_name)
    event.add("organizer", organizer_prop)
    attendee = icalendar.vCalAddress(f"mailto:{notice.recipient_email}")
    attendee.params["cn"] = icalendar.vText(notice.recipient_name)
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", attendee)
    cal.add_component(event)
    return bytes(cal.to_ical())


def compose(notice: Notice, sender: str) -> EmailMessage:
    """The full message: text body, the drafts as attachments, and ``invite.ics``."""
    message = EmailMessage()
    message["Subject"] = (
        f"Скликання {notice.words.notice_subject} № {notice.session_number}: {notice.session_title}"
    )
    message["From"] = formataddr((notice.council_name, sender))
    message["To"] = formataddr((notice.recipient_name, notice.recipient_email))
    message["Message-ID"] = make_msgid(
        idstring=hashlib.sha256(notice.notice_id.encode()).hexdigest()[:16], domain="rada"
    )
    message.set_content(body_text(notice))
    for doc in notice.attachments:
        maintype, _, subtype = doc.content_type.partition("/")
        message.add_attachment(
            doc.data, maintype=maintype, subtype=subtype or "octet-stream", filename=doc.filename
        )
    message.add_attachment(
        calendar_invite(notice, sender),
        maintype="text",
        subtype="calendar",
        filename="invite.ics",
        params={"method": "REQUEST"},
    )
    return message


SEND_ERRORS = (aiosmtplib.SMTPException, OSError, TimeoutError)
"""What one attempt may raise that is the relay's answer or the network's, not a bug."""


def is_permanent(error: Exception) -> bool:
    """A 5xx reply (unknown mailbox, refused) is final; the rest may pass on a retry."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= r.code < 600 for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return 500 <= error.code < 600
    return False


def describe(error: Exception) -> str:
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        first = error.recipients[0]
        return f"{first.code} {first.message}"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"
    return type(error).__name__


class Mailer:
    """Sends notices through the configured SMTP relay, with retries."""

    def __init__(
        self,
        settings: SmtpSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock

    async def send_once(self, message: EmailMessage) -> None:
        """One attempt through the relay; raises what aiosmtplib raises (the caller retries:
        the decisions' distribution keeps its attempts in the database, S4)."""
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.host,
            port=s.port,
            username=s.username or None,
            password=s.password or None,
            use_tls=s.security == "tls",
            start_tls=s.security == "starttls",
            timeout=s.timeout,
        )

    async def deliver(self, notice: Notice) -> Delivery:
        """Send one notice, retrying transient failures with doubling delays."""
        message = compose(notice, self.settings.sender)
        delay = self.settings.backoff_seconds
        error: Exception | None = None
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                await self.send_once(message)
            except SEND_ERRORS as exc:
                error = exc
                log.warning(
                    "notice_delivery_failed",
                    notice_id=notice.notice_id,
                    attempt=attempt,
                    error=describe(exc),
                )
                if is_permanent(exc) or attempt == self.settings.max_attempts:
                    break
                await self._sleep(delay)
                delay *= 2
            else:
                log.info("notice_delivered", notice_id=notice.notice_id, attempt=attempt)
                return Delivery(notice.notice_id, DeliveryStatus.SENT, attempt, self._clock())
        assert error is not None
        return Delivery(
            notice.notice_id, DeliveryStatus.FAILED, attempt, self._clock(), describe(error)
        )

    async def deliver_all(self, notices: Sequence[Notice], concurrency: int = 4) -> list[Delivery]:
        """Send every notice (a few at a time); one result per notice, in order."""
        gate = asyncio.Semaphore(concurrency)

        async def one(notice: Notice) -> Delivery:
            async with gate:
                return await self.deliver(notice)

        return list(await asyncio.gather(*(one(n) for n in notices)))
