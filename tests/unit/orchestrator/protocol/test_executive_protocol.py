"""The executive committee's protocol (E5): the presiding stand-in with the reason (E1), every
remark and proposal, each member's answer and how it was given (E6, E7), a failed question
(E4), a signature line for every member who voted, the body's own words; its open data names
the body."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from orchestrator.conduct.decide import (
    decide_ballot,
    decide_close_item,
    decide_close_session,
    decide_close_vote,
    decide_open_item,
    decide_open_vote,
    decide_propose_amendment,
    decide_record_remark,
)
from orchestrator.protocol import opendata
from orchestrator.protocol.model import Protocol, build
from orchestrator.protocol.render import signature_block, to_dict, to_html, to_pdf
from tests.unit.orchestrator.conduct_fixtures import POLICY
from tests.unit.orchestrator.executive_fixtures import (
    CHAIR,
    GENERAL_DEPARTMENT,
    PRESENT,
    meeting,
    member,
    pid,
)

SIX = ["Гнатюк", "Дорошенко", "Ґалаґан", "Єременко", "Іщенко", "Їжак"]


@pytest.fixture(scope="module")
def proto() -> Protocol:
    book = meeting(PRESENT)
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(
        decide_record_remark(book.state, CHAIR, "Уточнити отримувача коштів", pid("Мельник"))
    )
    book.commit(
        decide_propose_amendment(
            book.state, GENERAL_DEPARTMENT, "Суму збільшити до 300 тис. грн", pid("Литвин")
        )
    )
    for vote_id, amendment in (("0.a0", 0), ("0", None)):
        book.commit(decide_open_vote(book.state, CHAIR, amendment, POLICY))
        for s in SIX:
            book.commit(decide_ballot(book.state, member(s), vote_id, pid(s), "for", POLICY))
        book.commit(decide_close_vote(book.state, GENERAL_DEPARTMENT, vote_id))
    book.commit(decide_close_item(book.state, CHAIR))
    book.commit(decide_open_item(book.state, CHAIR, 1, POLICY))
    book.commit(decide_open_vote(book.state, CHAIR, None, POLICY))
    for s in SIX[:4]:
        book.commit(decide_ballot(book.state, member(s), "1", pid(s), "for", POLICY))
    book.commit(decide_ballot(book.state, GENERAL_DEPARTMENT, "1", pid("Їжак"), "for", POLICY))
    book.commit(decide_ballot(book.state, member("Ярош"), "1", pid("Ярош"), "against", POLICY))
    book.commit(decide_close_vote(book.state, GENERAL_DEPARTMENT, "1"))
    book.commit(decide_close_item(book.state, CHAIR))
    book.commit(decide_close_session(book.state, CHAIR))
    return build(book.events)


def test_the_failed_question_and_the_committee_majority(proto: Protocol) -> None:
    """5 for of 11 fails (E4); 6 for of 11 adopts; the mayor adds nothing to the base."""
    failed = proto.items[1].vote
    assert failed is not None and failed.adopted is False
    assert (failed.tally.for_, failed.required) == (5, 6)
    assert proto.items[0].vote is not None and proto.items[0].vote.adopted is True
    assert proto.total_composition == 11 and proto.body == "executive_committee"


def test_html_speaks_of_the_committee(proto: Protocol) -> None:
    """The document names the body, the stand-in and why, the sources, and the order's points."""
    html = to_html(proto)
    assert "ВИКОНАВЧИЙ КОМІТЕТ ТЕСТОВОЇ МІСЬКОЇ РАДИ" in html
    assert "дистанційного засідання виконавчого комітету" in html
    assert "перший заступник міського голови; головує замість міського голови: " in html
    assert "міський голова у відпустці" in html
    assert "телефоном, вніс загальний відділ" in html
    assert "(зворотним дзвінком на особистий телефон)" in html  # E6: identified by call-back
    assert "за особистими номерами телефонів" in html
    assert "особисто, на своїй сторінці" in html
    assert "Уточнити отримувача коштів" in html and "Суму збільшити до 300 тис. грн" in html
    assert "пропозиція 1: Суму збільшити" in html and "Пропозиція 1 до питання 1" in html
    assert "Рішення не прийнято" in html
    assert "більшість від загального складу виконавчого комітету (11)" in html
    assert "членів виконкому" in html
    assert "п. 2.2 Порядку проведення дистанційного засідання виконавчого комітету" in html
    for council_word in (
        "депутат", "Депутат", "сесії", "алфавітному порядку", "Регламенту", "оправк",
    ):  # fmt: skip
        assert council_word not in html, council_word


def test_a_signature_line_for_every_member_who_voted(proto: Protocol) -> None:
    """E5: signed by the presiding stand-in; agreed by each member who voted, signed or not."""
    main, members = signature_block(proto, None)
    assert main[0].title == "Перший заступник міського голови"
    assert main[1].title == "Загальний відділ"
    voted = {*SIX, "Ярош"} - {"Гнатюк"}  # the chair signs above
    assert sorted(line.name.split()[-1] for line in members) == sorted(s.upper() for s in voted)
    assert {line.title for line in members} == {"Член виконкому"}
    assert {line.done for line in members} == {"не підписано"}
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(to_pdf(proto))).pages)
    assert "Погоджено членами виконкому" in " ".join(text.split())
    assert text.count("Член виконкому") == len(voted)


def test_open_data_marks_the_body(proto: Protocol) -> None:
    """Open data names the body in authorityName and in its own field."""
    rows = opendata.motions(proto)
    assert {r["body"] for r in rows} == {"executive_committee"}
    assert {r["authorityName"] for r in rows} == {"Виконавчий комітет Тестової міської ради"}


def test_json_names_the_body_the_stand_in_and_the_sources(proto: Protocol) -> None:
    """The published JSON (what `rada demo` prints) carries the body, the stand-in and why,
    each answer's source and a signature line for every member who voted (E1, E5, E7)."""
    d = to_dict(proto)
    assert d["body"] == {
        "kind": "executive_committee",
        "name": "Виконавчий комітет Тестової міської ради",
        "total_composition": 11,
    }
    assert d["chair"]["reason"] == "міський голова у відпустці"
    assert d["chair"]["kind_uk"] == "перший заступник міського голови"
    rows = d["agenda"][1]["vote"]["roll_call"]
    assert {r["source_uk"] for r in rows if r["source"] == "phone"} == {
        "телефоном, вніс загальний відділ"
    }
    assert len(d["signature_lines"]) == 2 + len({*SIX, "Ярош"} - {"Гнатюк"})
