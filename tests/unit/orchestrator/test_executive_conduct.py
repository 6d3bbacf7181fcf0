"""An executive-committee meeting on the conduct engine: quorum and majority of the
committee's total composition (E4), voting all at once with answers by phone (E6, E7)."""

from __future__ import annotations

import pytest

from orchestrator.conduct.decide import (
    decide_ballot,
    decide_call_next,
    decide_close_vote,
    decide_open_item,
    decide_open_vote,
    decide_propose_amendment,
    decide_skip,
)
from orchestrator.conduct.state import Phase
from orchestrator.kernel.errors import Conflict, Forbidden
from orchestrator.kernel.journal import events as ev
from tests.unit.orchestrator.conduct_fixtures import POLICY, Book
from tests.unit.orchestrator.executive_fixtures import (
    CHAIR,
    GENERAL_DEPARTMENT,
    PRESENT,
    meeting,
    member,
    pid,
)


def test_quorum_counts_every_member_not_the_clerk() -> None:
    """E4: every member counts (the secretary and deputy mayors too); the general department
    does not."""
    book = meeting(PRESENT)
    q = book.state.quorum()
    assert (q.present_deputies, q.total_composition, q.required, q.holds) == (10, 11, 6, True)
    five = meeting(["Гнатюк", "Дорошенко", "Ґалаґан", "Єременко", "Іщенко", "Савчук"])
    q = five.state.quorum()
    assert (q.present_deputies, q.holds) == (5, False)


def _open_vote(book: Book) -> str:
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    new = decide_open_vote(book.state, CHAIR, None, POLICY)
    assert [e.type for e in new] == [ev.VOTE_OPENED]  # E7: nobody is called
    book.commit(new)
    vote = book.state.current_vote
    assert vote is not None and vote.simultaneous
    assert pid("Савчук") not in vote.order  # the general department does not vote
    assert vote.absent == [pid("Бондар")]
    assert vote.required == 6  # E4: more than half of 11, the mayor absent or not
    return vote.vote_id


def test_everyone_answers_at_once_and_by_phone() -> None:
    """E7: members answer in any order on their own page; the general department enters an
    answer given by phone (source journaled) and closes the vote; 5 for of 11 fails (E4)."""
    book = meeting(PRESENT)
    vote_id = _open_vote(book)
    answers = [
        ("Ярош", "for"),
        ("Гнатюк", "for"),
        ("Єременко", "for"),
        ("Іщенко", "against"),
        ("Дорошенко", "abstain"),
        ("Мельник", "against"),
        ("Литвин", "against"),
        ("Їжак", "for"),
    ]
    for surname, answer in answers:
        book.commit(
            decide_ballot(book.state, member(surname), vote_id, pid(surname), answer, POLICY)
        )
    book.commit(
        decide_ballot(book.state, GENERAL_DEPARTMENT, vote_id, pid("Коваленко"), "for", POLICY)
    )
    sources = [e.payload["source"] for e in book.events if e.type == ev.BALLOT_RECORDED]
    assert sources == ["member"] * 8 + ["phone"]
    with pytest.raises(Forbidden):  # a member answers only for themself (R16)
        decide_ballot(book.state, member("Їжак"), vote_id, pid("Ґалаґан"), "for", POLICY)
    with pytest.raises(Conflict):  # one answer each
        decide_ballot(book.state, member("Ярош"), vote_id, pid("Ярош"), "against", POLICY)
    with pytest.raises(Conflict):  # no roll call to skip or call on
        decide_skip(book.state, CHAIR, vote_id)
    with pytest.raises(Conflict):
        decide_call_next(book.state, CHAIR, vote_id)
    with pytest.raises(Forbidden):  # a member does not close the vote
        decide_close_vote(book.state, member("Ярош"), vote_id)
    # Ґалаґан has not answered: the general department closes anyway (E7)
    book.commit(decide_close_vote(book.state, GENERAL_DEPARTMENT, vote_id))
    closed = book.events[-1].payload
    assert closed["for"] == 5 and closed["against"] == 3 and closed["abstain"] == 1
    assert (closed["not_voted"], closed["absent"], closed["adopted"]) == (1, 1, False)
    assert book.state.phase is Phase.ITEM
    assert book.refold().votes[vote_id].tally() == book.state.votes[vote_id].tally()


def test_revised_text_is_put_to_the_vote() -> None:
    """E4: a proposal changes the draft; the revised text is voted, then the text as revised;
    six for of eleven adopts."""
    book = meeting(PRESENT)
    book.commit(decide_open_item(book.state, CHAIR, 0, POLICY))
    book.commit(
        decide_propose_amendment(
            book.state, GENERAL_DEPARTMENT, "Збільшити суму до 300 тис. грн", pid("Литвин")
        )
    )
    book.commit(decide_open_vote(book.state, CHAIR, 0, POLICY))
    vote_id = "0.a0"
    for surname in ["Гнатюк", "Дорошенко", "Ґалаґан", "Єременко", "Іщенко", "Їжак"]:
        book.commit(
            decide_ballot(book.state, member(surname), vote_id, pid(surname), "for", POLICY)
        )
    book.commit(decide_close_vote(book.state, CHAIR, vote_id))
    assert book.events[-1].payload["adopted"] is True
    book.commit(decide_open_vote(book.state, CHAIR, None, POLICY))
    assert book.state.current_vote is not None and book.state.current_vote.vote_id == "0"


def test_council_session_still_calls_the_roll() -> None:
    """The council's rule set is untouched: a vote opens with the first deputy called (R15)."""
    from tests.unit.orchestrator.conduct_fixtures import CHAIR as COUNCIL_CHAIR
    from tests.unit.orchestrator.conduct_fixtures import live_book

    book = live_book()
    book.commit(decide_open_item(book.state, COUNCIL_CHAIR, 0, POLICY))
    new = decide_open_vote(book.state, COUNCIL_CHAIR, None, POLICY)
    assert [e.type for e in new] == [ev.VOTE_OPENED, ev.DEPUTY_CALLED]
    assert "mode" not in new[0].payload
    assert book.state.body == "council"
