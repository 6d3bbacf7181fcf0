"""The journal vocabulary: typed payloads read and write back exactly what rada journals."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, get_args, get_type_hints
from uuid import UUID

import pytest

from orchestrator.conduct import state
from orchestrator.conduct.decide import (
    decide_ballot,
    decide_close_item,
    decide_close_session,
    decide_close_vote,
    decide_declare_break,
    decide_declare_competent,
    decide_end_break,
    decide_limit_discussion,
    decide_open_item,
    decide_open_vote,
    decide_propose_amendment,
    decide_record_remark,
    decide_skip,
)
from orchestrator.convening.categories import Category
from orchestrator.convening.rules import AgendaItem, Participant, Person
from orchestrator.convening.store import Council
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event, canonical, chain_hash
from orchestrator.protocol import model, verify
from recording import chapters
from recording.jibri.status import StatusReport, journal_payload, source_state
from recording.media.parts import PartRecord
from tests.journal_builder import play_session
from tests.unit.orchestrator.conduct_fixtures import (
    CHAIR,
    POLICY,
    SECRETARY,
    Book,
    deputy,
    live_book,
    pid,
)


def conduct_journal() -> list[Event]:
    """A whole sitting decided by ``conduct.decide`` on the conduct fixtures' book: every act
    conduct journals, with rada's own breaks and the fixtures' presence and recording acts."""
    book = live_book()
    book.commit(decide_declare_competent(book.state, CHAIR))
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(decide_limit_discussion(book.state, CHAIR, "speaker", 120))
    book.commit(decide_record_remark(book.state, SECRETARY, "Уточнити суму", pid("Іщенко")))
    book.commit(decide_record_remark(book.state, CHAIR, "Без автора", None))
    book.commit(decide_propose_amendment(book.state, SECRETARY, "Нова редакція", pid("Ярош")))
    for amendment in (0, None):
        book.commit(decide_open_vote(book.state, CHAIR, amendment, POLICY))
        if amendment is None:
            book.commit(decide_declare_break(book.state, CHAIR, "chair", "перевірка зв'язку"))
            book.commit(decide_end_break(book.state, CHAIR, POLICY))
            book.recording(ev.RECORDING_LOST)
            book.commit([])  # rada's own break (R10)
            book.recording(ev.RECORDING_RESUMED)
            book.commit(decide_end_break(book.state, CHAIR, POLICY))
        _answer_all(book)
        vote = book.state.current_vote
        assert vote is not None
        book.commit(decide_close_vote(book.state, CHAIR, vote.vote_id))
    book.commit(decide_close_item(book.state, CHAIR))
    book.leave("Ярош")
    book.commit(decide_close_session(book.state, CHAIR))
    return book.events


def _answer_all(book: Book) -> None:
    """Everyone called answers, the secretary enters every third answer, one is skipped."""
    position = 0
    while (vote := book.state.current_vote) is not None and vote.called is not None:
        who = vote.called
        if position == 4:
            book.commit(decide_skip(book.state, CHAIR, vote.vote_id))
        else:
            actor = SECRETARY if position % 3 == 2 else deputy_of(book, who)
            value = ("for", "against", "abstain")[position % 3]
            book.commit(decide_ballot(book.state, actor, vote.vote_id, who, value, POLICY))
        position += 1


def deputy_of(book: Book, participant_id: str) -> Any:
    return deputy(book.state.participants[participant_id].surname)


JOURNALS: dict[str, Callable[[], list[Event]]] = {
    "played session": lambda: play_session().events,
    "small council, no absentees": lambda: play_session(seats=7, items=6, absentees=0).events,
    "recorder files": lambda: play_session(recorder_files={"index.m3u8": b"#EXTM3U\n"}).events,
    "conduct fixtures": conduct_journal,
}


@pytest.mark.parametrize("journal", JOURNALS.values(), ids=JOURNALS.keys())
def test_every_journaled_payload_reads_back_unchanged(journal: Callable[[], list[Event]]) -> None:
    """``from_payload(p).to_payload() == p`` for every event the test journals hold, so the
    event's hash recomputed from the typed payload is the journaled hash."""
    events = journal()
    for e in events:
        payload = ev.parse(e).to_payload()
        assert payload == e.payload, e.type
        body = canonical(e.session_id, e.seq, e.at, e.actor, e.type, payload)
        assert chain_hash(e.prev_hash, body) == e.hash
    assert {e.type for e in events} <= set(ev.KINDS)


def test_the_sitting_journal_holds_every_conduct_kind() -> None:
    """The conduct scenario above journals every kind conduct decides or the fixtures add."""
    assert {e.type for e in conduct_journal()} >= {
        ev.SESSION_CONVENED,
        ev.SESSION_ANNOUNCED,
        ev.PRESENCE_JOINED,
        ev.PRESENCE_LEFT,
        ev.PARTICIPANT_IDENTIFIED,
        ev.SESSION_OPENED,
        ev.SESSION_COMPETENT,
        ev.ITEM_OPENED,
        ev.DISCUSSION_LIMITED,
        ev.REMARK_RECORDED,
        ev.AMENDMENT_PROPOSED,
        ev.VOTE_OPENED,
        ev.DEPUTY_CALLED,
        ev.BALLOT_RECORDED,
        ev.DEPUTY_SKIPPED,
        ev.VOTE_CLOSED,
        ev.ITEM_CLOSED,
        ev.BREAK_DECLARED,
        ev.BREAK_ENDED,
        ev.SESSION_CLOSED,
        ev.RECORDING_STARTED,
        ev.RECORDING_LOST,
        ev.RECORDING_RESUMED,
    }


def _emitted_shapes() -> list[tuple[type[ev.Payload], dict[str, Any]]]:
    member = Person("Бойко", "Олена", "Петрівна", "deputy", "b@rada.test", "+380", UUID(int=5))
    guest = Person("Коваль", "Гість", "", "guest", "g@rada.test", "+380", None, "ОСББ")
    part = PartRecord(3, datetime(2026, 11, 20, 8, tzinfo=UTC))
    report = StatusReport("jibri-1", "BUSY", "UNHEALTHY")
    return [
        (ev.Council, Council(UUID(int=1), "Коростишівська міська рада", 8, 26).to_json()),
        (ev.AgendaItem, AgendaItem("Про бюджет", Category.URGENT_BUDGET, "Проєкт").to_payload()),
        (ev.Participant, Participant(UUID(int=2), member, "secretary").public()),
        (ev.Participant, Participant(UUID(int=3), guest, "guest").public()),
        (ev.PartClosed, part.close(duration_ms=61_000, size=9, sha256="ab" * 32).closed_payload()),
        (
            ev.PartClosed,
            part.close(duration_ms=1, size=1, sha256="", recovered=True).closed_payload(),
        ),
        (ev.JibriStatus, journal_payload(report, source_state(report))),
    ]


@pytest.mark.parametrize(("kind", "payload"), _emitted_shapes())
def test_emitters_shapes_read_back_unchanged(
    kind: type[ev.Payload], payload: dict[str, Any]
) -> None:
    """Convening's council, agenda and participant objects and the recorder's and Jibri's
    payloads, as their emitters build them, read back unchanged."""
    assert kind.from_payload(payload).to_payload() == payload


def test_every_event_type_has_its_class() -> None:
    """Each string constant of the vocabulary is the ``TYPE`` of exactly one registered class."""
    constants = {
        value
        for name in ev.__all__
        if name.isupper() and isinstance(value := getattr(ev, name), str)
    }
    assert constants == set(ev.KINDS)
    assert all(type_ == kind.TYPE for type_, kind in ev.KINDS.items())


def test_missing_optional_keys_take_defaults_and_stay_missing() -> None:
    """A payload without optional keys reads with the folds' old defaults and writes back
    without them (the hash of an older event is unchanged)."""
    convened = ev.SessionConvened.from_payload({"title": "Сесія"})
    assert (convened.council, convened.number, convened.agenda) == (None, None, ())
    assert convened.to_payload() == {"title": "Сесія"}
    brk = ev.BreakDeclared.from_payload({})
    assert (brk.cause, brk.reason, brk.by) == ("chair", "", None)
    assert brk.to_payload() == {}


def test_null_is_kept_where_the_vocabulary_has_null() -> None:
    """``member_id: null`` and ``amendment: null`` read as None and are written back as null."""
    participant = {"participant_id": "p", "member_id": None, "kind": "guest", "role": "guest"}
    assert ev.Participant.from_payload(participant).to_payload() == participant
    opened = {"vote_id": "0", "item": 0, "amendment": None, "order": ["a"], "required": 1}
    assert ev.VoteOpened.from_payload(opened).to_payload() == opened


def test_unknown_keys_are_kept() -> None:
    """Keys a class does not know (additive fields) are kept and written back as they were."""
    payload = {"status": "ON", "jibri": "j", "failure_reason": None, "details": {"x": 1}}
    status = ev.JibriStatus.from_payload(payload)
    assert status.extra == {"details": {"x": 1}}
    assert status.to_payload() == payload


def test_a_required_key_missing_is_an_error() -> None:
    """A payload without a key its kind requires raises (a KeyError, as ``p["item"]`` did)."""
    with pytest.raises(KeyError, match="item"):
        ev.ItemOpened.from_payload({})
    with pytest.raises(ev.MalformedPayload):
        ev.typed(ev.PART_CLOSED, {"file": "part-0001.mp4"})


def test_typed_refuses_an_unknown_type() -> None:
    """``typed`` names an event type the vocabulary lacks."""
    with pytest.raises(ev.UnknownEvent, match="no_such_event"):
        ev.typed("no_such_event", {})


def test_constructed_payload_writes_every_key() -> None:
    """A payload built in code writes every key, tuples as lists and ``for_`` as ``for``."""
    closed = ev.VoteClosed("0", 5, 1, 0, 1, 2, 6, adopted=False)
    assert closed.to_payload() == {
        "vote_id": "0",
        "for": 5,
        "against": 1,
        "abstain": 0,
        "not_voted": 1,
        "absent": 2,
        "required": 6,
        "adopted": False,
    }
    assert ev.VoteOpened("0", 0, order=("a", "b")).to_payload()["order"] == ["a", "b"]


FOLDS: dict[str, Mapping[str, Callable[..., Any]]] = {
    "conduct state": state.HANDLERS,
    "protocol": model._FOLD,
    "publication": model._ACTS,
    "chapter names": chapters._LEARN,
    "chapter titles": chapters.TITLES,
    "rada verify": verify._JOURNALED,
}


@pytest.mark.parametrize("table", FOLDS.values(), ids=FOLDS.keys())
def test_each_fold_handler_takes_the_class_of_its_type(
    table: Mapping[str, Callable[..., Any]],
) -> None:
    """Every handler in a fold's table is annotated with the payload class its type is read as."""
    for type_, handler in table.items():
        hint = get_type_hints(handler)["p"]
        assert ev.KINDS[type_] in (get_args(hint) or (hint,)), (type_, handler.__name__)
