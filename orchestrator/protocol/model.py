"""The protocol (протокол) of one remote plenary session, folded from its journal alone.

Pure code: :func:`build` takes the session's events (``journal.Event``) and returns a frozen
:class:`Protocol`; nothing else is read. The renderers (``protocol_render``) and the open data
(``opendata``) print this model, so the HTML, PDF, JSON and CSV say the same thing.

What the protocol holds, and the rule behind each part:
- the council, convocation, session number and title, date (Europe/Kyiv), place "дистанційно",
  who presided (R5) and who kept the protocol (R17);
- the participants with the time each was identified and who confirmed it (R11);
- quorum at opening (R7) and at every vote;
- the agenda with each item's category (R1); per item the discussion time and its limits (R14),
  remarks and proposals (R19), amendments with their votes (R16), the named roll-call table in
  call order (R15) with each answer and its source (R16, R17), the totals, the majority required
  and the outcome (R13);
- every break with cause, start, end and duration (R10);
- the recording (R9): each part, the manifest hash, and each item's and vote's offset in it;
- the seal: the hash of the last session event of the journal (DESIGN principle 1).

The protocol's own acts (``protocol_finalised``, ``protocol_signed``, ``protocol_published``)
come after the document and refer to it by hash, so the fold leaves them out: finalising or
signing never changes the document it signs. :func:`publication` folds those acts separately.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from orchestrator.conduct.quorum import Quorum, required_for_quorum
from orchestrator.conduct.tally import ROLL_CALL_ANSWERS, Result, Tally, result_of, tally_of
from orchestrator.convening.categories import category_uk
from orchestrator.convening.roster import DEPUTY_KINDS
from orchestrator.kernel.errors import Conflict
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event, parse_time
from orchestrator.kernel.kyivtime import KYIV

PLACE = "дистанційно"
PUBLICATION_DEADLINE = timedelta(hours=24)  # R18

PROTOCOL_EVENTS = frozenset({ev.PROTOCOL_FINALISED, ev.PROTOCOL_SIGNED, ev.PROTOCOL_PUBLISHED})

ROLE_UK: Mapping[str, str] = {
    "mayor": "міський голова",
    "deputy": "депутат",
    "secretary": "секретар ради",
    "guest": "запрошена особа",
}
SOURCE_UK: Mapping[str, str] = {
    "deputy": "особисто",
    "secretary": "усно, вніс секретар",
}
BREAK_CAUSE_UK: Mapping[str, str] = {
    "chair": "оголошена головуючим",
    "recording_lost": "втрата запису (технічна перерва)",
    "quorum_lost": "втрата кворуму",
    "storage": "несправність сховища запису",
}
ACTOR_UK: Mapping[str, str] = {
    "system": "автоматично (rada)",
    "recorder": "автоматично (запис)",
    "admin": "адміністратор",
}


@dataclass(frozen=True, slots=True)
class ListedPerson:
    """A person on the session's participant list as the protocol names them (no contacts);
    ``convening.rules.Person`` is the one with contact data, before the list is formed."""

    participant_id: str
    member_id: str | None
    surname: str
    given_name: str
    patronymic: str
    kind: str  # standing in the council: mayor|deputy|secretary|guest
    role: str  # permission in this session: chair|secretary|deputy|guest

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.surname, self.given_name, self.patronymic) if p)

    @property
    def role_uk(self) -> str:
        text = ROLE_UK.get(self.kind, self.kind)
        return f"{text}, головуючий" if self.role == "chair" else text

    @property
    def is_deputy(self) -> bool:
        return self.kind in DEPUTY_KINDS


@dataclass(frozen=True, slots=True)
class Participation:
    """One person on the participant list (R6) and their identification (R11)."""

    person: ListedPerson
    joined_at: datetime | None
    identified_at: datetime | None
    confirmed_by: str | None  # the confirming person's name
    removed: str | None  # the reason, if taken off the list


@dataclass(frozen=True, slots=True)
class Offset:
    """Where a wall-clock moment falls in the recording (R9)."""

    ms: int  # in the parts played one after another
    part: int | None  # the part it falls in (None: before the first or after the last)
    part_ms: int  # offset inside that part


@dataclass(frozen=True, slots=True)
class RollCallRow:
    position: int  # 1-based call order (R15); absentees follow, numbered on
    participant_id: str
    member_id: str | None
    name: str
    answer: str  # for|against|abstain|none|absent
    source: str | None  # deputy|secretary
    at: datetime | None

    @property
    def result(self) -> Result:
        return result_of(self.answer)

    @property
    def answer_uk(self) -> str:
        return self.result.uk_in_text

    @property
    def source_uk(self) -> str:
        return SOURCE_UK.get(self.source or "", "")


@dataclass(frozen=True, slots=True)
class Vote:
    vote_id: str
    item: int
    amendment: int | None
    opened_at: datetime
    closed_at: datetime | None
    required: int  # R13
    total_composition: int
    mayor_taking_part: bool
    quorum: Quorum
    rows: tuple[RollCallRow, ...]
    tally: Tally  # counted from the rows against ``required``
    adopted: bool | None  # as the journal's vote_closed states it; None while open
    offset: Offset | None
    discrepancies: tuple[str, ...]  # where vote_closed disagrees with the counted rows

    @property
    def outcome_uk(self) -> str:
        if self.adopted is None:
            return "голосування не завершено"
        subject = "Поправку" if self.amendment is not None else "Рішення"
        return f"{subject} прийнято" if self.adopted else f"{subject} не прийнято"


@dataclass(frozen=True, slots=True)
class Remark:
    at: datetime
    by: str | None
    text: str
    offset: Offset | None


@dataclass(frozen=True, slots=True)
class Amendment:
    index: int  # 0-based within its item, as in the journal's vote id "<item>.a<index>"
    text: str
    by: str | None
    proposed_at: datetime
    vote: Vote | None

    @property
    def number(self) -> int:
        """As people count: the first amendment is 1."""
        return self.index + 1


@dataclass(frozen=True, slots=True)
class DiscussionLimit:
    at: datetime
    scope: str  # item|speaker
    seconds: int


@dataclass(frozen=True, slots=True)
class Document:
    item: int
    document_id: str
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Item:
    index: int
    title: str
    category: str
    documents: tuple[Document, ...]
    opened_at: datetime | None
    closed_at: datetime | None
    discussion_ms: int | None  # from opening to the first vote, breaks excluded (R14)
    limits: tuple[DiscussionLimit, ...]
    remarks: tuple[Remark, ...]  # R19
    amendments: tuple[Amendment, ...]
    vote: Vote | None
    offset: Offset | None

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def category_uk(self) -> str:
        return category_uk(self.category)


@dataclass(frozen=True, slots=True)
class Break:
    cause: str
    reason: str
    declared_by: str | None
    started_at: datetime
    ended_at: datetime | None
    offset: Offset | None

    @property
    def cause_uk(self) -> str:
        return BREAK_CAUSE_UK.get(self.cause, self.cause)

    @property
    def duration_ms(self) -> int | None:
        if self.ended_at is None:
            return None
        return _ms(self.ended_at - self.started_at)


@dataclass(frozen=True, slots=True)
class Part:
    part: int
    file: str
    started_at: datetime
    duration_ms: int
    size: int
    sha256: str
    offset_ms: int  # where it begins in the parts played one after another


@dataclass(frozen=True, slots=True)
class RecordingLoss:
    at: datetime
    part: int
    cause: str
    last_media_at: datetime | None


@dataclass(frozen=True, slots=True)
class Recording:
    parts: tuple[Part, ...]
    manifest: str | None
    manifest_sha256: str | None
    duration_ms: int
    losses: tuple[RecordingLoss, ...]


@dataclass(frozen=True, slots=True)
class Protocol:
    session_id: str
    council_id: str
    council_name: str
    convocation: str
    number: int | str
    title: str
    place: str
    broadcast_url: str | None
    starts_at: datetime | None
    announced_at: datetime | None
    opened_at: datetime | None
    competent_at: datetime | None
    closed_at: datetime | None
    cancelled: str | None
    chair: ListedPerson | None
    secretary: ListedPerson | None
    total_composition: int
    participants: tuple[Participation, ...]
    quorum_at_opening: Quorum | None
    items: tuple[Item, ...]
    breaks: tuple[Break, ...]
    recording: Recording
    seal: str  # hash of the last session event
    seal_seq: int
    events: int

    @property
    def date(self) -> date | None:
        """The session's date in Kyiv (the opening, else the planned start)."""
        moment = self.opened_at or self.starts_at
        return None if moment is None else moment.astimezone(KYIV).date()

    @property
    def publication_deadline(self) -> datetime | None:
        """R18: signed and published no later than 24 hours after the session ends."""
        return None if self.closed_at is None else self.closed_at + PUBLICATION_DEADLINE

    @property
    def votes(self) -> tuple[Vote, ...]:
        """Every vote in the order held: each item's amendments, then its main vote."""
        out: list[Vote] = []
        for item in self.items:
            out.extend(a.vote for a in item.amendments if a.vote is not None)
            if item.vote is not None:
                out.append(item.vote)
        return tuple(sorted(out, key=lambda v: v.opened_at))

    def person(self, participant_id: str) -> ListedPerson | None:
        for p in self.participants:
            if p.person.participant_id == participant_id:
                return p.person
        return None


# --- the recording timeline -------------------------------------------------------------


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)


def locate(parts: Sequence[Part], at: datetime) -> Offset | None:
    """Map a wall-clock moment onto the recording (R9).

    Inside a part: that part's offset plus the time since it began. In a gap between parts (a
    technical break, R10) or before the first part: the start of the next part. After the
    last part: its end. No parts: ``None``.
    """
    if not parts:
        return None
    for p in parts:
        if at < p.started_at:
            return Offset(p.offset_ms, p.part, 0)
        into = _ms(at - p.started_at)
        if into < p.duration_ms:
            return Offset(p.offset_ms + into, p.part, into)
    last = parts[-1]
    return Offset(last.offset_ms + last.duration_ms, last.part, last.duration_ms)


# --- the fold ------------------------------------------------------------------------------


@dataclass
class _VoteDraft:
    vote_id: str
    item: int
    amendment: int | None
    opened_at: datetime
    order: list[str]
    absent: list[str]
    total_composition: int
    mayor_taking_part: bool
    required: int
    answers: dict[str, tuple[str, str | None, datetime]] = field(default_factory=dict)
    closed_at: datetime | None = None
    closed: Mapping[str, Any] | None = None


@dataclass
class _ItemDraft:
    index: int
    title: str
    category: str
    documents: list[Document] = field(default_factory=list)
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    limits: list[DiscussionLimit] = field(default_factory=list)
    remarks: list[tuple[datetime, str | None, str]] = field(default_factory=list)
    amendments: dict[int, tuple[str, str | None, datetime]] = field(default_factory=dict)


@dataclass
class _PersonDraft:
    person: ListedPerson
    joined_at: datetime | None = None
    identified_at: datetime | None = None
    confirmed_by: str | None = None
    removed: str | None = None


def _person(data: Mapping[str, Any]) -> ListedPerson:
    member = data.get("member_id")
    return ListedPerson(
        participant_id=str(data["participant_id"]),
        member_id=None if member is None else str(member),
        surname=str(data.get("surname", "")),
        given_name=str(data.get("given_name", "")),
        patronymic=str(data.get("patronymic", "")),
        kind=str(data.get("kind") or data.get("role", "guest")),
        role=str(data.get("role", "guest")),
    )


def _time(value: Any) -> datetime | None:
    return parse_time(value) if isinstance(value, str) and value else None


class _Fold:
    """Accumulates the session's events; :meth:`result` freezes them into a Protocol."""

    def __init__(self) -> None:
        self.convened: Mapping[str, Any] | None = None
        self.people: dict[str, _PersonDraft] = {}
        self.items: list[_ItemDraft] = []
        self.votes: dict[str, _VoteDraft] = {}
        self.breaks: list[list[Any]] = []  # [cause, reason, by, start, end]
        self.parts: list[Mapping[str, Any]] = []
        self.losses: list[RecordingLoss] = []
        self.archive: Mapping[str, Any] | None = None
        self.announced_at: datetime | None = None
        self.starts_at: datetime | None = None
        self.opened_at: datetime | None = None
        self.competent_at: datetime | None = None
        self.competent: Mapping[str, Any] | None = None
        self.closed_at: datetime | None = None
        self.cancelled: str | None = None
        self.last: Event | None = None
        self.count = 0

    def name(self, participant_id: Any) -> str | None:
        if participant_id is None:
            return None
        key = str(participant_id).removeprefix("participant:")  # ids or journal actors
        draft = self.people.get(key)
        if draft:
            return draft.person.name
        return ACTOR_UK.get(key, key)

    def apply(self, e: Event) -> None:
        p = e.payload
        t = e.type
        self.count += 1
        self.last = e
        if t == ev.SESSION_CONVENED:
            self.convened = p
            self.starts_at = _time(p.get("starts_at"))
            for data in p.get("participants", []):
                person = _person(data)
                self.people[person.participant_id] = _PersonDraft(person)
            self.items = [
                _ItemDraft(i, str(a.get("title", "")), str(a.get("category", "")))
                for i, a in enumerate(p.get("agenda", []))
            ]
        elif t == ev.SESSION_ANNOUNCED:
            self.announced_at = _time(p.get("announced_at")) or e.at
            self.starts_at = _time(p.get("starts_at")) or self.starts_at
        elif t == ev.PARTICIPANT_ADDED:
            person = _person(p["participant"])
            self.people[person.participant_id] = _PersonDraft(person)
        elif t == ev.PARTICIPANT_REMOVED:
            draft = self.people.get(str(p["participant_id"]))
            if draft:
                draft.removed = str(p.get("reason", ""))
        elif t == ev.SESSION_CANCELLED:
            self.cancelled = str(p.get("reason", ""))
        elif t == ev.DOCUMENT_ATTACHED:
            self.items[int(p["item"])].documents.append(
                Document(
                    int(p["item"]),
                    str(p["document_id"]),
                    str(p["filename"]),
                    str(p.get("content_type", "")),
                    int(p.get("size", 0)),
                    str(p.get("sha256", "")),
                )
            )
        elif t == ev.PRESENCE_JOINED:
            pid = p.get("participant_id")
            draft = self.people.get(str(pid)) if pid else None
            if draft and draft.joined_at is None:
                draft.joined_at = e.at
        elif t == ev.PARTICIPANT_IDENTIFIED:
            draft = self.people.get(str(p["participant_id"]))
            if draft:
                draft.identified_at = e.at
                draft.confirmed_by = self.name(p.get("confirmed_by"))
        elif t == ev.SESSION_OPENED:
            self.opened_at = e.at
        elif t == ev.SESSION_COMPETENT:
            self.competent_at = e.at
            self.competent = p
        elif t == ev.ITEM_OPENED:
            self.items[int(p["item"])].opened_at = e.at
        elif t == ev.DISCUSSION_LIMITED:
            self.items[int(p["item"])].limits.append(
                DiscussionLimit(e.at, str(p.get("scope", "item")), int(p.get("seconds", 0)))
            )
        elif t == ev.REMARK_RECORDED:
            self.items[int(p["item"])].remarks.append(
                (e.at, self.name(p.get("by_participant_id")), str(p.get("text", "")))
            )
        elif t == ev.AMENDMENT_PROPOSED:
            self.items[int(p["item"])].amendments[int(p["amendment"])] = (
                str(p.get("text", "")),
                self.name(p.get("by_participant_id")),
                e.at,
            )
        elif t == ev.VOTE_OPENED:
            amendment = p.get("amendment")
            self.votes[str(p["vote_id"])] = _VoteDraft(
                vote_id=str(p["vote_id"]),
                item=int(p["item"]),
                amendment=None if amendment is None else int(amendment),
                opened_at=e.at,
                order=[str(x) for x in p.get("order", [])],
                absent=[str(x) for x in p.get("absent", [])],
                total_composition=int(p.get("total_composition", 0)),
                mayor_taking_part=bool(p.get("mayor_taking_part", False)),
                required=int(p.get("required", 0)),
            )
        elif t == ev.BALLOT_RECORDED:
            vote = self.votes.get(str(p["vote_id"]))
            if vote:
                vote.answers[str(p["participant_id"])] = (
                    str(p["answer"]),
                    str(p.get("source")) if p.get("source") else None,
                    e.at,
                )
        elif t == ev.DEPUTY_SKIPPED:
            vote = self.votes.get(str(p["vote_id"]))
            if vote:
                vote.answers[str(p["participant_id"])] = ("none", None, e.at)
        elif t == ev.VOTE_CLOSED:
            vote = self.votes.get(str(p["vote_id"]))
            if vote:
                vote.closed_at = e.at
                vote.closed = p
        elif t == ev.ITEM_CLOSED:
            self.items[int(p["item"])].closed_at = e.at
        elif t == ev.BREAK_DECLARED:
            self.breaks.append(
                [
                    str(p.get("cause", "chair")),
                    str(p.get("reason", "")),
                    self.name(p.get("by")),
                    e.at,
                    None,
                ]
            )
        elif t == ev.BREAK_ENDED:
            if self.breaks and self.breaks[-1][4] is None:
                self.breaks[-1][4] = e.at
        elif t == ev.SESSION_CLOSED:
            self.closed_at = e.at
        elif t == ev.RECORDING_LOST:
            self.losses.append(
                RecordingLoss(
                    e.at,
                    int(p.get("part", 0)),
                    str(p.get("cause", "")),
                    _time(p.get("last_media_at")),
                )
            )
        elif t == ev.PART_CLOSED:
            self.parts.append(p)
        elif t == ev.ARCHIVE_READY:
            self.archive = p

    # -- freezing --

    def recording(self) -> Recording:
        parts: list[Part] = []
        offset = 0
        for p in sorted(self.parts, key=lambda x: int(x["part"])):
            started = _time(p.get("started_at"))
            if started is None:
                continue
            duration = int(p.get("duration_ms", 0))
            parts.append(
                Part(
                    int(p["part"]),
                    str(p["file"]),
                    started,
                    duration,
                    int(p.get("size", 0)),
                    str(p.get("sha256", "")),
                    offset,
                )
            )
            offset += duration
        archive = self.archive or {}
        return Recording(
            parts=tuple(parts),
            manifest=archive.get("manifest"),
            manifest_sha256=archive.get("manifest_sha256"),
            duration_ms=offset,
            losses=tuple(self.losses),
        )

    def vote(self, d: _VoteDraft, parts: Sequence[Part]) -> Vote:
        rows: list[RollCallRow] = []
        for position, pid in enumerate(d.order, start=1):
            answer, source, at = d.answers.get(pid, ("none", None, None))
            rows.append(self._row(position, pid, answer, source, at))
        for position, pid in enumerate(d.absent, start=len(d.order) + 1):
            rows.append(self._row(position, pid, "absent", None, None))
        tally = tally_of((r.result for r in rows), d.required)
        present = sum(1 for pid in d.order if self._is_deputy(pid))
        total = d.total_composition
        required = required_for_quorum(total)
        quorum = Quorum(present, total, required, present >= required)
        discrepancies: list[str] = []
        adopted: bool | None = None
        if d.closed is not None:
            adopted = bool(d.closed.get("adopted"))
            for key, counted in tally.as_dict().items():
                stated = d.closed.get(key)
                if stated is not None and int(stated) != counted:
                    discrepancies.append(
                        f"{key}: журнал vote_closed = {stated}, пораховано поіменно = {counted}"
                    )
            if adopted != tally.adopted:
                discrepancies.append(
                    f"результат: журнал adopted = {adopted}, за {tally.for_} з потрібних "
                    f"{d.required}"
                )
        return Vote(
            vote_id=d.vote_id,
            item=d.item,
            amendment=d.amendment,
            opened_at=d.opened_at,
            closed_at=d.closed_at,
            required=d.required,
            total_composition=total,
            mayor_taking_part=d.mayor_taking_part,
            quorum=quorum,
            rows=tuple(rows),
            tally=tally,
            adopted=adopted,
            offset=locate(parts, d.opened_at),
            discrepancies=tuple(discrepancies),
        )

    def _is_deputy(self, pid: str) -> bool:
        draft = self.people.get(pid)
        return bool(draft and draft.person.is_deputy)

    def _row(
        self, position: int, pid: str, answer: str, source: str | None, at: datetime | None
    ) -> RollCallRow:
        draft = self.people.get(pid)
        return RollCallRow(
            position=position,
            participant_id=pid,
            member_id=draft.person.member_id if draft else None,
            name=draft.person.name if draft else pid,
            answer=answer if answer in ROLL_CALL_ANSWERS else "none",
            source=source,
            at=at,
        )

    def discussion_ms(self, item: _ItemDraft, first_vote: datetime | None) -> int | None:
        if item.opened_at is None:
            return None
        end = first_vote or item.closed_at
        if end is None:
            return None
        total = end - item.opened_at
        for b in self.breaks:
            b_start, b_end = b[3], b[4] or end
            overlap = min(end, b_end) - max(item.opened_at, b_start)
            if overlap > timedelta(0):
                total -= overlap
        return _ms(total)

    def result(self) -> Protocol:
        if self.convened is None or self.last is None:
            raise Conflict("the journal has no session_convened event", code="protocol_not_ready")
        c = self.convened
        council = c.get("council", {})
        recording = self.recording()
        parts = recording.parts
        votes = {vid: self.vote(d, parts) for vid, d in self.votes.items()}
        items: list[Item] = []
        for draft in self.items:
            own = sorted(
                (v for v in votes.values() if v.item == draft.index), key=lambda v: v.opened_at
            )
            main = next((v for v in own if v.amendment is None), None)
            amendments = tuple(
                Amendment(
                    index=k,
                    text=text,
                    by=by,
                    proposed_at=at,
                    vote=next((v for v in own if v.amendment == k), None),
                )
                for k, (text, by, at) in sorted(draft.amendments.items())
            )
            items.append(
                Item(
                    index=draft.index,
                    title=draft.title,
                    category=draft.category,
                    documents=tuple(draft.documents),
                    opened_at=draft.opened_at,
                    closed_at=draft.closed_at,
                    discussion_ms=self.discussion_ms(draft, own[0].opened_at if own else None),
                    limits=tuple(draft.limits),
                    remarks=tuple(
                        Remark(at, by, text, locate(parts, at)) for at, by, text in draft.remarks
                    ),
                    amendments=amendments,
                    vote=main,
                    offset=None if draft.opened_at is None else locate(parts, draft.opened_at),
                )
            )
        total = int(council.get("total_composition", 0))
        quorum = None
        if self.competent is not None:
            present = int(self.competent.get("present_deputies", 0))
            total_q = int(self.competent.get("total_composition", total))
            stated = self.competent.get("quorum")
            required = required_for_quorum(total_q) if stated is None else int(stated)
            quorum = Quorum(present, total_q, required, present >= required)
        chair = self.people.get(str(c.get("chair_participant_id")))
        secretary = self.people.get(str(c.get("secretary_participant_id")))
        return Protocol(
            session_id=str(self.last.session_id),
            council_id=str(council.get("id", "")),
            council_name=str(council.get("name", "")),
            convocation=str(council.get("convocation", "")),
            number=c.get("number", ""),
            title=str(c.get("title", "")),
            place=PLACE,
            broadcast_url=c.get("broadcast_url"),
            starts_at=self.starts_at,
            announced_at=self.announced_at,
            opened_at=self.opened_at,
            competent_at=self.competent_at,
            closed_at=self.closed_at,
            cancelled=self.cancelled,
            chair=chair.person if chair else None,
            secretary=secretary.person if secretary else None,
            total_composition=total,
            participants=tuple(
                Participation(d.person, d.joined_at, d.identified_at, d.confirmed_by, d.removed)
                for d in self.people.values()
            ),
            quorum_at_opening=quorum,
            items=tuple(items),
            breaks=tuple(
                Break(cause, reason, by, start, end, locate(parts, start))
                for cause, reason, by, start, end in self.breaks
            ),
            recording=recording,
            seal=self.last.hash,
            seal_seq=self.last.seq,
            events=self.count,
        )


def build(events: Iterable[Event]) -> Protocol:
    """Fold a session's journal into its protocol (the protocol's own acts are left out)."""
    fold = _Fold()
    for e in events:
        if e.type not in PROTOCOL_EVENTS:
            fold.apply(e)
    return fold.result()


# --- signing and publication (R18, R19) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    at: datetime
    participant_id: str
    name: str
    role: str  # chair|member
    signature_sha256: str | None


@dataclass(frozen=True, slots=True)
class Publication:
    """Where the protocol stands after the session: finalised, signed, published (R18, R19)."""

    closed_at: datetime | None
    deadline: datetime | None
    finalised_at: datetime | None
    finalised_by: str | None
    protocol_sha256: str | None
    signatures: tuple[Signature, ...]
    published_at: datetime | None
    late: bool

    @property
    def chair_signed(self) -> bool:
        return any(s.role == "chair" for s in self.signatures)

    def remaining(self, now: datetime) -> timedelta | None:
        """Time left on the 24-hour clock (negative when overdue); None before the end."""
        return None if self.deadline is None else self.deadline - now

    def overdue(self, now: datetime) -> bool:
        if self.deadline is None:
            return False
        moment = self.published_at or now
        return moment > self.deadline


def _actor_participant(actor: str) -> str:
    return actor.removeprefix("participant:")


def publication(events: Iterable[Event]) -> Publication:
    """Fold the protocol's own acts: finalisation, signatures, publication."""
    names: dict[str, str] = {}
    closed_at: datetime | None = None
    finalised_at: datetime | None = None
    finalised_by: str | None = None
    protocol_sha: str | None = None
    signatures: dict[str, Signature] = {}
    published_at: datetime | None = None
    late = False
    for e in events:
        p = e.payload
        if e.type == ev.SESSION_CONVENED:
            for data in p.get("participants", []):
                person = _person(data)
                names[person.participant_id] = person.name
        elif e.type == ev.PARTICIPANT_ADDED:
            person = _person(p["participant"])
            names[person.participant_id] = person.name
        elif e.type == ev.SESSION_CLOSED:
            closed_at = e.at
        elif e.type == ev.PROTOCOL_FINALISED:
            finalised_at = e.at
            by = str(p.get("by", _actor_participant(e.actor)))
            finalised_by = names.get(by, by)
            protocol_sha = str(p.get("protocol_sha256", ""))
            signatures = {}  # a new draft needs new signatures
        elif e.type == ev.PROTOCOL_SIGNED:
            by = str(p.get("by", _actor_participant(e.actor)))
            signatures[by] = Signature(
                e.at,
                by,
                names.get(by, by),
                str(p.get("role", "member")),
                p.get("signature_sha256"),
            )
        elif e.type == ev.PROTOCOL_PUBLISHED:
            published_at = e.at
            late = bool(p.get("late", False))
    deadline = None if closed_at is None else closed_at + PUBLICATION_DEADLINE
    return Publication(
        closed_at,
        deadline,
        finalised_at,
        finalised_by,
        protocol_sha,
        tuple(sorted(signatures.values(), key=lambda s: s.at)),
        published_at,
        late,
    )
