"""The session's life as a fold plus pure decisions (R7, R9–R17)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from orchestrator.conduct.decide import (
    RADA,
    Actor,
    Policy,
    decide_ballot,
    decide_call_next,
    decide_close_item,
    decide_close_session,
    decide_close_vote,
    decide_declare_break,
    decide_declare_competent,
    decide_end_break,
    decide_limit_discussion,
    decide_open_item,
    decide_open_session,
    decide_open_vote,
    decide_propose_amendment,
    decide_record_remark,
    decide_skip,
    react,
)
from orchestrator.conduct.state import Phase, snapshot
from orchestrator.kernel.errors import Conflict, Forbidden, Invalid, RuleViolation
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import format_time
from tests.unit.orchestrator.conduct_fixtures import (
    CHAIR,
    POLICY,
    ROSTER,
    SECRETARY,
    T0,
    Book,
    announced_book,
    convened_payload,
    deputy,
    live_book,
    pid,
)

EVERYONE = [r[0] for r in ROSTER[:-1]]
# R15 order of the ten voters (mayor included), Ukrainian alphabet:
ORDER = [
    "Андрієнко",
    "Бондар",
    "Гнатюк",
    "Ґалаґан",
    "Єременко",
    "Іщенко",
    "Їжак",
    "Мʼясоїд",
    "Петренко-Лисенко",
    "Ярош",
]


def voting_book(surnames: list[str] | None = None, total: int = 10) -> Book:
    book = live_book(surnames, total)
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(decide_open_vote(book.state, CHAIR, None, POLICY))
    return book


def answer(book: Book, surname: str, value: str = "for", by: Actor | None = None) -> None:
    vote = book.state.current_vote
    assert vote is not None
    book.commit(
        decide_ballot(book.state, by or deputy(surname), vote.vote_id, pid(surname), value, POLICY)
    )


def called(book: Book) -> str | None:
    vote = book.state.current_vote
    return None if vote is None else vote.called


# --- phases --------------------------------------------------------------------------------


def test_phases_from_convened_to_closed() -> None:
    """The phase follows the journal: announced → opened → competent → item → voting → closed."""
    book = announced_book()
    assert book.state.phase is Phase.ANNOUNCED
    book.commit(decide_open_session(book.state, CHAIR, T0))
    assert book.state.phase is Phase.OPENED
    book.recording()
    for s in EVERYONE:
        book.join(s)
        book.identify(s)
    book.commit(decide_declare_competent(book.state, CHAIR))
    assert book.state.phase is Phase.COMPETENT
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    assert book.state.phase is Phase.ITEM
    book.commit(decide_open_vote(book.state, CHAIR, None, POLICY))
    assert book.state.phase is Phase.VOTING
    for s in ORDER:
        answer(book, s)
    book.commit(decide_close_vote(book.state, CHAIR, "0"))
    assert book.state.phase is Phase.ITEM
    book.commit(decide_close_item(book.state, CHAIR))
    book.commit(decide_close_session(book.state, CHAIR))
    assert book.state.phase is Phase.CLOSED


def test_unannounced_session_cannot_open() -> None:
    """R3: a convened but unannounced session cannot be opened; the error names the phase."""
    book = Book()
    book.append(ev.SESSION_CONVENED, convened_payload(), "admin")
    with pytest.raises(Conflict, match="'convened'") as err:
        decide_open_session(book.state, CHAIR, T0)
    assert err.value.code == "wrong_phase"


def _announced_for(start: datetime) -> Book:
    book = Book()
    book.append(ev.SESSION_CONVENED, convened_payload(), "admin")
    book.append(
        ev.SESSION_ANNOUNCED,
        {"announced_at": "x", "starts_at": format_time(start), "broadcast_url": "u"},
    )
    return book


@pytest.mark.parametrize(
    ("minutes_to_start", "code"),
    [
        (25 * 60, "too_early_to_open"),  # a day early: the notice named another time
        (16, "too_early_to_open"),
        (15, None),  # exactly the allowed quarter of an hour before
        (0, None),
        (-60, None),  # an hour late: still the announced sitting
        (-61, "reannouncement_needed"),
    ],
)
def test_opening_keeps_to_the_announced_start(minutes_to_start: int, code: str | None) -> None:
    """R3: the chair opens no earlier than 15 minutes before the announced start and no later
    than an hour after it (then the sitting is announced again); both are site settings."""
    book = _announced_for(T0 + timedelta(minutes=minutes_to_start))
    policy = Policy(open_early=timedelta(minutes=15), open_late=timedelta(minutes=60))
    if code is None:
        assert decide_open_session(book.state, CHAIR, T0, policy)
    else:
        with pytest.raises(Conflict) as err:
            decide_open_session(book.state, CHAIR, T0, policy)
        assert err.value.code == code


def test_only_the_chair_opens() -> None:
    """Opening, items, votes and breaks are the presiding person's acts (R5)."""
    book = announced_book()
    with pytest.raises(Forbidden):
        decide_open_session(book.state, SECRETARY, T0)


def test_competence_needs_everyone_identified_and_quorum() -> None:
    """R7: competent only when all present are identified and more than half the deputies take
    part."""
    book = live_book(["Бондар", "Ґалаґан", "Єременко", "Іщенко", "Їжак"])  # 4 deputies of 10
    with pytest.raises(Conflict, match="no quorum"):
        decide_declare_competent(book.state, CHAIR)
    book.join("Ярош")
    book.identify("Ярош")
    book.join("Гнатюк")  # present, not identified
    with pytest.raises(Conflict, match="not identified"):
        decide_declare_competent(book.state, CHAIR)
    book.identify("Гнатюк")
    book.commit(decide_declare_competent(book.state, CHAIR))
    assert book.state.competent


def test_mayor_does_not_count_towards_quorum() -> None:
    """R7: five deputies of ten plus the mayor is exactly half: no quorum."""
    book = live_book(["Бондар", "Ґалаґан", "Єременко", "Іщенко", "Їжак", "Ярош"])
    q = book.state.quorum()
    assert (q.present_deputies, q.required, q.holds) == (5, 6, False)
    with pytest.raises(Conflict) as err:
        decide_open_item(book.state, CHAIR, 0, POLICY)
    assert err.value.code == "no_quorum"


def test_open_item_declares_competence_on_the_way() -> None:
    """Opening the first item when competence holds journals session_competent first."""
    book = live_book()
    new = decide_open_item(book.state, CHAIR, 0, POLICY)
    assert [e.type for e in new] == [ev.SESSION_COMPETENT, ev.ITEM_OPENED]


def test_items_in_agenda_order() -> None:
    """Items open in agenda order, one at a time."""
    book = live_book()
    with pytest.raises(Conflict, match="next is item 0"):
        decide_open_item(book.state, CHAIR, 1, POLICY)
    with pytest.raises(Invalid):
        decide_open_item(book.state, CHAIR, 5, POLICY)
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    with pytest.raises(Conflict, match="'item'"):
        decide_open_item(book.state, CHAIR, 1, POLICY)


def test_secret_ballot_item_is_refused() -> None:
    """R2: an item needing a secret ballot cannot be considered remotely."""
    book = Book()
    payload = convened_payload()
    payload["agenda"][0]["secret_ballot"] = True
    book.append(ev.SESSION_CONVENED, payload, "admin")
    book.append(ev.SESSION_ANNOUNCED, {})
    book.commit(decide_open_session(book.state, CHAIR, T0))
    book.recording()
    for s in EVERYONE:
        book.join(s)
        book.identify(s)
    with pytest.raises(RuleViolation):
        decide_open_item(book.state, CHAIR, 0, POLICY)


# --- recording (R9) ------------------------------------------------------------------------


def test_no_item_without_recording() -> None:
    """DESIGN 3: with the recording required, an idle or lost recording blocks an item."""
    book = announced_book()
    book.commit(decide_open_session(book.state, CHAIR, T0))
    for s in EVERYONE:
        book.join(s)
        book.identify(s)
    with pytest.raises(Conflict) as err:
        decide_open_item(book.state, CHAIR, 0, POLICY)
    assert err.value.code == "recording_not_receiving"
    assert decide_open_item(book.state, CHAIR, 0, Policy(recording_required=False))


def test_answer_refused_while_recording_lost_even_before_the_break() -> None:
    """R9: between the recorder's report and rada's break, no answer is accepted."""
    book = voting_book()
    book.append(ev.RECORDING_LOST, {"part": 1, "cause": "stall", "last_media_at": "x"})
    with pytest.raises(Conflict) as err:
        decide_ballot(book.state, deputy("Андрієнко"), "0", pid("Андрієнко"), "for", POLICY)
    assert err.value.code == "recording_not_receiving"


# --- roll call -------------------------------------------------------------------------------


def test_roll_call_order_and_calls() -> None:
    """R15: voters are called one at a time in Ukrainian alphabetical order, mayor included."""
    book = voting_book()
    vote = book.state.current_vote
    assert vote is not None
    assert vote.order == [pid(s) for s in ORDER]
    assert vote.mayor_taking_part
    assert vote.required == 6
    assert called(book) == pid("Андрієнко")
    answer(book, "Андрієнко")
    assert called(book) == pid("Бондар")


def test_absent_deputies_are_listed() -> None:
    """Deputies not taking part are відсутній; the mayor not taking part is not in the count."""
    present = ["Ґалаґан", "Єременко", "Іщенко", "Їжак", "Андрієнко", "Гнатюк"]
    book = voting_book(present)
    vote = book.state.current_vote
    assert vote is not None
    assert not vote.mayor_taking_part
    assert vote.required == 6
    assert set(vote.absent) == {pid("Мʼясоїд"), pid("Петренко-Лисенко"), pid("Ярош")}


@pytest.mark.parametrize(
    ("case", "make_actor", "who", "code"),
    [
        ("out of turn", lambda: deputy("Бондар"), "Бондар", "not_your_turn"),
        ("for someone else", lambda: deputy("Ярош"), "Андрієнко", "not_your_ballot"),
        ("guest", lambda: Actor(pid("Коваль"), "guest"), "Андрієнко", "not_your_ballot"),
    ],
)
def test_bad_answers_are_refused(case: str, make_actor: object, who: str, code: str) -> None:
    """Answers out of turn or for someone else are refused and append nothing."""
    book = voting_book()
    before = len(book.events)
    with pytest.raises((Conflict, Forbidden)) as err:
        decide_ballot(book.state, make_actor(), "0", pid(who), "for", POLICY)  # type: ignore[operator]
    assert err.value.code == code, case
    assert len(book.events) == before


def test_answer_twice_is_refused() -> None:
    """A voter answers once per vote."""
    book = voting_book()
    answer(book, "Андрієнко")
    with pytest.raises(Conflict) as err:
        decide_ballot(book.state, deputy("Андрієнко"), "0", pid("Андрієнко"), "against", POLICY)
    assert err.value.code == "already_answered"


@pytest.mark.parametrize("value", ["yes", "none", "", None, 1])
def test_answer_must_be_spoken_value(value: object) -> None:
    """Only за/проти/утримався are answers; 'none' is the chair's skip, not an answer."""
    book = voting_book()
    with pytest.raises(Invalid):
        decide_ballot(book.state, deputy("Андрієнко"), "0", pid("Андрієнко"), value, POLICY)


def test_secretary_enters_spoken_answer() -> None:
    """R17: the secretary records the called deputy's spoken answer, journaled as such."""
    book = voting_book()
    answer(book, "Андрієнко", "against", by=SECRETARY)
    ballot = next(e for e in book.events if e.type == ev.BALLOT_RECORDED)
    assert ballot.payload["source"] == "secretary"
    assert ballot.actor == f"participant:{pid('Ґалаґан')}"


def test_unidentified_deputy_cannot_answer() -> None:
    """R16: a called deputy who dropped out (and so lost identification) cannot answer."""
    book = voting_book()
    book.leave("Андрієнко")
    book.join("Андрієнко")
    with pytest.raises(Conflict) as err:
        decide_ballot(book.state, deputy("Андрієнко"), "0", pid("Андрієнко"), "for", POLICY)
    assert err.value.code == "not_identified"


def test_skip_records_not_voted_and_calls_next() -> None:
    """The chair skips a silent deputy: не голосував, and the next is called."""
    book = voting_book()
    book.commit(decide_skip(book.state, CHAIR, "0"))
    vote = book.state.current_vote
    assert vote is not None
    assert vote.answers[pid("Андрієнко")].value == "none"
    assert called(book) == pid("Бондар")
    with pytest.raises(Forbidden):
        decide_skip(book.state, SECRETARY, "0")


def test_close_vote_needs_everyone_called_then_counts() -> None:
    """The vote closes after the last voter; the result names every answer (R13)."""
    book = voting_book()
    with pytest.raises(Conflict, match="10 voters"):
        decide_close_vote(book.state, CHAIR, "0")
    answers = ["for"] * 6 + ["against", "abstain", "for"]
    for s, a in zip(ORDER, answers, strict=False):
        answer(book, s, a)
    book.commit(decide_skip(book.state, CHAIR, "0"))  # Ярош: не голосував
    assert called(book) is None
    book.commit(decide_close_vote(book.state, CHAIR, "0"))
    closed = book.events[-1]
    assert closed.type == ev.VOTE_CLOSED
    assert closed.payload == {
        "vote_id": "0",
        "for": 7,
        "against": 1,
        "abstain": 1,
        "not_voted": 1,
        "absent": 0,
        "required": 6,
        "adopted": True,
    }
    with pytest.raises(Conflict) as err:
        decide_ballot(book.state, deputy("Ярош"), "0", pid("Ярош"), "for", POLICY)
    assert err.value.code == "vote_closed"


def test_majority_of_those_voting_is_not_enough() -> None:
    """8 of 10 voting "for" in a council of 16 plus the mayor: 9 are required (R13)."""
    book = voting_book(total=16)
    for s, a in zip(ORDER, ["for"] * 8 + ["against"] * 2, strict=True):
        answer(book, s, a)
    book.commit(decide_close_vote(book.state, CHAIR, "0"))
    assert book.events[-1].payload["required"] == 9
    assert book.events[-1].payload["adopted"] is False


# --- amendments, discussion, remarks ---------------------------------------------------------


def test_amendments_are_voted_before_the_text() -> None:
    """R16: proposals are voted first, then the text as amended."""
    book = live_book()
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(decide_propose_amendment(book.state, SECRETARY, "Додати 5 тис. грн", pid("Ярош")))
    with pytest.raises(Conflict) as err:
        decide_open_vote(book.state, CHAIR, None, POLICY)
    assert err.value.code == "amendments_pending"
    book.commit(decide_open_vote(book.state, CHAIR, 0, POLICY))
    assert book.state.current_vote is not None
    assert book.state.current_vote.vote_id == "0.a0"
    for s in ORDER:
        answer(book, s, "against")
    book.commit(decide_close_vote(book.state, CHAIR, "0.a0"))
    assert book.events[-1].payload["adopted"] is False
    with pytest.raises(Conflict):
        decide_open_vote(book.state, CHAIR, 0, POLICY)
    book.commit(decide_open_vote(book.state, CHAIR, None, POLICY))
    assert book.state.current_vote is not None
    assert book.state.current_vote.vote_id == "0"


def test_discussion_limit_and_remarks() -> None:
    """R14, R19: the chair limits discussion; remarks are recorded on the open item."""
    book = live_book()
    with pytest.raises(Conflict):
        decide_limit_discussion(book.state, CHAIR, "item", 300)
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    for scope, seconds in (("all", 60), ("item", 5), ("item", True), ("item", "60")):
        with pytest.raises(Invalid):
            decide_limit_discussion(book.state, CHAIR, scope, seconds)
    book.commit(decide_limit_discussion(book.state, CHAIR, "speaker", 180))
    live = snapshot(book.state)["discussion"]
    assert live["scope"] == "speaker"
    assert live["seconds"] == 180
    assert live["item"] == 0
    book.commit(decide_record_remark(book.state, SECRETARY, "Прошу уточнити суму", pid("Ярош")))
    assert book.state.agenda[0].remarks == 1
    with pytest.raises(Forbidden):
        decide_record_remark(book.state, deputy("Ярош"), "x", None)
    with pytest.raises(Invalid):
        decide_record_remark(book.state, CHAIR, "   ", None)


# --- breaks --------------------------------------------------------------------------------


def test_break_pauses_roll_call_and_resumes_from_first_not_answered() -> None:
    """R10: answers during a break are refused; afterwards the roll call resumes where it was,
    answers already given stand."""
    book = voting_book()
    answer(book, "Андрієнко")
    answer(book, "Бондар", "against")
    assert called(book) == pid("Гнатюк")
    book.commit(decide_declare_break(book.state, CHAIR, "chair", "технічна перевірка"))
    assert book.state.phase is Phase.BREAK
    with pytest.raises(Conflict) as err:
        decide_ballot(book.state, deputy("Гнатюк"), "0", pid("Гнатюк"), "for", POLICY)
    assert err.value.code == "break_in_progress"
    assert "'break'" in err.value.detail
    with pytest.raises(Conflict):
        decide_open_item(book.state, CHAIR, 1, POLICY)
    book.commit(decide_end_break(book.state, CHAIR, POLICY))
    assert book.state.phase is Phase.VOTING
    assert called(book) == pid("Гнатюк")
    vote = book.state.current_vote
    assert vote is not None
    assert vote.interruptions == 1
    assert [a.value for a in vote.answers.values()] == ["for", "against"]


def test_recording_loss_breaks_and_resume_needs_recording() -> None:
    """R9/R10: lost media → rada's own break; resuming needs the recording receiving again."""
    book = voting_book()
    answer(book, "Андрієнко")
    book.recording(ev.RECORDING_LOST)
    reactions = book.commit([])
    assert [(e.type, e.payload["cause"], e.actor) for e in reactions] == [
        (ev.BREAK_DECLARED, "recording_lost", "system")
    ]
    assert react(book.state) == []  # one break, not one per event
    with pytest.raises(Conflict) as err:
        decide_end_break(book.state, CHAIR, POLICY)
    assert err.value.code == "recording_not_receiving"
    book.recording(ev.RECORDING_RESUMED)
    book.commit(decide_end_break(book.state, CHAIR, POLICY))
    assert called(book) == pid("Бондар")


def test_quorum_loss_during_vote_breaks() -> None:
    """R7: when presence drops below quorum during a vote, rada declares a break; resuming needs
    quorum back."""
    present = ["Бондар", "Ґалаґан", "Єременко", "Іщенко", "Їжак", "Андрієнко", "Гнатюк"]
    book = voting_book(present)
    book.leave("Гнатюк")
    reactions = book.commit([])
    assert [e.payload["cause"] for e in reactions] == ["quorum_lost"]
    with pytest.raises(Conflict) as err:
        decide_end_break(book.state, CHAIR, POLICY)
    assert err.value.code == "no_quorum"
    book.join("Гнатюк")
    book.identify("Гнатюк")
    book.commit(decide_end_break(book.state, CHAIR, POLICY))
    assert book.state.phase is Phase.VOTING


def test_quorum_loss_outside_vote_blocks_but_does_not_break() -> None:
    """Quorum lost between votes: no break is declared, but no vote can open."""
    present = ["Бондар", "Ґалаґан", "Єременко", "Іщенко", "Їжак", "Андрієнко", "Гнатюк"]
    book = live_book(present)
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.leave("Гнатюк")
    assert book.commit([]) == []
    with pytest.raises(Conflict) as err:
        decide_open_vote(book.state, CHAIR, None, POLICY)
    assert err.value.code == "no_quorum"


def test_break_rules() -> None:
    """Breaks need a known cause, cannot stack, and only the chair ends them."""
    book = live_book()
    with pytest.raises(Invalid):
        decide_declare_break(book.state, CHAIR, "coffee", None)
    book.commit(decide_declare_break(book.state, CHAIR, "chair", None))
    with pytest.raises(Conflict):
        decide_declare_break(book.state, CHAIR, "chair", None)
    with pytest.raises(Forbidden):
        decide_end_break(book.state, SECRETARY, POLICY)


def test_call_next_after_break_when_needed() -> None:
    """call_next calls the first unanswered voter only when nobody is called."""
    book = voting_book()
    with pytest.raises(Conflict) as err:
        decide_call_next(book.state, CHAIR, "0")
    assert err.value.code == "voter_called"


def test_close_session_refused_during_vote() -> None:
    """The session does not close over a running roll call."""
    book = voting_book()
    with pytest.raises(Conflict, match="'voting'"):
        decide_close_session(book.state, CHAIR)


# --- the fold ------------------------------------------------------------------------------


def test_refold_equals_incremental_state() -> None:
    """Folding the journal from scratch gives the same snapshot as the incremental state."""
    book = voting_book()
    answer(book, "Андрієнко")
    book.commit(decide_declare_break(book.state, CHAIR, "chair", None))
    book.commit(decide_end_break(book.state, CHAIR, POLICY))
    assert snapshot(book.refold()) == snapshot(book.state)


def test_clone_is_independent() -> None:
    """A clone can take events without changing the original."""
    book = voting_book()
    copy = book.state.clone()
    answer(book, "Андрієнко")
    assert copy.current_vote is not None
    assert copy.current_vote.answers == {}
    assert snapshot(copy) != snapshot(book.state)


def test_snapshot_has_no_contact_data_and_contract_keys() -> None:
    """The live snapshot carries the contract's keys and no e-mail or phone."""
    book = voting_book()
    snap = snapshot(book.state)
    for key in (
        "session_id",
        "title",
        "number",
        "phase",
        "agenda",
        "current_item",
        "current_vote",
        "break",
        "quorum",
        "participants",
        "recording",
        "discussion",
    ):
        assert key in snap
    assert snap["current_vote"]["called_participant_id"] == pid("Андрієнко")
    assert snap["agenda"][0]["category_uk"].startswith("Невідкладні")
    assert "@" not in str(snap)


def test_rada_never_acts_as_chair() -> None:
    """rada's own actor cannot open items."""
    book = live_book()
    with pytest.raises(Forbidden):
        decide_open_item(book.state, RADA, 0, POLICY)
