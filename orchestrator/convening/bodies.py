"""Bodies that meet remotely, as data: the council (R7, R13, R15, R19) and its executive
committee (E1–E8).

A council has bodies; each body has its own composition and its own :class:`RuleSet`. Every rule
that differs between the two is a property of the rule set, never an ``if`` on the body's name
elsewhere: the quorum base and who counts towards it, who votes and the majority formula, the
voting mode (an alphabetical roll call or everyone at once), the chain of stand-ins who call the
meeting and preside, and who signs the protocol. The Ukrainian words a page prints for the body
(«сесія» or «засідання», «депутати» or «члени виконкому») live here too.

Pure: no I/O; rada's other rules modules (quorum, tally, roll call) ask this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from orchestrator.convening.citations import EXECUTIVE_CITATIONS
from orchestrator.kernel.errors import Invalid


class BodyKind(StrEnum):
    COUNCIL = "council"
    EXECUTIVE_COMMITTEE = "executive_committee"


class IdentificationMethod(StrEnum):
    """How the chair (or E6's general department) confirmed who a participant is."""

    SEEN_AND_HEARD = "seen_and_heard"  # R11: in the video call
    PHONE_CALLBACK = "phone_callback"  # E6: a call back to the personal phone on the list


class VotingMode(StrEnum):
    ROLL_CALL = "roll_call"
    """R15: each voter is called by surname, in Ukrainian alphabetical order, and answers."""
    SIMULTANEOUS = "simultaneous"
    """E7: the question is put and every identified member answers at once on their own page
    (or by phone to the general department); the general department closes the vote."""


@dataclass(frozen=True, slots=True)
class BodyWords:
    """How pages name the body, its meeting and its members (Ukrainian)."""

    body: str  # «міська рада», «виконавчий комітет»
    meeting: str  # «сесія» / «засідання» (nominative)
    meeting_genitive: str  # «сесії» / «засідання»
    members: str  # «депутати» / «члени виконкому»
    members_genitive: str  # «депутатів» / «членів виконкому»
    members_instrumental: str  # «депутатами» / «членами виконкому»
    protocol_keeper: str  # «секретар ради» / «загальний відділ»
    keeper_title: str  # the protocol's signature block: «Секретар ради» / «Загальний відділ»
    member_title: str  # a member's signature line: «Депутат» / «Член виконкому»
    amendment: str  # a change put to the vote before the draft: «поправка» / «пропозиція» (R19/E5)
    amendment_accusative: str  # «Поправку (не) прийнято» / «Пропозицію (не) прийнято»
    composition_of: str  # «загального складу ради» / «загального складу виконавчого комітету»
    vote_caption: str  # the named table's caption
    voting_note: str  # how the members vote (R15 / E7), under each vote's heading
    identification_note: str  # who identified the participants, and how (R11 / E6)
    announcement: str  # the public announcement and feeds: «Дистанційне пленарне засідання»
    notice_calls: str  # the notice (R4 / E3): «… скликає дистанційне пленарне засідання»
    notice_subject: str  # «Скликання дистанційного пленарного засідання № …»
    notice_identification: str  # how the recipient will be identified (R11 / E6)
    notice_sent_to: str  # which address the notice went to (R4: official / E3: personal)
    meeting_heading: str  # the protocol's subtitle; "" for the council («сорок першої сесії»)
    form: str  # the protocol's subtitle: how the meeting is held
    convocation_in_heading: bool  # the council's heading names its convocation


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The rules one kind of body meets by. Kinds are the roster's ``role`` column values."""

    body: BodyKind
    member_kinds: tuple[str, ...]
    """The roster kinds of this body (what a roster row's ``role`` may say)."""
    single_kinds: tuple[str, ...]
    """Kinds a roster holds at most once (who presides, who keeps the protocol)."""
    quorum_kinds: frozenset[str]
    """Who counts towards quorum when present and identified (R7 / E4)."""
    voter_kinds: frozenset[str]
    """Who votes when taking part (R13 / E4)."""
    mayor_adds_to_base: bool
    """R13: the mayor is not one of the deputies of the total composition, but counts in it
    (base + 1) when taking part. E4: the mayor is one of the committee's total composition."""
    voting_mode: VotingMode
    stand_in_chain: tuple[str, ...]
    """Who presides and signs (R5, E1, E5), in order: the next acts when those before cannot."""
    any_member_stands_in: bool
    """R5 as the council's roster holds it (deputies, no deputy mayors): any member the
    convening names may preside, with the reason; E1: only the chain."""
    callers: tuple[str, ...]
    """Who may call a meeting (R5 / E1): the same chain."""
    protocol_keeper_kind: str
    """The roster kind of who keeps the protocol and counts (R17: the council secretary; E7: the
    general department)."""
    keeper_votes: bool
    """Whether the protocol keeper is a voting member (R7: the council secretary is a deputy; the
    general department of E7 is staff, not a member)."""
    voters_sign: bool
    """R19 / E5: the protocol is agreed by signing by every member who voted: it prints a
    signature line for each of them, signed in rada or not."""
    identifiers: frozenset[str]
    """The session roles that confirm a participant's identity (R11: the chair; E6: the chair or
    the general department)."""
    identify_by_phone: bool
    """E6: identity is confirmed by calling back the personal phone on the list, which the
    identification list shows next to the member."""
    citations: Mapping[str, str] | None
    """What its documents cite under each rule key; None: the council's own table (R1–R20,
    ``councils.citations``)."""
    quorum_rule: str
    majority_rule: str
    voting_rule: str
    words: BodyWords

    def required_for_quorum(self, total_composition: int) -> int:
        """The fewest members that are *more than half* of the total composition (R7, E4)."""
        if total_composition < 1:
            raise Invalid("total composition must be at least 1", field="total_composition")
        return total_composition // 2 + 1

    def counts_for_quorum(self, kind: str, present: bool, identified: bool) -> bool:
        """Whether one participant counts towards quorum: present, identified (R11), and of a
        kind this body counts (R7: deputies, not the mayor; E4: every committee member)."""
        return kind in self.quorum_kinds and present and identified

    def votes(self, kind: str) -> bool:
        return kind in self.voter_kinds

    def majority_base(self, total_composition: int, mayor_taking_part: bool) -> int:
        """What "a majority of the total composition" is a majority of (R13, E4)."""
        if total_composition < 1:
            raise Invalid("total composition must be at least 1", field="total_composition")
        extra = 1 if self.mayor_adds_to_base and mayor_taking_part else 0
        return total_composition + extra

    def required_majority(self, total_composition: int, mayor_taking_part: bool) -> int:
        """Votes "for" needed to adopt: more than half of the base, ``base // 2 + 1``."""
        return self.majority_base(total_composition, mayor_taking_part) // 2 + 1

    def adopted(self, votes_for: int, total_composition: int, mayor_taking_part: bool) -> bool:
        return votes_for >= self.required_majority(total_composition, mayor_taking_part)

    def kind_uk(self, kind: str) -> str:
        return KIND_UK.get(kind, kind)


KIND_UK: Mapping[str, str] = {
    "mayor": "міський голова",
    "deputy": "депутат",
    "secretary": "секретар ради",
    "first_deputy_mayor": "перший заступник міського голови",
    "deputy_mayor": "заступник міського голови з питань діяльності виконавчих органів",
    "member": "член виконавчого комітету",
    "general_department": "загальний відділ",
    "guest": "запрошений",
}
"""Each roster kind's name as the protocol and the consoles print it."""

COUNCIL = RuleSet(
    body=BodyKind.COUNCIL,
    member_kinds=("mayor", "deputy", "secretary"),
    single_kinds=("mayor", "secretary"),
    quorum_kinds=frozenset({"deputy", "secretary"}),  # R7: the mayor is not a deputy
    voter_kinds=frozenset({"deputy", "secretary", "mayor"}),  # R13
    mayor_adds_to_base=True,  # R13
    voting_mode=VotingMode.ROLL_CALL,  # R15
    stand_in_chain=("mayor",),  # R5: the roster has no deputy mayors; a named deputy stands in
    any_member_stands_in=True,
    callers=("mayor",),  # R5
    protocol_keeper_kind="secretary",  # R17
    keeper_votes=True,  # R7
    voters_sign=True,  # R19
    identifiers=frozenset({"chair"}),  # R11
    identify_by_phone=False,
    citations=None,
    quorum_rule="R7",
    majority_rule="R13",
    voting_rule="R15",
    words=BodyWords(
        body="міська рада",
        meeting="сесія",
        meeting_genitive="сесії",
        members="депутати",
        members_genitive="депутатів",
        members_instrumental="депутатами",
        protocol_keeper="секретар ради",
        keeper_title="Секретар ради",
        member_title="Депутат",
        amendment="поправка",
        amendment_accusative="поправку",
        composition_of="загального складу ради",
        vote_caption="Поіменне голосування в алфавітному порядку прізвищ",
        voting_note="Депутати голосують особисто, в алфавітному порядку прізвищ",
        identification_note="Ідентифікацію учасників здійснював головуючий",
        announcement="Дистанційне пленарне засідання",
        notice_calls="скликає дистанційне пленарне засідання",
        notice_subject="дистанційного пленарного засідання",
        notice_identification=(
            "Посилання діє до завершення засідання. Ідентифікацію кожного учасника проводить\n"
            "головуючий на початку засідання (увімкніть камеру та мікрофон)."
        ),
        notice_sent_to="вашу офіційну електронну адресу зі списку учасників засідання",
        meeting_heading="",
        form="дистанційне пленарне засідання в режимі відеоконференції",
        convocation_in_heading=True,
    ),
)

EXECUTIVE_COMMITTEE_KINDS = (
    "mayor",
    "first_deputy_mayor",
    "deputy_mayor",
    "secretary",
    "member",
)
"""The committee's members (E4: all of them make its total composition, the mayor included)."""

EXECUTIVE_COMMITTEE = RuleSet(
    body=BodyKind.EXECUTIVE_COMMITTEE,
    member_kinds=(*EXECUTIVE_COMMITTEE_KINDS, "general_department"),
    single_kinds=("mayor", "first_deputy_mayor", "deputy_mayor", "secretary", "general_department"),
    quorum_kinds=frozenset(EXECUTIVE_COMMITTEE_KINDS),  # E4
    voter_kinds=frozenset(EXECUTIVE_COMMITTEE_KINDS),  # E4
    mayor_adds_to_base=False,  # E4: the mayor is one of the total composition
    voting_mode=VotingMode.SIMULTANEOUS,  # E7: no alphabetical roll call
    stand_in_chain=("mayor", "first_deputy_mayor", "deputy_mayor"),  # E1, E5
    any_member_stands_in=False,
    callers=("mayor", "first_deputy_mayor", "deputy_mayor"),  # E1
    protocol_keeper_kind="general_department",  # E7
    keeper_votes=False,
    voters_sign=True,  # E5
    identifiers=frozenset({"chair", "secretary"}),  # E6
    identify_by_phone=True,  # E6
    citations=EXECUTIVE_CITATIONS,
    quorum_rule="E4",
    majority_rule="E4",
    voting_rule="E7",
    words=BodyWords(
        body="виконавчий комітет",
        meeting="засідання",
        meeting_genitive="засідання",
        members="члени виконкому",
        members_genitive="членів виконкому",
        members_instrumental="членами виконкому",
        protocol_keeper="загальний відділ",
        keeper_title="Загальний відділ",
        member_title="Член виконкому",
        amendment="пропозиція",
        amendment_accusative="пропозицію",
        composition_of="загального складу виконавчого комітету",
        vote_caption="Поіменні результати голосування (усі відповідають одночасно)",
        voting_note=(
            "Члени виконкому голосують особисто й одночасно, кожен на своїй сторінці або "
            "телефоном (відповідь вносить загальний відділ); результати встановлює загальний "
            "відділ"
        ),
        identification_note=(
            "Ідентифікацію та реєстрацію членів виконкому здійснювали головуючий і загальний "
            "відділ за особистими номерами телефонів, які члени виконкому надали особисто"
        ),
        announcement="Дистанційне засідання виконавчого комітету",
        notice_calls="скликає дистанційне засідання виконавчого комітету",
        notice_subject="дистанційного засідання виконавчого комітету",
        notice_identification=(
            "Посилання діє до завершення засідання. Вашу особу підтвердять дзвінком на особистий\n"
            "номер телефону, який ви надали (увімкніть також камеру та мікрофон)."
        ),
        notice_sent_to="адресу електронної пошти, яку ви надали особисто",
        meeting_heading="дистанційного засідання виконавчого комітету",
        form="засідання в режимі відеоконференції",
        convocation_in_heading=False,
    ),
)

RULE_SETS: Mapping[BodyKind, RuleSet] = {
    BodyKind.COUNCIL: COUNCIL,
    BodyKind.EXECUTIVE_COMMITTEE: EXECUTIVE_COMMITTEE,
}


def rule_set(body: str | None) -> RuleSet:
    """The rule set of a body kind; ``None`` (a journal from before bodies) is the council."""
    if body is None:
        return COUNCIL
    try:
        return RULE_SETS[BodyKind(body)]
    except ValueError:
        raise Invalid(
            f"body must be one of {', '.join(b.value for b in BodyKind)}", field="body"
        ) from None


def stand_in(rules: RuleSet, available: Mapping[str, bool]) -> str | None:
    """The first kind of the stand-in chain who can act (R5, E1), ``None`` when nobody can.
    ``available`` maps a kind to whether its holder can act (a missing kind cannot)."""
    return next((kind for kind in rules.stand_in_chain if available.get(kind, False)), None)


_GENITIVE_OF_COUNCIL = (
    ("міська рада", "міської ради"),
    ("сільська рада", "сільської ради"),
    ("селищна рада", "селищної ради"),
)


def council_genitive(council_name: str) -> str:
    """«Коростишівська міська рада» → «Коростишівської міської ради»: the official name's
    adjective in -а takes -ої; a name of another shape is left as it is."""
    for nominative, genitive in _GENITIVE_OF_COUNCIL:
        head = council_name.removesuffix(nominative)
        if head != council_name:
            words = head.rstrip().split(" ")
            if words and words[-1].endswith("а"):
                words[-1] = words[-1][:-1] + "ої"
            return " ".join(w for w in words if w) + " " + genitive
    return council_name


def body_title(rules: RuleSet, council_name: str) -> str:
    """The body's name as a heading prints it: the council's own name, or «Виконавчий комітет
    Коростишівської міської ради» (E1)."""
    if rules.body is BodyKind.COUNCIL:
        return council_name
    return f"Виконавчий комітет {council_genitive(council_name)}"
