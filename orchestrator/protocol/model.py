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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from orchestrator.conduct.quorum import Quorum, required_for_quorum
from orchestrator.conduct.tally import ROLL_CALL_ANSWERS, Result, Tally, result_of, tally_of
from orchestrator.convening.bodies import KIND_UK, BodyWords, RuleSet, rule_set
from orchestrator.convening.categories import category_uk
from orchestrator.convening.citations import DEFAULT_CITATIONS, citations_of, cite
from orchestrator.convening.roster import DEPUTY_KINDS
from orchestrator.kernel.errors import Conflict
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event, Media, parse_time
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.kernel.ukrainian import Gender, agree, gender_of

PLACE = "дистанційно"
PUBLICATION_DEADLINE = timedelta(hours=24)  # R18

# the protocol's own acts, and the acts before and after the sitting (plan, attendance,
# decisions: issue 16), which the protocol neither shows nor hashes
PROTOCOL_EVENTS = (
    frozenset({ev.PROTOCOL_FINALISED, ev.PROTOCOL_SIGNED, ev.PROTOCOL_PUBLISHED})
    | ev.OUTSIDE_SITTING
)

ROLE_UK: Mapping[str, str] = {**KIND_UK, "guest": "запрошена особа"}
SOURCE_UK: Mapping[str, str] = {
    "deputy": "особисто",
    "secretary": "усно, вніс секретар",
    "member": "особисто, на своїй сторінці",  # E7
    "phone": "телефоном, вніс загальний відділ",  # E6, E7
}
BREAK_CAUSE_UK: Mapping[str, str] = {
    "chair": "оголошена головуючим",
    "recording_lost": "втрата запису (технічна перерва)",
    "quorum_lost": "втрата кворуму",
    "storage": "несправність сховища запису",
}
FEMININE_RESULT_UK: Mapping[str, str] = {
    "abstain": "утрималася",
    "none": "не голосувала",
    "absent": "відсутня",
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

    @property
    def gender(self) -> Gender:
        return gender_of(self.patronymic, self.given_name)

    @property
    def short_name(self) -> str:
        """«Іван ВОЙТЕНКО», as a signature line prints the signer."""
        return " ".join(p for p in (self.given_name, self.surname.upper()) if p)


@dataclass(frozen=True, slots=True)
class Participation:
    """One person on the participant list (R6) and their identification (R11)."""

    person: ListedPerson
    joined_at: datetime | None
    identified_at: datetime | None
    confirmed_by: str | None  # the confirming person's name
    removed: str | None  # the reason, if taken off the list
    method: str | None = None  # E6: "phone_callback" (a call back to the personal phone)

    @property
    def confirmed_uk(self) -> str:
        """Who confirmed the identity, and how when it was by phone (E6)."""
        if self.confirmed_by is None:
            return agree(self.person.gender, "відсутній", "відсутня")
        how = (
            " (зворотним дзвінком на особистий телефон)" if self.method == "phone_callback" else ""
        )
        return self.confirmed_by + how


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
    gender: Gender = Gender.UNKNOWN  # for «утрималася», «відсутня»

    @property
    def result(self) -> Result:
        return result_of(self.answer)

    @property
    def answer_uk(self) -> str:
        return self.result.uk_in_text

    @property
    def source_uk(self) -> str:
        return SOURCE_UK.get(self.source or "", "")

    @property
    def answer_agreed(self) -> str:
        """The answer as a sentence about this voter says it: «утрималася», «відсутня»."""
        return agree(
            self.gender, self.answer_uk, FEMININE_RESULT_UK.get(self.answer, self.answer_uk)
        )


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
class Heading:
    """The official heading's council fields, as the council set them at convening (R18)."""

    oblast: str = ""  # as printed under the council's name: «Житомирської області»
    city: str = ""  # where the council sits: «м. Коростишів»
    emblem: str | None = None  # base64 PNG or JPEG
    citations: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CITATIONS))

    def cite(self, *rules: str) -> str:
        """«(ч. 5 ст. 87 Регламенту)»: what a reader can look up, never the rule's R-code."""
        return cite(self.citations, *rules)


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
    heading: Heading = field(default_factory=Heading)
    body: str = "council"  # which of the council's bodies sat (E1–E8)
    chair_reason: str | None = None  # R5, E1: why a stand-in presided

    @property
    def rules(self) -> RuleSet:
        return rule_set(self.body)

    @property
    def words(self) -> BodyWords:
        return self.rules.words

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


def locate(parts: Sequence[Part], at: datetime, media: Media | None = None) -> Offset | None:
    """Map a moment onto the recording (R9).

    A moment journaled while media flowed has its ``media`` place (part and position, from the
    recorder's media clock): that, within the part's length; a wall clock stepping does not
    move it. Otherwise its wall time ``at``: inside a part, that part's offset plus the time
    since it began. In a gap between parts (a
    technical break, R10) or before the first part: the start of the next part. After the
    last part: its end. No parts: ``None``.
    """
    if not parts:
        return None
    for p in parts:
        if media is not None and p.part == media.part:
            into = min(media.ms, max(p.duration_ms - 1, 0))
            return Offset(p.offset_ms + into, p.part, into)
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
    opened_media: Media | None
    order: list[str]
    absent: list[str]
    total_composition: int
    mayor_taking_part: bool
    required: int
    answers: dict[str, tuple[str, str | None, datetime]] = field(default_factory=dict)
    closed_at: datetime | None = None
    closed: ev.VoteClosed | None = None


@dataclass
class _ItemDraft:
    index: int
    title: str
    category: str
    documents: list[Document] = field(default_factory=list)
    opened_at: datetime | None = None
    opened_media: Media | None = None
    closed_at: datetime | None = None
    limits: list[DiscussionLimit] = field(default_factory=list)
    remarks: list[tuple[datetime, str | None, str, Media | None]] = field(default_factory=list)
    amendments: dict[int, tuple[str, str | None, datetime]] = field(default_factory=dict)


@dataclass
class _PersonDraft:
    person: ListedPerson
    joined_at: datetime | None = None
    identified_at: datetime | None = None
    confirmed_by: str | None = None
    removed: str | None = None
    method: str | None = None  # E6: "phone_callback"


def _person(data: ev.Participant) -> ListedPerson:
    role = data.role
    return ListedPerson(
        participant_id=data.participant_id,
        member_id=data.member_id,
        surname=data.surname,
        given_name=data.given_name,
        patronymic=data.patronymic,
        kind=data.kind or (role if role is not None else "guest"),
        role="guest" if role is None else role,
    )


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value else None


class _Fold:
    """Accumulates the session's events; :meth:`result` freezes them into a Protocol.

    One method per event type, dispatched through :data:`_FOLD` with the typed payload.
    """

    def __init__(self) -> None:
        self.convened: ev.SessionConvened | None = None
        self.people: dict[str, _PersonDraft] = {}
        self.items: list[_ItemDraft] = []
        self.votes: dict[str, _VoteDraft] = {}
        self.breaks: list[list[Any]] = []  # [cause, reason, by, start, end, media]
        self.parts: list[ev.PartClosed] = []
        self.losses: list[RecordingLoss] = []
        self.archive: ev.ArchiveReady | None = None
        self.announced_at: datetime | None = None
        self.starts_at: datetime | None = None
        self.opened_at: datetime | None = None
        self.competent_at: datetime | None = None
        self.competent: ev.SessionCompetent | None = None
        self.closed_at: datetime | None = None
        self.cancelled: str | None = None
        self.last: Event | None = None
        self.count = 0

    def name(self, participant_id: str | None) -> str | None:
        if participant_id is None:
            return None
        key = participant_id.removeprefix("participant:")  # ids or journal actors
        draft = self.people.get(key)
        if draft:
            return draft.person.name
        return ACTOR_UK.get(key, key)

    def draft(self, participant_id: str | None) -> _PersonDraft | None:
        return None if participant_id is None else self.people.get(participant_id)

    def apply(self, e: Event) -> None:
        self.count += 1
        self.last = e
        handler = _FOLD.get(e.type)
        if handler is not None:
            handler(self, e, ev.parse(e))

    # -- one method per event type (``_FOLD``) --

    def on_convened(self, e: Event, p: ev.SessionConvened) -> None:
        self.convened = p
        self.starts_at = _time(p.starts_at)
        for data in p.participants:
            self.listed(data)
        self.items = [_ItemDraft(i, a.title, a.category) for i, a in enumerate(p.agenda)]

    def listed(self, data: ev.Participant) -> None:
        person = _person(data)
        self.people[person.participant_id] = _PersonDraft(person)

    def on_announced(self, e: Event, p: ev.SessionAnnounced) -> None:
        self.announced_at = _time(p.announced_at) or e.at
        self.starts_at = _time(p.starts_at) or self.starts_at

    def on_added(self, e: Event, p: ev.ParticipantAdded) -> None:
        self.listed(p.participant)

    def on_removed(self, e: Event, p: ev.ParticipantRemoved) -> None:
        draft = self.people.get(p.participant_id)
        if draft:
            draft.removed = p.reason

    def on_cancelled(self, e: Event, p: ev.SessionCancelled) -> None:
        self.cancelled = p.reason

    def on_document(self, e: Event, p: ev.DocumentAttached) -> None:
        self.items[p.item].documents.append(
            Document(p.item, p.document_id, p.filename, p.content_type, p.size, p.sha256)
        )

    def on_joined(self, e: Event, p: ev.PresenceJoined) -> None:
        draft = self.draft(p.participant_id or None)
        if draft and draft.joined_at is None:
            draft.joined_at = e.at

    def on_identified(self, e: Event, p: ev.ParticipantIdentified) -> None:
        draft = self.people.get(p.participant_id)
        if draft:
            draft.identified_at = e.at
            draft.confirmed_by = self.name(p.confirmed_by)
            draft.method = p.method

    def on_opened(self, e: Event, p: ev.SessionOpened) -> None:
        self.opened_at = e.at

    def on_competent(self, e: Event, p: ev.SessionCompetent) -> None:
        self.competent_at = e.at
        self.competent = p

    def on_item_opened(self, e: Event, p: ev.ItemOpened) -> None:
        self.items[p.item].opened_at = e.at
        self.items[p.item].opened_media = e.media

    def on_limited(self, e: Event, p: ev.DiscussionLimited) -> None:
        self.items[p.item].limits.append(DiscussionLimit(e.at, p.scope, p.seconds))

    def on_remark(self, e: Event, p: ev.RemarkRecorded) -> None:
        self.items[p.item].remarks.append((e.at, self.name(p.by_participant_id), p.text, e.media))

    def on_amendment(self, e: Event, p: ev.AmendmentProposed) -> None:
        by = self.name(p.by_participant_id)
        self.items[p.item].amendments[p.amendment] = (p.text, by, e.at)

    def on_vote_opened(self, e: Event, p: ev.VoteOpened) -> None:
        self.votes[p.vote_id] = _VoteDraft(
            vote_id=p.vote_id,
            item=p.item,
            amendment=p.amendment,
            opened_at=e.at,
            opened_media=e.media,
            order=list(p.order),
            absent=list(p.absent),
            total_composition=p.total_composition,
            mayor_taking_part=p.mayor_taking_part,
            required=p.required,
        )

    def on_ballot(self, e: Event, p: ev.BallotRecorded) -> None:
        vote = self.votes.get(p.vote_id)
        if vote:
            vote.answers[p.participant_id] = (p.answer, p.source or None, e.at)

    def on_skipped(self, e: Event, p: ev.DeputySkipped) -> None:
        vote = self.votes.get(p.vote_id)
        if vote:
            vote.answers[p.participant_id] = ("none", None, e.at)

    def on_vote_closed(self, e: Event, p: ev.VoteClosed) -> None:
        vote = self.votes.get(p.vote_id)
        if vote:
            vote.closed_at = e.at
            vote.closed = p

    def on_item_closed(self, e: Event, p: ev.ItemClosed) -> None:
        self.items[p.item].closed_at = e.at

    def on_break_declared(self, e: Event, p: ev.BreakDeclared) -> None:
        self.breaks.append([p.cause, p.reason, self.name(p.by), e.at, None, e.media])

    def on_break_ended(self, e: Event, p: ev.BreakEnded) -> None:
        if self.breaks and self.breaks[-1][4] is None:
            self.breaks[-1][4] = e.at

    def on_closed(self, e: Event, p: ev.SessionClosed) -> None:
        self.closed_at = e.at

    def on_recording_lost(self, e: Event, p: ev.RecordingLost) -> None:
        self.losses.append(RecordingLoss(e.at, p.part, p.cause, _time(p.last_media_at)))

    def on_part_closed(self, e: Event, p: ev.PartClosed) -> None:
        self.parts.append(p)

    def on_archive_ready(self, e: Event, p: ev.ArchiveReady) -> None:
        self.archive = p

    # -- freezing --

    def recording(self) -> Recording:
        parts: list[Part] = []
        offset = 0
        for p in sorted(self.parts, key=lambda x: x.part):
            started = _time(p.started_at)
            if started is None:
                continue
            parts.append(Part(p.part, p.file, started, p.duration_ms, p.size, p.sha256, offset))
            offset += p.duration_ms
        archive = self.archive
        return Recording(
            parts=tuple(parts),
            manifest=None if archive is None else archive.manifest,
            manifest_sha256=None if archive is None else archive.manifest_sha256,
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
        present = sum(1 for pid in d.order if self._counts(pid))
        total = d.total_composition
        required = required_for_quorum(total)
        quorum = Quorum(present, total, required, present >= required)
        discrepancies: list[str] = []
        adopted: bool | None = None
        if d.closed is not None:
            adopted = d.closed.adopted
            stated_counts = d.closed.stated()
            for key, counted in tally.as_dict().items():
                stated = stated_counts[key]
                if stated is not None and stated != counted:
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
            offset=locate(parts, d.opened_at, d.opened_media),
            discrepancies=tuple(discrepancies),
        )

    def _counts(self, pid: str) -> bool:
        """Counted towards quorum by the body's rules (R7: deputies; E4: every member)."""
        draft = self.people.get(pid)
        return bool(draft and self.rules.counts_for_quorum(draft.person.kind, True, True))

    @property
    def rules(self) -> RuleSet:
        body = None if self.convened is None or self.convened.body is None else self.convened.body
        return rule_set(None if body is None else body.kind)

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
            gender=draft.person.gender if draft else Gender.UNKNOWN,
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
        council = c.council or ev.Council()
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
                        Remark(at, by, text, locate(parts, at, media))
                        for at, by, text, media in draft.remarks
                    ),
                    amendments=amendments,
                    vote=main,
                    offset=None
                    if draft.opened_at is None
                    else locate(parts, draft.opened_at, draft.opened_media),
                )
            )
        total = council.total_composition or 0
        if c.body is not None and c.body.total_composition is not None:
            total = c.body.total_composition  # E4: the committee's own composition
        rules = self.rules
        quorum = None
        if (competent := self.competent) is not None:
            present = competent.present_deputies
            total_q = total if competent.total_composition is None else competent.total_composition
            stated = competent.quorum
            required = required_for_quorum(total_q) if stated is None else stated
            quorum = Quorum(present, total_q, required, present >= required)
        chair = self.draft(c.chair_participant_id)
        secretary = self.draft(c.secretary_participant_id)
        return Protocol(
            session_id=str(self.last.session_id),
            council_id=council.id,
            council_name=council.name,
            convocation=str(council.convocation),
            number="" if c.number is None else c.number,
            title=c.title,
            place=PLACE,
            broadcast_url=c.broadcast_url,
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
                Participation(
                    d.person, d.joined_at, d.identified_at, d.confirmed_by, d.removed, d.method
                )
                for d in self.people.values()
            ),
            quorum_at_opening=quorum,
            items=tuple(items),
            breaks=tuple(
                Break(cause, reason, by, start, end, locate(parts, start, media))
                for cause, reason, by, start, end, media in self.breaks
            ),
            recording=recording,
            seal=self.last.hash,
            seal_seq=self.last.seq,
            events=self.count,
            heading=Heading(
                oblast=council.oblast,
                city=council.place,
                emblem=council.emblem,
                citations=dict(rules.citations)
                if rules.citations is not None
                else citations_of(
                    council.citations if isinstance(council.citations, Mapping) else None
                ),
            ),
            body=rules.body.value,
            chair_reason=c.chair_reason,
        )


_FOLD: Mapping[str, Callable[[_Fold, Event, Any], None]] = {
    ev.SESSION_CONVENED: _Fold.on_convened,
    ev.SESSION_ANNOUNCED: _Fold.on_announced,
    ev.PARTICIPANT_ADDED: _Fold.on_added,
    ev.PARTICIPANT_REMOVED: _Fold.on_removed,
    ev.SESSION_CANCELLED: _Fold.on_cancelled,
    ev.DOCUMENT_ATTACHED: _Fold.on_document,
    ev.PRESENCE_JOINED: _Fold.on_joined,
    ev.PARTICIPANT_IDENTIFIED: _Fold.on_identified,
    ev.SESSION_OPENED: _Fold.on_opened,
    ev.SESSION_COMPETENT: _Fold.on_competent,
    ev.ITEM_OPENED: _Fold.on_item_opened,
    ev.DISCUSSION_LIMITED: _Fold.on_limited,
    ev.REMARK_RECORDED: _Fold.on_remark,
    ev.AMENDMENT_PROPOSED: _Fold.on_amendment,
    ev.VOTE_OPENED: _Fold.on_vote_opened,
    ev.BALLOT_RECORDED: _Fold.on_ballot,
    ev.DEPUTY_SKIPPED: _Fold.on_skipped,
    ev.VOTE_CLOSED: _Fold.on_vote_closed,
    ev.ITEM_CLOSED: _Fold.on_item_closed,
    ev.BREAK_DECLARED: _Fold.on_break_declared,
    ev.BREAK_ENDED: _Fold.on_break_ended,
    ev.SESSION_CLOSED: _Fold.on_closed,
    ev.RECORDING_LOST: _Fold.on_recording_lost,
    ev.PART_CLOSED: _Fold.on_part_closed,
    ev.ARCHIVE_READY: _Fold.on_archive_ready,
}
"""The protocol fold: event type -> the :class:`_Fold` method that takes it in."""


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


@dataclass
class _Acts:
    """Accumulates the protocol's own acts; one method per event type (``_ACTS``)."""

    names: dict[str, str] = field(default_factory=dict)
    closed_at: datetime | None = None
    finalised_at: datetime | None = None
    finalised_by: str | None = None
    protocol_sha: str | None = None
    signatures: dict[str, Signature] = field(default_factory=dict)
    published_at: datetime | None = None
    late: bool = False

    def listed(self, data: ev.Participant) -> None:
        person = _person(data)
        self.names[person.participant_id] = person.name

    def on_convened(self, e: Event, p: ev.SessionConvened) -> None:
        for data in p.participants:
            self.listed(data)

    def on_added(self, e: Event, p: ev.ParticipantAdded) -> None:
        self.listed(p.participant)

    def on_closed(self, e: Event, p: ev.SessionClosed) -> None:
        self.closed_at = e.at

    def on_finalised(self, e: Event, p: ev.ProtocolFinalised) -> None:
        by = _by(e, p.by)
        self.finalised_at = e.at
        self.finalised_by = self.names.get(by, by)
        self.protocol_sha = p.protocol_sha256
        self.signatures = {}  # a new draft needs new signatures

    def on_signed(self, e: Event, p: ev.ProtocolSigned) -> None:
        by = _by(e, p.by)
        self.signatures[by] = Signature(
            e.at, by, self.names.get(by, by), p.role, p.signature_sha256
        )

    def on_published(self, e: Event, p: ev.ProtocolPublished) -> None:
        self.published_at = e.at
        self.late = p.late


def _by(e: Event, by: str | None) -> str:
    """Who acted: the payload's ``by``, else the participant the event's actor names."""
    return e.actor.removeprefix("participant:") if by is None else by


_ACTS: Mapping[str, Callable[[_Acts, Event, Any], None]] = {
    ev.SESSION_CONVENED: _Acts.on_convened,
    ev.PARTICIPANT_ADDED: _Acts.on_added,
    ev.SESSION_CLOSED: _Acts.on_closed,
    ev.PROTOCOL_FINALISED: _Acts.on_finalised,
    ev.PROTOCOL_SIGNED: _Acts.on_signed,
    ev.PROTOCOL_PUBLISHED: _Acts.on_published,
}
"""The publication fold: event type -> the :class:`_Acts` method that takes it in."""


def publication(events: Iterable[Event]) -> Publication:
    """Fold the protocol's own acts: finalisation, signatures, publication."""
    acts = _Acts()
    for e in events:
        handler = _ACTS.get(e.type)
        if handler is not None:
            handler(acts, e, ev.parse(e))
    deadline = None if acts.closed_at is None else acts.closed_at + PUBLICATION_DEADLINE
    return Publication(
        acts.closed_at,
        deadline,
        acts.finalised_at,
        acts.finalised_by,
        acts.protocol_sha,
        tuple(sorted(acts.signatures.values(), key=lambda s: s.at)),
        acts.published_at,
        acts.late,
    )
