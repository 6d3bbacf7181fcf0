"""Convening notices (R4) delivered to a real in-process SMTP server (aiosmtpd) and read back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar

from identity.mail import AgendaLine, Attachment, DeliveryStatus, Mailer, Notice
from orchestrator.kernel.settings.identity import SmtpSettings
from tests.fixtures.smtp import Inbox, free_port

STARTS = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
DOCX = b"PK\x03\x04" + b"\x00\xff" * 300


def mailer(port: int, delays: list[float], attempts: int = 4) -> Mailer:
    settings = SmtpSettings.from_env(
        {
            "RADA_SMTP_HOST": "127.0.0.1",
            "RADA_SMTP_PORT": str(port),
            "RADA_SMTP_SECURITY": "none",
            "RADA_SMTP_SENDER": "rada@korostyshiv.example.gov.ua",
            "RADA_SMTP_MAX_ATTEMPTS": str(attempts),
            "RADA_SMTP_BACKOFF_SECONDS": "0.5",
        }
    )

    async def record(delay: float) -> None:
        delays.append(delay)

    return Mailer(settings, sleep=record)


def notice(n: int = 1, email_to: str = "deputy1@korostyshiv.example.gov.ua") -> Notice:
    return Notice(
        notice_id=f"00000000-0000-0000-0000-{n:012d}",
        recipient_name="Коваленко Олена",
        recipient_email=email_to,
        council_name="Коростишівська міська рада",
        session_title="Позачергова сесія",
        session_number="42",
        starts_at=STARTS,
        planned_end=STARTS + timedelta(hours=2),
        agenda=[
            AgendaLine(
                0, "Про внесення змін до бюджету громади", "термінові зміни до місцевого бюджету"
            ),
            AgendaLine(
                1,
                "Про ліквідацію наслідків підтоплення",
                "ліквідація наслідків надзвичайної ситуації",
            ),
        ],
        broadcast_url="https://rada.example/live/42",
        link_url=f"https://rada.example/join/{'A' * 42}{n}",
        attachments=[
            Attachment("проєкт_рішення_1.pdf", "application/pdf", PDF),
            Attachment(
                "пояснювальна.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                DOCX,
            ),
        ],
    )


async def test_notice_arrives_with_link_agenda_ics_and_attachments(
    inbox: tuple[Inbox, int],
) -> None:
    """The message carries the personal link, the agenda, the drafts and a parsable .ics."""
    handler, port = inbox
    delivery = await mailer(port, []).deliver(notice())
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.attempts == 1
    [(rcpts, message)] = handler.messages
    assert rcpts == ["deputy1@korostyshiv.example.gov.ua"]
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert notice().link_url in text
    assert "Про внесення змін до бюджету громади" in text
    assert "термінові зміни до місцевого бюджету" in text
    assert "https://rada.example/live/42" in text
    assert "24 листопада 2026 р. о 10:00" in text  # 08:00 UTC is 10:00 in Kyiv in November
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert files["проєкт_рішення_1.pdf"].get_content() == PDF
    assert files["пояснювальна.docx"].get_content() == DOCX
    ics = files["invite.ics"]
    assert ics.get_content_type() == "text/calendar"
    raw = ics.get_payload(decode=True)
    assert isinstance(raw, bytes)
    cal = icalendar.Calendar.from_ical(raw)
    [event] = cal.walk("VEVENT")
    assert str(cal["method"]) == "REQUEST"
    assert event.decoded("dtstart") == STARTS
    assert event.decoded("dtend") == STARTS + timedelta(hours=2)
    assert str(event["url"]) == notice().link_url
    assert str(event["attendee"]) == "mailto:deputy1@korostyshiv.example.gov.ua"


async def test_transient_failures_are_retried_with_backoff(inbox: tuple[Inbox, int]) -> None:
    """4xx replies are retried after doubling delays until the message goes through."""
    handler, port = inbox
    handler.transient_failures = 2
    delays: list[float] = []
    delivery = await mailer(port, delays).deliver(notice())
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.attempts == 3
    assert delays == [0.5, 1.0]
    assert len(handler.messages) == 1


async def test_transient_failures_give_up_after_max_attempts(inbox: tuple[Inbox, int]) -> None:
    """A relay that keeps deferring ends in a failed delivery with its reply, after N attempts."""
    handler, port = inbox
    handler.transient_failures = 10
    delays: list[float] = []
    delivery = await mailer(port, delays, attempts=3).deliver(notice())
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert delivery.error is not None
    assert delivery.error.startswith("451")
    assert delays == [0.5, 1.0]


async def test_permanent_refusal_is_not_retried(inbox: tuple[Inbox, int]) -> None:
    """A 5xx refusal of the mailbox fails at once, with the reply kept for the secretary."""
    handler, port = inbox
    handler.refuse = "550 5.1.1 No such mailbox"
    delays: list[float] = []
    delivery = await mailer(port, delays).deliver(notice())
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.error is not None
    assert delivery.error.startswith("550")
    assert "@" not in delivery.error
    assert delays == []
    assert handler.rcpt_calls == 1


async def test_unreachable_relay_fails_after_retries() -> None:
    """No server listening: connection errors are transient, retried, then reported."""
    delays: list[float] = []
    delivery = await mailer(free_port(), delays, attempts=2).deliver(notice())
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == 2
    assert delays == [0.5]


async def test_each_recipient_gets_only_their_own_link(inbox: tuple[Inbox, int]) -> None:
    """deliver_all sends one message per participant, each with that participant's link only."""
    handler, port = inbox
    notices = [notice(n, f"deputy{n}@korostyshiv.example.gov.ua") for n in range(1, 6)]
    results = await mailer(port, []).deliver_all(notices)
    assert [r.status for r in results] == [DeliveryStatus.SENT] * 5
    assert [r.notice_id for r in results] == [n.notice_id for n in notices]
    by_rcpt = {rcpts[0]: m for rcpts, m in handler.messages}
    for n in notices:
        body = by_rcpt[n.recipient_email].get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert n.link_url in text
        assert all(o.link_url not in text for o in notices if o is not n)
