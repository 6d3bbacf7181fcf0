"""The plenary session's state, folded from its journal (DESIGN principle 1).

Pure: no I/O. ``fold(events)`` rebuilds the state; ``apply(state, event)`` advances it by one
event in place; ``state.clone()`` gives an independent copy cheaply (closed votes and past
breaks are immutable and shared), so a use-case can try its events on a copy and keep the
committed state untouched if the transaction fails. ``snapshot(state)`` is the live-state
contract: no e-mail or phone ever enters it (R12).

``HANDLERS`` maps each event type to the handler that takes in its typed payload
(``events.parse``); the protocol, the chapters and ``rada verify`` fold the same way.

Phases: convened → announced → opened → competent → item ↔ voting ↔ break → closed (or
cancelled). ``phase`` is derived: a break overrides an item or a vote in progress, which stays
paused underneath it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from orchestrator.conduct.quorum import Quorum, assess, counts_for_quorum
from orchestrator.conduct.rollcall import Voter, voter_key
from orchestrator.conduct.tally import Answer, Tally, count
from orchestrator.convening import attendance
from orchestrator.convening.bodies import COUNCIL, RuleSet, VotingMode, rule_set
from orchestrator.convening.categories import category_uk
from orchestrator.convening.roster import DEPUTY_KINDS
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event, format_time


class Phase(StrEnum):
    CONVENED = "convened"
    ANNOUNCED = "announced"
    OPENED = "opened"
    COMPETENT = "competent"
    ITEM = "item"
    VOTING = "voting"
    BREAK = "break"
    CLOSED = "closed"
    CANCELLED = "cancelled"


VOTER_KINDS = DEPUTY_KINDS | {"mayor"}
"""Who is called in a council's roll call when taking part: deputies, the secretary, the mayor
(R13, R15); a body's own voters are ``SessionState.rules.voter_kinds``."""


@dataclass(slots=True)
class ParticipantState:
    participant_id: str
    surname: str
    given_name: str
    patronymic: str
    kind: str  # mayor|deputy|secretary|guest (standing in the council)
    role: str  # chair|secretary|deputy|guest (permission in this session)
    occupants: set[str] = field(default_factory=set)
    identified: bool = False
    removed: bool = False

    @property
    def present(self) -> bool:
        return bool(self.occupants)

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)

    @property
    def taking_part(self) -> bool:
        """Present in the call and identified by the chair (R7, R11)."""
        return self.present and self.identified and not self.removed

    def voter(self) -> Voter:
        return Voter(self.participant_id, self.surname, self.given_name, self.patronymic)


@dataclass(frozen=True, slots=True)
class Amendment:
    index: int
    text: str
    by_participant_id: str | None


def vote_id_of(item: int, amendment: int | None) -> str:
    """``"<item>"`` for the main vote, ``"<item>.a<k>"`` for amendment k (events.py)."""
    return str(item) if amendment is None else f"{item}.a{amendment}"


@dataclass(slots=True)
class ItemState:
    index: int
    title: str
    category: str
    secret_ballot: bool
    status: str = "pending"  # pending|open|voting|closed
    amendments: list[Amendment] = field(default_factory=list)
    remarks: int = 0

    def clone(self) -> ItemState:
        return replace(self, amendments=list(self.amendments))


@dataclass(slots=True)
class VoteState:
    vote_id: str
    item: int
    amendment: int | None
    order: list[str]
    absent: list[str]
    total_composition: int
    mayor_taking_part: bool
    required: int
    opened_at: str
    mode: VotingMode = VotingMode.ROLL_CALL
    rules: RuleSet = COUNCIL
    answers: dict[str, Answer] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    called: str | None = None
    called_position: int = -1
    interruptions: int = 0
    closed: bool = False
    adopted: bool | None = None
    result: Tally | None = None  # the final count, kept once the vote is closed

    def clone(self) -> VoteState:
        if self.closed:
            return self  # never changes again: share it
        return replace(self, answers=dict(self.answers), sources=dict(self.sources))

    @property
    def simultaneous(self) -> bool:
        """E7: everyone answers at once; nobody is called."""
        return self.mode is VotingMode.SIMULTANEOUS

    @property
    def done(self) -> bool:
        """Everyone in the roll call answered or was skipped."""
        return len(self.answers) == len(self.order)

    def next_position(self) -> int | None:
        """The first voter in call order with no answer yet (R15; resumes after a break)."""
        for position, pid in enumerate(self.order):
            if pid not in self.answers:
                return position
        return None

    def tally(self) -> Tally:
        if self.result is not None:
            return self.result
        return count(
            self.order,
            self.answers,
            self.absent,
            self.total_composition,
            self.mayor_taking_part,
            self.rules,
        )


@dataclass(frozen=True, slots=True)
class BreakState:
    cause: str
    reason: str
    since: str
    by: str
    ended_at: str | None = None
    ended_by: str | None = None
    vote_id: str | None = None  # the roll call it interrupted, if any


@dataclass(slots=True)
class RecordingState:
    status: str = "idle"  # idle|receiving|lost
    since: str | None = None
    parts: int = 0


@dataclass(frozen=True, slots=True)
class Discussion:
    item: int
    scope: str  # item|speaker
    seconds: int
    started_at: str


@dataclass(slots=True)
class SessionState:
    session_id: str
    title: str = ""
    number: int = 0
    council: dict[str, Any] = field(default_factory=dict)
    body: str = "council"  # which of the council's bodies meets (convening.bodies)
    total_composition: int = 1
    starts_at: str | None = None
    chair_participant_id: str | None = None
    secretary_participant_id: str | None = None
    participants: dict[str, ParticipantState] = field(default_factory=dict)
    agenda: list[ItemState] = field(default_factory=list)
    announced: bool = False
    opened: bool = False
    competent: bool = False
    closed: bool = False
    cancelled: bool = False
    current_item: int | None = None
    current_vote: VoteState | None = None
    votes: dict[str, VoteState] = field(default_factory=dict)
    break_: BreakState | None = None
    breaks: list[BreakState] = field(default_factory=list)
    recording: RecordingState = field(default_factory=RecordingState)
    discussion: Discussion | None = None
    last_seq: int = 0
    last_hash: str = ""
    last_at: datetime | None = None  # the last event's time (the next is never earlier)
    # memo: participant ids in collation order (computed lazily; reset when the list changes)
    people_order: tuple[str, ...] | None = None

    def clone(self) -> SessionState:
        """An independent copy; immutable parts are shared."""
        current = self.current_vote.clone() if self.current_vote is not None else None
        votes = {k: v.clone() for k, v in self.votes.items()}
        if current is not None:
            votes[current.vote_id] = current
        return replace(
            self,
            council=dict(self.council),
            # shared until changed: a handler that changes a participant replaces it first
            # (:func:`_own`), so a clone copies one dict, not every participant
            participants=dict(self.participants),
            agenda=[i.clone() for i in self.agenda],
            current_vote=current,
            votes=votes,
            breaks=list(self.breaks),
            recording=replace(self.recording),
        )

    @property
    def rules(self) -> RuleSet:
        """The body's rule set: quorum, majority, voting mode (R7, R13, R15; E4, E7)."""
        return rule_set(self.body)

    @property
    def phase(self) -> Phase:
        if self.cancelled:
            return Phase.CANCELLED
        if self.closed:
            return Phase.CLOSED
        if self.break_ is not None:
            return Phase.BREAK
        if self.current_vote is not None:
            return Phase.VOTING
        if self.current_item is not None:
            return Phase.ITEM
        if self.competent:
            return Phase.COMPETENT
        if self.opened:
            return Phase.OPENED
        if self.announced:
            return Phase.ANNOUNCED
        return Phase.CONVENED

    def quorum(self) -> Quorum:
        rules = self.rules
        present = sum(
            1
            for p in self.participants.values()
            if not p.removed and counts_for_quorum(p.kind, p.present, p.identified, rules)
        )
        # A roster larger than the legal composition is refused at convening; never crash here.
        return assess(self.total_composition, min(present, self.total_composition), rules)

    def people(self) -> list[ParticipantState]:
        """Active participants in Ukrainian alphabetical order (R15 collation)."""
        if self.people_order is None:
            ordered = sorted(self.participants.values(), key=lambda p: voter_key(p.voter()))
            self.people_order = tuple(p.participant_id for p in ordered)
        return [p for pid in self.people_order if not (p := self.participants[pid]).removed]

    def active_participants(self) -> list[ParticipantState]:
        return [p for p in self.participants.values() if not p.removed]

    def unidentified_present(self) -> list[ParticipantState]:
        """Present participants the chair has not identified yet (R7: all must be)."""
        return [p for p in self.active_participants() if p.present and not p.identified]


# --- the fold --------------------------------------------------------------------------


def _participant(data: ev.Participant) -> ParticipantState:
    role = data.role
    return ParticipantState(
        participant_id=data.participant_id,
        surname=data.surname,
        given_name=data.given_name,
        patronymic=data.patronymic,
        kind=data.kind if data.kind is not None else role if role is not None else "guest",
        role="deputy" if role is None else role,
    )


def _convened(s: SessionState, e: Event, p: ev.SessionConvened) -> None:
    council = p.council or ev.Council()
    s.council = {} if p.council is None else council.to_payload()
    s.total_composition = 1 if council.total_composition is None else council.total_composition
    if p.body is not None:
        s.body = rule_set(p.body.kind).body.value
        if p.body.total_composition is not None:
            s.total_composition = p.body.total_composition
    s.title = p.title
    s.number = p.number or 0
    s.starts_at = p.starts_at
    s.chair_participant_id = p.chair_participant_id
    s.secretary_participant_id = p.secretary_participant_id
    s.agenda = [
        ItemState(
            index=i, title=item.title, category=item.category, secret_ballot=item.secret_ballot
        )
        for i, item in enumerate(p.agenda)
    ]
    for data in p.participants:
        part = _participant(data)
        s.participants[part.participant_id] = part
    s.people_order = None


def _listed(s: SessionState, participant_id: str | None) -> ParticipantState | None:
    return None if participant_id is None else s.participants.get(participant_id)


def _own(s: SessionState, participant_id: str | None) -> ParticipantState | None:
    """The participant, as this state's own copy to change: a clone shares the others'."""
    part = _listed(s, participant_id)
    if part is None:
        return None
    part = s.participants[part.participant_id] = replace(part, occupants=set(part.occupants))
    return part


def _joined(s: SessionState, e: Event, p: ev.PresenceJoined) -> None:
    part = _own(s, p.participant_id)
    if part is not None:
        attendance.join(part, p.occupant_id)


def _left(s: SessionState, e: Event, p: ev.PresenceLeft) -> None:
    part = _own(s, p.participant_id)
    if part is not None:
        attendance.leave(part, p.occupant_id)  # R11: the last occupant out lapses identification


def _identified(s: SessionState, e: Event, p: ev.ParticipantIdentified) -> None:
    part = _own(s, p.participant_id)
    if part is not None:
        attendance.identify(part)


def _added(s: SessionState, e: Event, p: ev.ParticipantAdded) -> None:
    part = _participant(p.participant)
    s.participants[part.participant_id] = part
    s.people_order = None


def _removed(s: SessionState, e: Event, p: ev.ParticipantRemoved) -> None:
    part = _own(s, p.participant_id)
    if part is not None:
        attendance.remove(part)


def _announced(s: SessionState, e: Event, p: ev.SessionAnnounced) -> None:
    s.announced = True
    if p.starts_at is not None:
        s.starts_at = p.starts_at


def _opened(s: SessionState, e: Event, p: ev.SessionOpened) -> None:
    s.opened = True


def _competent(s: SessionState, e: Event, p: ev.SessionCompetent) -> None:
    s.competent = True


def _item_opened(s: SessionState, e: Event, p: ev.ItemOpened) -> None:
    s.current_item = p.item
    s.agenda[p.item].status = "open"
    s.discussion = None


def _discussion(s: SessionState, e: Event, p: ev.DiscussionLimited) -> None:
    s.discussion = Discussion(p.item, p.scope, p.seconds, format_time(e.at))


def _remark(s: SessionState, e: Event, p: ev.RemarkRecorded) -> None:
    s.agenda[p.item].remarks += 1


def _amendment(s: SessionState, e: Event, p: ev.AmendmentProposed) -> None:
    s.agenda[p.item].amendments.append(Amendment(p.amendment, p.text, p.by_participant_id))


def _vote_opened(s: SessionState, e: Event, p: ev.VoteOpened) -> None:
    vote = VoteState(
        vote_id=p.vote_id,
        item=p.item,
        amendment=p.amendment,
        order=list(p.order),
        absent=list(p.absent),
        total_composition=p.total_composition,
        mayor_taking_part=p.mayor_taking_part,
        required=p.required,
        opened_at=format_time(e.at),
        mode=VotingMode(p.mode) if p.mode else VotingMode.ROLL_CALL,
        rules=s.rules,
    )
    s.current_vote = vote
    s.votes[vote.vote_id] = vote
    s.agenda[vote.item].status = "voting"
    s.discussion = None


def _called(s: SessionState, e: Event, p: ev.DeputyCalled) -> None:
    vote = s.current_vote
    if vote is not None and vote.vote_id == p.vote_id:
        vote.called = p.participant_id
        vote.called_position = p.position


def _answered(vote: VoteState, pid: str, answer: Answer, source: str) -> None:
    vote.answers[pid] = answer
    vote.sources[pid] = source
    if vote.called == pid:
        vote.called = None


def _ballot(s: SessionState, e: Event, p: ev.BallotRecorded) -> None:
    vote = s.votes.get(p.vote_id)
    if vote is not None:
        _answered(vote, p.participant_id, Answer(p.answer), p.source)


def _skipped(s: SessionState, e: Event, p: ev.DeputySkipped) -> None:
    vote = s.votes.get(p.vote_id)
    if vote is not None:
        _answered(vote, p.participant_id, Answer.NONE, "chair")


def _vote_closed(s: SessionState, e: Event, p: ev.VoteClosed) -> None:
    vote = s.votes.get(p.vote_id)
    if vote is None:
        return
    vote.closed = True
    vote.called = None
    vote.adopted = p.adopted
    vote.result = vote.tally()
    if s.current_vote is vote:
        s.current_vote = None
    s.agenda[vote.item].status = "open"


def _item_closed(s: SessionState, e: Event, p: ev.ItemClosed) -> None:
    s.agenda[p.item].status = "closed"
    if s.current_item == p.item:
        s.current_item = None
    s.discussion = None


def _break_declared(s: SessionState, e: Event, p: ev.BreakDeclared) -> None:
    vote = s.current_vote
    if vote is not None:
        vote.interruptions += 1
        vote.called = None  # the call is void; the roll call resumes from the first not answered
    s.break_ = BreakState(
        cause=p.cause,
        reason=p.reason,
        since=format_time(e.at),
        by=e.actor if p.by is None else p.by,
        vote_id=None if vote is None else vote.vote_id,
    )


def _end_break(s: SessionState, e: Event, by: str | None) -> None:
    if s.break_ is not None:
        ended_by = e.actor if by is None else by
        s.breaks.append(replace(s.break_, ended_at=format_time(e.at), ended_by=ended_by))
    s.break_ = None


def _break_ended(s: SessionState, e: Event, p: ev.BreakEnded) -> None:
    _end_break(s, e, p.by)


def _closed(s: SessionState, e: Event, p: ev.SessionClosed) -> None:
    s.closed = True
    if s.break_ is not None:
        _end_break(s, e, p.by)


def _cancelled(s: SessionState, e: Event, p: ev.SessionCancelled) -> None:
    s.cancelled = True


def _recording_on(s: SessionState, e: Event, p: ev.RecordingStarted | ev.RecordingResumed) -> None:
    s.recording.status = "receiving"
    s.recording.since = format_time(e.at)


def _recording_lost(s: SessionState, e: Event, p: ev.RecordingLost) -> None:
    s.recording.status = "lost"
    s.recording.since = format_time(e.at)


def _part_closed(s: SessionState, e: Event, p: ev.PartClosed) -> None:
    s.recording.parts += 1


Handler = Callable[[SessionState, Event, Any], None]
"""Advances the state by one event, given the event and its typed payload."""

HANDLERS: Mapping[str, Handler] = {
    ev.SESSION_CONVENED: _convened,
    ev.SESSION_ANNOUNCED: _announced,
    ev.PARTICIPANT_ADDED: _added,
    ev.PARTICIPANT_REMOVED: _removed,
    ev.SESSION_CANCELLED: _cancelled,
    ev.PRESENCE_JOINED: _joined,
    ev.PRESENCE_LEFT: _left,
    ev.PARTICIPANT_IDENTIFIED: _identified,
    ev.SESSION_OPENED: _opened,
    ev.SESSION_COMPETENT: _competent,
    ev.ITEM_OPENED: _item_opened,
    ev.DISCUSSION_LIMITED: _discussion,
    ev.REMARK_RECORDED: _remark,
    ev.AMENDMENT_PROPOSED: _amendment,
    ev.VOTE_OPENED: _vote_opened,
    ev.DEPUTY_CALLED: _called,
    ev.BALLOT_RECORDED: _ballot,
    ev.DEPUTY_SKIPPED: _skipped,
    ev.VOTE_CLOSED: _vote_closed,
    ev.ITEM_CLOSED: _item_closed,
    ev.BREAK_DECLARED: _break_declared,
    ev.BREAK_ENDED: _break_ended,
    ev.SESSION_CLOSED: _closed,
    ev.RECORDING_STARTED: _recording_on,
    ev.RECORDING_RESUMED: _recording_on,
    ev.RECORDING_LOST: _recording_lost,
    ev.PART_CLOSED: _part_closed,
}
"""The conduct fold: event type -> handler (types not listed only move the sequence)."""


def apply(state: SessionState, event: Event) -> SessionState:
    """Advance ``state`` by one event, in place (unknown types only move the sequence)."""
    if event.seq != state.last_seq + 1:
        raise ValueError(f"event {event.seq} does not follow {state.last_seq}")
    handler = HANDLERS.get(event.type)
    if handler is not None:
        handler(state, event, ev.parse(event))
    state.last_seq = event.seq
    state.last_hash = event.hash
    state.last_at = event.at
    return state


def fold(session_id: UUID | str, events: Iterable[Event]) -> SessionState:
    """The state after ``events`` (from seq 1, in order)."""
    state = SessionState(session_id=str(session_id))
    for event in events:
        apply(state, event)
    return state


# --- the live snapshot (live-state contract) ---------------------------------------------


def _vote_public(vote: VoteState) -> dict[str, Any]:
    return {
        "vote_id": vote.vote_id,
        "item": vote.item,
        "amendment": vote.amendment,
        "mode": vote.mode.value,
        "order": list(vote.order),
        "called_participant_id": vote.called,
        "position": vote.called_position,
        "answers": {pid: a.value for pid, a in vote.answers.items()},
        "tally": vote.tally().as_dict(),
        "required": vote.required,
    }


def snapshot(
    state: SessionState, previous: tuple[SessionState, dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The public live state of the session (no contact data).

    ``previous``: an earlier committed state of the same session and the snapshot made of it.
    Its parts whose source did not change are reused as they are (the same objects: a
    participant not replaced since, a closed vote, an unchanged agenda item), so that a roll
    call answer rebuilds only what it changed and :func:`orchestrator.conduct.live.diff` skips
    the rest by identity (issue 14). Never mutate a snapshot: parts are shared."""
    before, seen = previous if previous is not None else (None, None)
    b = state.break_
    d = state.discussion
    return {
        "session_id": state.session_id,
        "body": state.body,
        "title": state.title,
        "number": state.number,
        "phase": state.phase.value,
        "agenda": _agenda_public(state, before, seen),
        "current_item": state.current_item,
        "current_vote": None if state.current_vote is None else _vote_public(state.current_vote),
        "break": None if b is None else {"cause": b.cause, "reason": b.reason, "since": b.since},
        "quorum": state.quorum().to_public(),
        "participants": _people_public(state, before, seen),
        "recording": {
            "status": state.recording.status,
            "since": state.recording.since,
            "parts": state.recording.parts,
        },
        "discussion": None
        if d is None
        else {"item": d.item, "scope": d.scope, "seconds": d.seconds, "started_at": d.started_at},
        "results": _results_public(state, before, seen),
    }


def _reused(fresh: list[Any], old: list[Any] | None) -> list[Any]:
    """``old`` itself when ``fresh`` holds the same objects in the same order, else ``fresh``."""
    if old is not None and len(old) == len(fresh) and all(map(operator.is_, fresh, old)):
        return old
    return fresh


def _agenda_public(
    state: SessionState, before: SessionState | None, seen: dict[str, Any] | None
) -> list[dict[str, Any]]:
    old = None if seen is None or before is None else seen["agenda"]
    if old is not None and len(old) != len(state.agenda):
        old = None
    out = []
    for n, i in enumerate(state.agenda):
        if old is not None:
            was = before.agenda[n]  # type: ignore[union-attr]
            if (
                was.status == i.status
                and was.title == i.title
                and was.category == i.category
                and was.amendments == i.amendments
            ):
                out.append(old[n])
                continue
        out.append(
            {
                "index": i.index,
                "title": i.title,
                "category": i.category,
                "category_uk": category_uk(i.category),
                "status": i.status,
                "amendments": [{"amendment": a.index, "text": a.text} for a in i.amendments],
            }
        )
    return _reused(out, old)


def _people_public(
    state: SessionState, before: SessionState | None, seen: dict[str, Any] | None
) -> list[dict[str, Any]]:
    people = state.people()
    old: dict[str, dict[str, Any]] = {}
    if seen is not None and before is not None:
        old = {p["participant_id"]: p for p in seen["participants"]}
    out = []
    for p in people:
        entry = old.get(p.participant_id)
        if entry is None or before.participants.get(p.participant_id) is not p:  # type: ignore[union-attr]
            entry = {
                "participant_id": p.participant_id,
                "name": p.name,
                "role": p.role,
                "kind": p.kind,
                "present": p.present,
                "identified": p.identified,
            }
        out.append(entry)
    return _reused(out, None if seen is None else seen["participants"])


def _results_public(
    state: SessionState, before: SessionState | None, seen: dict[str, Any] | None
) -> list[dict[str, Any]]:
    old: dict[str, dict[str, Any]] = {}
    if seen is not None and before is not None:
        old = {r["vote_id"]: r for r in seen["results"]}
    out = []
    for v in state.votes.values():
        if not v.closed:
            continue
        entry = old.get(v.vote_id)
        if entry is None or before.votes.get(v.vote_id) is not v:  # type: ignore[union-attr]
            entry = {
                "vote_id": v.vote_id,
                "item": v.item,
                "amendment": v.amendment,
                "adopted": v.adopted,
                **v.tally().as_dict(),
                "required": v.required,
                # the named result (R13, R15): each voter's answer in call order, and who was
                # absent, so every page can read it out after the vote
                "answers": {pid: v.answers[pid].value for pid in v.order if pid in v.answers},
                "absent_participant_ids": list(v.absent),
            }
        out.append(entry)
    return _reused(out, None if seen is None else seen["results"])
