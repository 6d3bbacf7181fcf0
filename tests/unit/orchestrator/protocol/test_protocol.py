"""The protocol fold: everything the document states comes from the journal (R7–R19)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from orchestrator.conduct.quorum import required_for_quorum as quorum_required
from orchestrator.convening.categories import CATEGORY_UK, Category, category_uk
from orchestrator.kernel.errors import Conflict
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import GENESIS, seal
from orchestrator.protocol.model import (
    Offset,
    Part,
    build,
    locate,
    publication,
)
from tests.journal_builder import JournalBuilder, play_session

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def test_header_states_council_session_date_place_chair_and_secretary(played, proto):
    """The header: council, convocation, number, Kyiv date, place, chair (R5), secretary (R17)."""
    assert proto.council_name == "Коростишівська міська рада"
    assert proto.convocation == "VIII"
    assert proto.number == 83
    assert proto.place == "дистанційно"
    assert proto.date == date(2026, 11, 20)
    assert proto.chair is not None
    assert proto.chair.name == "Войтенко Іван Михайлович"
    assert proto.secretary is not None
    assert proto.secretary.participant_id == played.secretary
    assert proto.total_composition == 26


def test_kyiv_date_differs_from_utc_date_near_midnight():
    """A session opened at 23:30 UTC is dated the next day in Kyiv."""
    late = play_session(start=datetime(2026, 11, 20, 23, 30, tzinfo=UTC), items=1)
    assert build(late.events).date == date(2026, 11, 21)


def test_every_present_participant_has_identification_time_and_confirmer(played, proto):
    """R11: each present participant is identified, confirmed by the chair; absentees are not."""
    chair = played.name(played.chair)
    for x in proto.participants:
        if x.person.participant_id in played.absent:
            assert x.identified_at is None
        else:
            assert x.identified_at is not None
            assert x.confirmed_by == chair


def test_quorum_at_opening_counts_deputies_of_total_composition(proto):
    """R7: 24 of 26 present, 14 required, quorum holds."""
    q = proto.quorum_at_opening
    assert q is not None
    assert (q.present_deputies, q.total_composition, q.required, q.holds) == (24, 26, 14, True)


@pytest.mark.parametrize(("total", "required"), [(26, 14), (27, 14), (1, 1), (2, 2), (120, 61)])
def test_quorum_required_is_more_than_half(total, required):
    """R7: more than half of the total composition, exactly at half is not enough."""
    assert quorum_required(total) == required


def test_agenda_items_carry_ukrainian_category_names(proto):
    """R1: each item's category is printed in Ukrainian from the one mapping."""
    assert [i.category for i in proto.items] == [
        "urgent_budget",
        "emergency_works",
        "severe_emergency",
    ]
    assert proto.items[0].category_uk == CATEGORY_UK[Category.URGENT_BUDGET]


def test_roll_call_rows_follow_call_order_with_answers_and_sources(played, proto):
    """R15–R17: rows in call order, each answer and its source as journaled."""
    for v in proto.votes:
        expected = played.expected[v.vote_id]
        called = [r for r in v.rows if r.answer != "absent"]
        assert [r.participant_id for r in called] == list(expected["answers"])
        for r in called:
            assert r.answer == expected["answers"][r.participant_id]
            assert r.source == expected["sources"].get(r.participant_id)
        assert [r.position for r in v.rows] == list(range(1, len(v.rows) + 1))


def test_absentees_are_listed_after_the_called_as_absent(played, proto):
    """Absent deputies appear in every vote table as «відсутній»."""
    for v in proto.votes:
        absent = [r.participant_id for r in v.rows if r.answer == "absent"]
        assert absent == played.absent
        assert v.tally.absent == len(played.absent)


def test_skipped_deputy_counts_as_not_voted(played, proto):
    """A deputy skipped at the call is «не голосував» (R16)."""
    v = proto.items[0].vote
    assert v is not None
    skipped = [r for r in v.rows if r.answer == "none"]
    assert len(skipped) == 1
    assert v.tally.not_voted == 1
    assert played.expected["0"]["answers"][skipped[0].participant_id] == "none"


def test_totals_required_and_outcome_match_what_was_played(played, proto):
    """R13: totals counted from the rows, majority required and outcome as the vote closed."""
    for v in proto.votes:
        expected = played.expected[v.vote_id]
        answers = list(expected["answers"].values())
        assert v.tally.for_ == answers.count("for")
        assert v.tally.against == answers.count("against")
        assert v.tally.abstain == answers.count("abstain")
        assert v.required == expected["required"] == 14
        assert v.adopted == expected["adopted"]
        assert v.discrepancies == ()
    assert proto.items[2].vote is not None
    assert proto.items[2].vote.outcome_uk == ("Рішення не прийнято")


def test_quorum_is_stated_at_every_vote(proto):
    """Quorum at every vote counts the deputies called, not the mayor (R7)."""
    for v in proto.votes:
        assert v.quorum.present_deputies == 24
        assert v.quorum.holds


def test_amendment_has_text_author_and_its_own_vote(played, proto):
    """R16/R19: the amendment and its vote are recorded under its item."""
    item = proto.items[1]
    assert len(item.amendments) == 1
    a = item.amendments[0]
    assert "150 000" in a.text
    assert a.vote is not None
    assert a.vote.vote_id == "1.a0"
    assert a.number == 1  # the journal counts from 0, people from 1
    assert a.vote.outcome_uk.startswith("Поправку")


def test_remarks_and_discussion_limits_are_recorded(proto):
    """R19 remarks per item; R14 limit on the first item; discussion time excludes the break."""
    assert all(len(i.remarks) == 1 for i in proto.items)
    assert proto.items[0].limits[0].seconds == 180
    # item 2's discussion contains the 4-minute break, which is not discussion time
    item = proto.items[1]
    assert item.opened_at is not None
    assert item.discussion_ms is not None
    first_vote = item.amendments[0].vote
    assert first_vote is not None
    wall = int((first_vote.opened_at - item.opened_at).total_seconds() * 1000)
    brk = proto.breaks[0]
    assert brk.duration_ms is not None
    assert item.discussion_ms == wall - brk.duration_ms


def test_break_has_cause_times_and_duration(proto):
    """R10: the recording-lost break with its start, end and duration."""
    assert len(proto.breaks) == 1
    b = proto.breaks[0]
    assert b.cause == "recording_lost"
    assert b.declared_by == "Войтенко Іван Михайлович"  # from the actor "participant:<id>"
    assert b.cause_uk.startswith("втрата запису")
    assert b.ended_at is not None
    assert b.duration_ms == int((b.ended_at - b.started_at).total_seconds() * 1000)


def test_recording_parts_manifest_and_offsets(played, proto):
    """R9: both parts with their hashes, the manifest hash, offsets on the joint timeline."""
    rec = proto.recording
    assert [p.part for p in rec.parts] == [1, 2]
    assert [p.sha256 for p in rec.parts] == [f.sha256 for f in played.part_files]
    assert rec.parts[1].offset_ms == rec.parts[0].duration_ms
    assert rec.manifest_sha256 is not None
    assert len(rec.manifest_sha256) == 64
    # the break falls in the gap between the parts: it maps to the second part's start
    assert proto.breaks[0].offset == Offset(rec.parts[1].offset_ms, 2, 0)
    # a vote after the break is inside part 2
    last = proto.items[2].vote
    assert last is not None
    assert last.offset is not None
    assert last.offset.part == 2
    expected = rec.parts[1].offset_ms + int(
        (last.opened_at - rec.parts[1].started_at).total_seconds() * 1000
    )
    assert last.offset.ms == expected


def test_seal_is_last_session_event_hash(played, proto):
    """The seal is the hash of the journal's last event (DESIGN principle 1)."""
    assert proto.seal == played.events[-1].hash
    assert proto.seal_seq == len(played.events)


def test_protocol_acts_do_not_change_the_document(played, proto):
    """Finalising and signing come after the document and leave its content and seal alone."""
    b = JournalBuilder(played.session_id, played.events[-1].at, timedelta(minutes=5))
    b.events = list(played.events)
    b.add(ev.PROTOCOL_FINALISED, {"by": played.secretary, "protocol_sha256": "0" * 64})
    b.add(ev.PROTOCOL_SIGNED, {"by": played.chair, "role": "chair", "signature_sha256": None})
    again = build(b.events)
    assert again == proto
    pub = publication(b.events)
    assert pub.finalised_by == played.name(played.secretary)
    assert pub.chair_signed
    assert pub.deadline == proto.closed_at + timedelta(hours=24)  # type: ignore[operator]


P1 = Part(1, "a.mp4", T0, 60_000, 1, "x", 0)
P2 = Part(2, "b.mp4", T0 + timedelta(minutes=5), 30_000, 1, "y", 60_000)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (-10, Offset(0, 1, 0)),  # before the first part: its start
        (0, Offset(0, 1, 0)),
        (59.999, Offset(59_999, 1, 59_999)),
        (60, Offset(60_000, 2, 0)),  # the first part's end is in the gap: the next part's start
        (120, Offset(60_000, 2, 0)),  # inside the gap
        (300, Offset(60_000, 2, 0)),
        (310, Offset(70_000, 2, 10_000)),
        (400, Offset(90_000, 2, 30_000)),  # after the last part: its end
    ],
)
def test_locate_maps_wall_time_onto_the_parts(seconds, expected):
    """Times inside parts map linearly; a time in a gap maps to the next part's start."""
    assert locate([P1, P2], T0 + timedelta(seconds=seconds)) == expected


def test_locate_without_parts_is_none():
    """No recording, no offset."""
    assert locate([], T0) is None


def test_journal_without_convening_is_refused():
    """A journal that does not begin with session_convened has no protocol."""
    from uuid import uuid4

    e = seal(uuid4(), 1, T0, "system", ev.SESSION_OPENED, {"by": "x"}, GENESIS)
    with pytest.raises(Conflict) as info:
        build([e])
    assert info.value.code == "protocol_not_ready"


def test_discrepancy_between_vote_closed_and_rows_is_reported(played):
    """If vote_closed states other totals than the named rows, the protocol says so."""
    b = JournalBuilder(played.session_id, played.events[0].at, timedelta(seconds=1))
    for e in played.events:
        payload = dict(e.payload)
        if e.type == ev.VOTE_CLOSED and payload["vote_id"] == "0":
            payload["for"] = int(payload["for"]) + 1
        b.add(e.type, payload, actor=e.actor, at=e.at)
    v = build(b.events).items[0].vote
    assert v is not None
    assert any(d.startswith("for:") for d in v.discrepancies)


@pytest.mark.parametrize("value", [c.value for c in Category])
def test_every_r1_category_is_printed_in_ukrainian(value):
    """R1: the protocol prints each category by its Ukrainian name."""
    assert category_uk(value)[0].isupper()
    assert category_uk(value) != value


def test_unknown_category_is_printed_as_is():
    """An unknown category is never hidden in print."""
    assert category_uk("secret_matters") == "secret_matters"
