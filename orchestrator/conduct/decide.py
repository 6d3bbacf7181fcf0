"""Conducting the session: pure decisions over the folded state (R7–R17).

Each ``decide_*`` function takes the current :class:`SessionState`, who acts, what they intend and
``now``, and returns the events to append (:class:`NewEvent`), or raises a typed domain error:
:class:`Conflict` when the act does not fit the current state (its message names the phase),
:class:`Invalid` for malformed input, :class:`Forbidden` when the actor may not do it,
:class:`RuleViolation` when a regulation forbids it. Nothing here touches I/O.

:func:`react` returns what rada itself must append after any event: a technical break when the
recording is lost (R9, R10, DESIGN principle 3) or when quorum is lost during a vote (R7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from orchestrator.conduct.rollcall import roll_call_order
from orchestrator.conduct.state import (
    Phase,
    SessionState,
    VoteState,
    vote_id_of,
)
from orchestrator.conduct.tally import SPOKEN_ANSWERS, required_majority
from orchestrator.convening.bodies import VotingMode
from orchestrator.kernel.errors import Conflict, Forbidden, Invalid, RuleViolation
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import format_time, parse_time

SYSTEM = "system"

CHAIR_BREAK_CAUSES = frozenset({"chair", "recording_lost", "storage"})
DISCUSSION_SCOPES = frozenset({"item", "speaker"})
MIN_DISCUSSION_SECONDS = 10
MAX_DISCUSSION_SECONDS = 4 * 3600
MAX_TEXT = 4000

LIVE_PHASES = frozenset({Phase.OPENED, Phase.COMPETENT, Phase.ITEM, Phase.VOTING})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, in pure terms (the HTTP layer maps its Principal onto this)."""

    participant_id: str | None
    role: str | None  # chair|secretary|deputy|guest, None for rada itself

    @property
    def journal_actor(self) -> str:
        if self.participant_id is None:
            return SYSTEM
        return f"participant:{self.participant_id}"


RADA = Actor(None, None)


@dataclass(frozen=True, slots=True)
class Policy:
    """Site choices. ``recording_required``: an item, a vote, an answer or a resumption needs the
    recorder to be *receiving* (R9); when False (no recorder configured) only a *lost* recording
    blocks them."""

    recording_required: bool = True
    # R3: the notice named the start; the sitting opens no earlier than ``open_early`` before
    # it, and more than ``open_late`` after it only once announced again
    open_early: timedelta = timedelta(minutes=15)
    open_late: timedelta = timedelta(minutes=60)


@dataclass(frozen=True, slots=True)
class NewEvent:
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    actor: str = SYSTEM


# --- guards ----------------------------------------------------------------------------


def _phase_conflict(state: SessionState, act: str, *, code: str = "wrong_phase") -> Conflict:
    phase = state.phase
    detail = f"cannot {act}: the session is in phase '{phase.value}'"
    if phase is Phase.BREAK and state.break_ is not None:
        detail += f" (break since {state.break_.since}, cause {state.break_.cause})"
        code = "break_in_progress"
    return Conflict(detail, code=code, phase=phase.value)


def _require_phase(state: SessionState, act: str, *allowed: Phase) -> None:
    if state.phase not in allowed:
        raise _phase_conflict(state, act)


def _require_chair(actor: Actor, act: str) -> None:
    if actor.role != "chair":
        raise Forbidden(f"only the presiding person may {act}", code="not_chair")


def _require_media(state: SessionState, policy: Policy, act: str) -> None:
    """DESIGN principle 3: no vote without a recording (R9)."""
    status = state.recording.status
    if status == "lost" or (policy.recording_required and status != "receiving"):
        raise Conflict(
            f"cannot {act}: the recording is {status} (R9)",
            code="recording_not_receiving",
            phase=state.phase.value,
            recording=status,
        )


def _require_quorum(state: SessionState, act: str) -> None:
    q = state.quorum()
    if not q.holds:
        raise Conflict(
            f"cannot {act}: no quorum, {q.present_deputies} identified deputies present of "
            f"{q.required} required (R7)",
            code="no_quorum",
            phase=state.phase.value,
            quorum=q.to_public(),
        )


def _text(value: object, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{name} must be non-empty text", field=name)
    if len(value) > MAX_TEXT:
        raise Invalid(f"{name} is longer than {MAX_TEXT} characters", field=name)
    return value.strip()


def _known_participant(state: SessionState, pid: object, name: str) -> str:
    if not isinstance(pid, str) or pid not in state.participants:
        raise Invalid(f"{name} is not a participant of this session", field=name)
    return pid


def competence_problems(state: SessionState) -> list[str]:
    """Why the session is not competent yet (R7); empty when it is."""
    problems = [
        f"{p.name} is present but not identified (R11)" for p in state.unidentified_present()
    ]
    q = state.quorum()
    if not q.holds:
        problems.append(
            f"no quorum: {q.present_deputies} identified deputies of {q.required} required (R7)"
        )
    return problems


def _competent_event(state: SessionState, actor: Actor) -> NewEvent:
    problems = competence_problems(state)
    if problems:
        raise Conflict(
            "the session is not competent: " + "; ".join(problems),
            code="not_competent",
            phase=state.phase.value,
        )
    q = state.quorum()
    return NewEvent(
        ev.SESSION_COMPETENT,
        {
            "present_deputies": q.present_deputies,
            "total_composition": q.total_composition,
            "quorum": q.required,
        },
        actor.journal_actor,
    )


# --- the session -----------------------------------------------------------------------


def _planned_start(state: SessionState) -> datetime | None:
    """The start the notice named (``session_announced``), if the journal has a readable one."""
    try:
        return parse_time(state.starts_at) if state.starts_at else None
    except ValueError:
        return None


def decide_open_session(
    state: SessionState, actor: Actor, now: datetime, policy: Policy | None = None
) -> list[NewEvent]:
    """The chair opens an announced session (R3: it must have been announced), at the time the
    notice named: not more than ``policy.open_early`` before the start, and not more than
    ``policy.open_late`` after it (then the sitting must be announced again)."""
    _require_chair(actor, "open the session")
    _require_phase(state, "open the session", Phase.ANNOUNCED)
    policy = policy or Policy()
    starts_at = _planned_start(state)
    if starts_at is not None:
        if now < starts_at - policy.open_early:
            raise Conflict(
                f"cannot open the session before {format_time(starts_at - policy.open_early)}: "
                f"it was announced for {format_time(starts_at)} (R3)",
                code="too_early_to_open",
                starts_at=format_time(starts_at),
                opens_from=format_time(starts_at - policy.open_early),
            )
        if now > starts_at + policy.open_late:
            raise Conflict(
                f"the session was announced for {format_time(starts_at)}, more than "
                f"{int(policy.open_late.total_seconds() // 60)} minutes ago: announce it again "
                "with a new start (R3)",
                code="reannouncement_needed",
                starts_at=format_time(starts_at),
            )
    return [NewEvent(ev.SESSION_OPENED, {"by": actor.journal_actor}, actor.journal_actor)]


def decide_declare_competent(state: SessionState, actor: Actor) -> list[NewEvent]:
    """R7: competent once everyone present is identified and quorum holds."""
    _require_chair(actor, "declare the session competent")
    _require_phase(state, "declare the session competent", Phase.OPENED)
    return [_competent_event(state, actor)]


def decide_close_session(state: SessionState, actor: Actor) -> list[NewEvent]:
    """The chair closes the session; a vote in progress must be closed first (a vote paused by a
    break may be left unfinished: the protocol shows it interrupted)."""
    _require_chair(actor, "close the session")
    _require_phase(
        state, "close the session", Phase.OPENED, Phase.COMPETENT, Phase.ITEM, Phase.BREAK
    )
    return [NewEvent(ev.SESSION_CLOSED, {"by": actor.journal_actor}, actor.journal_actor)]


# --- items, discussion, remarks, amendments ----------------------------------------------


def decide_open_item(
    state: SessionState, actor: Actor, item: object, policy: Policy
) -> list[NewEvent]:
    """Open the next agenda item, in order (R16: each item separately)."""
    _require_chair(actor, "open an item")
    _require_phase(state, "open an item", Phase.OPENED, Phase.COMPETENT)
    if not isinstance(item, int) or isinstance(item, bool) or not 0 <= item < len(state.agenda):
        raise Invalid("item must be an agenda index", field="item")
    _require_media(state, policy, "open an item")
    _require_quorum(state, "open an item")
    out: list[NewEvent] = []
    if state.phase is Phase.OPENED:
        out.append(_competent_event(state, actor))
    target = state.agenda[item]
    if target.status != "pending":
        raise Conflict(f"item {item} is already {target.status}", code="item_not_pending")
    first_pending = next(i.index for i in state.agenda if i.status == "pending")
    if item != first_pending:
        raise Conflict(
            f"items are considered in agenda order: the next is item {first_pending}",
            code="item_out_of_order",
        )
    if target.secret_ballot:
        raise RuleViolation(
            "R2: a question that needs a secret ballot cannot be considered remotely",
            code="secret_ballot",
        )
    out.append(NewEvent(ev.ITEM_OPENED, {"item": item}, actor.journal_actor))
    return out


def decide_close_item(state: SessionState, actor: Actor) -> list[NewEvent]:
    """Close the open item after its main vote."""
    _require_chair(actor, "close the item")
    _require_phase(state, "close the item", Phase.ITEM)
    assert state.current_item is not None
    main = state.votes.get(vote_id_of(state.current_item, None))
    if main is None or not main.closed:
        raise Conflict(
            f"item {state.current_item} has not been voted yet (R13, R16)", code="item_not_voted"
        )
    return [NewEvent(ev.ITEM_CLOSED, {"item": state.current_item}, actor.journal_actor)]


def decide_limit_discussion(
    state: SessionState, actor: Actor, scope: object, seconds: object
) -> list[NewEvent]:
    """R14: the chair limits discussion time, per item or per speaker."""
    _require_chair(actor, "limit discussion")
    _require_phase(state, "limit discussion", Phase.ITEM)
    if scope not in DISCUSSION_SCOPES:
        raise Invalid("scope must be 'item' or 'speaker'", field="scope")
    if (
        not isinstance(seconds, int)
        or isinstance(seconds, bool)
        or not MIN_DISCUSSION_SECONDS <= seconds <= MAX_DISCUSSION_SECONDS
    ):
        raise Invalid(
            f"seconds must be an integer from {MIN_DISCUSSION_SECONDS} to {MAX_DISCUSSION_SECONDS}",
            field="seconds",
        )
    payload = {"item": state.current_item, "scope": scope, "seconds": seconds}
    return [NewEvent(ev.DISCUSSION_LIMITED, payload, actor.journal_actor)]


def _proposal_author(state: SessionState, actor: Actor, by: object) -> str | None:
    if actor.role not in ("chair", "secretary"):
        raise Forbidden(
            "only the presiding person or the secretary records remarks and proposals (R17, R19)",
            code="not_chair_or_secretary",
        )
    return None if by is None else _known_participant(state, by, "by_participant_id")


def decide_record_remark(
    state: SessionState, actor: Actor, text: object, by: object
) -> list[NewEvent]:
    """R19: the protocol records every remark on the open item."""
    author = _proposal_author(state, actor, by)
    _require_phase(state, "record a remark", Phase.ITEM)
    payload = {"item": state.current_item, "by_participant_id": author, "text": _text(text, "text")}
    return [NewEvent(ev.REMARK_RECORDED, payload, actor.journal_actor)]


def decide_propose_amendment(
    state: SessionState, actor: Actor, text: object, by: object
) -> list[NewEvent]:
    """R16 (001 §2.2): a proposal to change the text; it is voted before the text itself."""
    author = _proposal_author(state, actor, by)
    _require_phase(state, "propose an amendment", Phase.ITEM)
    assert state.current_item is not None
    item = state.agenda[state.current_item]
    if vote_id_of(item.index, None) in state.votes:
        raise Conflict("the item's main text has been voted already", code="item_voted")
    payload = {
        "item": item.index,
        "amendment": len(item.amendments),
        "text": _text(text, "text"),
        "by_participant_id": author,
    }
    return [NewEvent(ev.AMENDMENT_PROPOSED, payload, actor.journal_actor)]


# --- the roll call ---------------------------------------------------------------------


def _call(vote_id: str, order: list[str], position: int, actor: str) -> NewEvent:
    payload = {"vote_id": vote_id, "participant_id": order[position], "position": position}
    return NewEvent(ev.DEPUTY_CALLED, payload, actor)


def decide_open_vote(
    state: SessionState, actor: Actor, amendment: object, policy: Policy
) -> list[NewEvent]:
    """Open the roll call on the item's text or an amendment, and call the first voter (R15)."""
    _require_chair(actor, "open a vote")
    _require_phase(state, "open a vote", Phase.ITEM)
    assert state.current_item is not None
    item = state.agenda[state.current_item]
    if amendment is not None and (
        not isinstance(amendment, int)
        or isinstance(amendment, bool)
        or not 0 <= amendment < len(item.amendments)
    ):
        raise Invalid("amendment must be the index of a proposed amendment", field="amendment")
    _require_media(state, policy, "open a vote")
    _require_quorum(state, "open a vote")
    vote_id = vote_id_of(item.index, amendment)
    if vote_id in state.votes:
        raise Conflict(f"vote {vote_id} has been held already", code="vote_already_held")
    if amendment is None:
        pending = [
            a.index for a in item.amendments if vote_id_of(item.index, a.index) not in state.votes
        ]
        if pending:
            raise Conflict(
                f"amendments {pending} must be voted before the text (R16)",
                code="amendments_pending",
            )
    rules = state.rules
    people = state.active_participants()
    voters = [p for p in people if rules.votes(p.kind) and p.taking_part]
    order = roll_call_order(p.voter() for p in voters)
    absent = roll_call_order(
        p.voter() for p in people if p.kind in rules.quorum_kinds and not p.taking_part
    )
    mayor = any(p.kind == "mayor" for p in voters)
    payload: dict[str, Any] = {
        "vote_id": vote_id,
        "item": item.index,
        "amendment": amendment,
        "order": order,
        "absent": absent,
        "total_composition": state.total_composition,
        "mayor_taking_part": mayor,
        "required": required_majority(state.total_composition, mayor, rules),
    }
    opened = NewEvent(ev.VOTE_OPENED, payload, actor.journal_actor)
    if rules.voting_mode is VotingMode.SIMULTANEOUS:
        # E7: the question is put to everyone at once; ``order`` is who may answer
        payload["mode"] = VotingMode.SIMULTANEOUS.value
        return [opened]
    return [opened, _call(vote_id, order, 0, actor.journal_actor)]


def _current_vote(state: SessionState, vote_id: object, act: str) -> VoteState:
    vote = state.votes.get(vote_id) if isinstance(vote_id, str) else None
    if vote is None:
        raise Invalid(f"no vote {vote_id!r} in this session", field="vote_id", code="no_such_vote")
    if vote.closed:
        raise Conflict(f"cannot {act}: vote {vote.vote_id} is closed", code="vote_closed")
    _require_phase(state, act, Phase.VOTING)
    return vote


def _require_roll_call(vote: VoteState, act: str) -> None:
    if vote.simultaneous:
        raise Conflict(
            f"cannot {act}: this vote has no roll call, everyone answers at once (E7)",
            code="no_roll_call",
        )


def _after_answer(vote: VoteState, answered: str, actor: str) -> list[NewEvent]:
    """Call the next voter after ``answered`` has answered or been skipped."""
    for position, pid in enumerate(vote.order):
        if pid not in vote.answers and pid != answered:
            return [_call(vote.vote_id, vote.order, position, actor)]
    return []


def decide_ballot(
    state: SessionState,
    actor: Actor,
    vote_id: object,
    participant_id: object,
    answer: object,
    policy: Policy,
) -> list[NewEvent]:
    """R16: the called voter answers personally, or the secretary enters the spoken answer (R17)."""
    vote = _current_vote(state, vote_id, "record an answer")
    if answer not in {a.value for a in SPOKEN_ANSWERS}:
        raise Invalid("answer must be 'for', 'against' or 'abstain'", field="answer")
    pid = _known_participant(state, participant_id, "participant_id")
    if actor.participant_id == pid:
        source = "member" if vote.simultaneous else "deputy"
    elif actor.role == "secretary":
        # R17: the secretary enters the spoken answer; E6, E7: the general department enters
        # the answer a member gave by phone
        source = "phone" if vote.simultaneous else "secretary"
    else:
        raise Forbidden("a deputy answers only for themself (R16)", code="not_your_ballot")
    if pid not in vote.order:
        raise Conflict(
            "this participant is not in the roll call of this vote", code="not_in_roll_call"
        )
    if pid in vote.answers:
        raise Conflict("this voter has already answered in this vote", code="already_answered")
    if not vote.simultaneous and vote.called != pid:
        called = state.participants[vote.called].name if vote.called else "nobody"
        raise Conflict(
            f"not this voter's turn: called is {called} (R15)",
            code="not_your_turn",
            called_participant_id=vote.called,
        )
    if not state.participants[pid].taking_part:
        raise Conflict(
            "the voter is not identified in the call (R16: votes personally after identification)",
            code="not_identified",
        )
    _require_media(state, policy, "record an answer")
    _require_quorum(state, "record an answer")
    payload = {"vote_id": vote.vote_id, "participant_id": pid, "answer": answer, "source": source}
    recorded = NewEvent(ev.BALLOT_RECORDED, payload, actor.journal_actor)
    if vote.simultaneous:
        return [recorded]  # E7: nobody is called next
    return [recorded, *_after_answer(vote, pid, actor.journal_actor)]


def decide_skip(state: SessionState, actor: Actor, vote_id: object) -> list[NewEvent]:
    """The chair moves on from a called voter who does not answer: не голосував."""
    _require_chair(actor, "skip a voter")
    vote = _current_vote(state, vote_id, "skip a voter")
    _require_roll_call(vote, "skip a voter")
    if vote.called is None:
        raise Conflict("nobody is called now", code="nobody_called")
    payload = {"vote_id": vote.vote_id, "participant_id": vote.called}
    return [
        NewEvent(ev.DEPUTY_SKIPPED, payload, actor.journal_actor),
        *_after_answer(vote, vote.called, actor.journal_actor),
    ]


def decide_call_next(state: SessionState, actor: Actor, vote_id: object) -> list[NewEvent]:
    """Call the first voter not yet answered when nobody is called (e.g. after a break)."""
    _require_chair(actor, "call the next voter")
    vote = _current_vote(state, vote_id, "call the next voter")
    _require_roll_call(vote, "call the next voter")
    if vote.called is not None:
        raise Conflict(
            f"{state.participants[vote.called].name} is called and has not answered",
            code="voter_called",
        )
    position = vote.next_position()
    if position is None:
        raise Conflict("everyone has answered: close the vote", code="roll_call_complete")
    return [_call(vote.vote_id, vote.order, position, actor.journal_actor)]


def decide_close_vote(state: SessionState, actor: Actor, vote_id: object) -> list[NewEvent]:
    """Close the roll call once everyone called has answered or been skipped; count (R13).

    A simultaneous vote (E7) is closed by the general department (the session's ``secretary``
    role) or the chair whenever they establish the result: a member who gave no answer by then
    did not vote (не голосував); adopted when "for" is more than half of the total composition
    (E4)."""
    vote = _current_vote(state, vote_id, "close the vote")
    if vote.simultaneous:
        if actor.role not in ("chair", "secretary"):
            raise Forbidden(
                "only the general department or the presiding person closes the vote (E7)",
                code="not_chair_or_secretary",
            )
    else:
        _require_chair(actor, "close the vote")
    if not vote.simultaneous and not vote.done:
        waiting = len(vote.order) - len(vote.answers)
        raise Conflict(
            f"{waiting} voters have not been called or skipped yet", code="roll_call_incomplete"
        )
    t = vote.tally()
    payload = {
        "vote_id": vote.vote_id,
        **t.as_dict(),
        "required": t.required,
        "adopted": t.adopted,
    }
    return [NewEvent(ev.VOTE_CLOSED, payload, actor.journal_actor)]


# --- breaks ----------------------------------------------------------------------------


def decide_declare_break(
    state: SessionState, actor: Actor, cause: object, reason: object
) -> list[NewEvent]:
    """R10: the chair declares a break with its cause."""
    _require_chair(actor, "declare a break")
    _require_phase(state, "declare a break", *LIVE_PHASES)
    if cause not in CHAIR_BREAK_CAUSES:
        raise Invalid(f"cause must be one of {sorted(CHAIR_BREAK_CAUSES)}", field="cause")
    text = "" if reason is None else _text(reason, "reason")
    payload = {"cause": cause, "reason": text, "by": actor.journal_actor}
    return [NewEvent(ev.BREAK_DECLARED, payload, actor.journal_actor)]


def decide_end_break(state: SessionState, actor: Actor, policy: Policy) -> list[NewEvent]:
    """Resume after a break: needs the recording receiving (R9) and, once the session has been
    competent, quorum (R7). A paused roll call goes on from the first voter not answered."""
    _require_chair(actor, "end the break")
    _require_phase(state, "end the break", Phase.BREAK)
    _require_media(state, policy, "end the break")
    if state.competent:
        _require_quorum(state, "end the break")
    out = [NewEvent(ev.BREAK_ENDED, {"by": actor.journal_actor}, actor.journal_actor)]
    vote = state.current_vote
    if vote is not None and not vote.simultaneous:
        position = vote.next_position()
        if position is not None:
            out.append(_call(vote.vote_id, vote.order, position, actor.journal_actor))
    return out


# --- rada's own reactions --------------------------------------------------------------


def react(state: SessionState) -> list[NewEvent]:
    """What rada appends by itself given the state: a technical break when the recording is lost
    while the session is live (R9, R10), or when quorum is lost during a vote (R7)."""
    phase = state.phase
    if phase not in LIVE_PHASES:
        return []
    if state.recording.status == "lost":
        reason = "запис втрачено: технічна перерва до відновлення запису"
        cause = "recording_lost"
    elif phase is Phase.VOTING and not state.quorum().holds:
        reason = "кворум втрачено під час голосування"
        cause = "quorum_lost"
    else:
        return []
    return [NewEvent(ev.BREAK_DECLARED, {"cause": cause, "reason": reason, "by": SYSTEM}, SYSTEM)]
