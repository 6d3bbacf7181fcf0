"""An executive committee's convening notice (E2, E3, E6) in the committee's words."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from identity.mail import AgendaLine, Notice, body_text, compose
from orchestrator.convening.bodies import EXECUTIVE_COMMITTEE

NOTICE = Notice(
    notice_id="n1",
    recipient_name="Бойко Сергій",
    recipient_email="boiko@personal.test",
    council_name="Коростишівська міська рада",
    session_title="Позачергове засідання",
    session_number="7",
    starts_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
    planned_end=datetime(2026, 11, 23, 12, 0, tzinfo=UTC),
    agenda=[AgendaLine(0, "Про виділення коштів", "невідкладні роботи")],
    broadcast_url="https://rada.example/archive/sessions/x",
    link_url="https://rada.example/join/t",
)


def test_council_notice_is_unchanged() -> None:
    """The council's notice keeps its words (R4: the official address; R11: the chair)."""
    text = body_text(NOTICE)
    assert "скликає дистанційне пленарне засідання № 7" in text
    assert "вашу офіційну електронну адресу" in text
    assert "Ідентифікацію кожного учасника проводить" in text


def test_committee_notice_speaks_of_the_committee_and_personal_contacts() -> None:
    """E3: sent to the personal address; E6: identified by a call to the personal phone."""
    notice = dataclasses.replace(NOTICE, words=EXECUTIVE_COMMITTEE.words)
    text = body_text(notice)
    assert "скликає дистанційне засідання виконавчого комітету № 7" in text
    assert "яку ви надали особисто" in text
    assert "дзвінком на особистий" in text
    assert "пленарне" not in text and "офіційну" not in text
    subject = compose(notice, "rada@example")["Subject"]
    assert subject.startswith("Скликання дистанційного засідання виконавчого комітету № 7")
