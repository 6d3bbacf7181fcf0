"""Rehearsal scenarios (``rada rehearse SCENARIO.json``, ``rada demo``): format and checks.

Pure. The format (documented in the README)::

    {"council": {"name", "convocation", "total_composition"},
     "roster": [{"surname", "given_name", "patronymic", "role": "mayor|deputy|secretary|guest",
                 "email", "phone"}],
     "session": {"title", "number", "agenda": [{"title", "category", "secret_ballot"}]},
     "attend": [e-mails of those who join],
     "answers": [{"item", "amendment"?, "by": e-mail, "answer": "for|against|abstain|none"}],
     "breaks": [{"before_item", "seconds", "cause": "recording_lost|chair"}],
     "reconnects": [{"item", "amendment"?, "by": e-mail}],
     "body": "council|executive_committee"}

``"body": "executive_committee"`` (E1–E8) takes the committee's roles (mayor,
first_deputy_mayor, deputy_mayor, secretary, member, general_department) and the keys
``rehearsal/committee.py`` reads: the committee's ``composition``, the presiding stand-in in
``session.chair`` (an e-mail) with ``session.chair_reason``, ``"via": "phone"`` on an answer
the general department enters, and ``remarks``/``amendments`` ``[{"item", "by", "text"}]``.

The secretary is the deputy who keeps the protocol (R17). An amendment index in ``answers``
means that amendment is proposed and voted before the item's text (R16). A voter who takes part
and has no answer for a vote is skipped by the chair (не голосував), as is ``"none"``.
A reconnect drops ``by`` out of the call in the middle of that vote's roll call (before their
turn), brings them back and has the chair identify them again (R11) before they are called
(one who does not attend, or is not in that roll call, has nothing to reconnect).
The scenario's own shape is checked here; what the rules forbid (a secret ballot, no quorum) is
left to the service, whose refusal ends the rehearsal.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestrator.conduct.tally import Answer
from orchestrator.convening.bodies import rule_set
from orchestrator.convening.roster import KINDS
from orchestrator.kernel.errors import Invalid

ROLES = frozenset({*KINDS, "guest"})
"""A council scenario's roles; another body's are its rule set's kinds and ``guest``."""
ANSWERS = frozenset(a.value for a in Answer)
BREAK_CAUSES = frozenset({"recording_lost", "chair"})
MAX_BREAK_SECONDS = 600


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """One row of a scenario's roster: a roster member, or (``role`` guest) an invited guest;
    ``roster_row`` is the row the roster API takes."""

    surname: str
    given_name: str
    patronymic: str
    role: str
    email: str
    phone: str

    def roster_row(self) -> dict[str, str]:
        return {
            "surname": self.surname,
            "given_name": self.given_name,
            "patronymic": self.patronymic,
            "role": self.role,
            "email": self.email,
            "phone": self.phone,
        }


@dataclass(frozen=True, slots=True)
class Planned:
    item: int
    amendment: int | None
    by: str
    answer: str


@dataclass(frozen=True, slots=True)
class PlannedBreak:
    before_item: int
    seconds: float
    cause: str


@dataclass(frozen=True, slots=True)
class Reconnect:
    item: int
    amendment: int | None
    by: str


@dataclass(frozen=True, slots=True)
class Scenario:
    council: dict[str, Any]
    roster: list[RosterEntry]
    session: dict[str, Any]
    attend: list[str]
    answers: list[Planned]
    breaks: list[PlannedBreak]
    reconnects: list[Reconnect] = field(default_factory=list)
    body: str = "council"  # "executive_committee": rehearsal/committee.py plays it (E1–E8)

    def amendments(self, item: int) -> int:
        """How many amendments the scenario votes on ``item``."""
        found = [a.amendment for a in self.answers if a.item == item and a.amendment is not None]
        return max(found) + 1 if found else 0

    def answer_of(self, item: int, amendment: int | None, email: str) -> str | None:
        for a in self.answers:
            if (a.item, a.amendment, a.by) == (item, amendment, email):
                return a.answer
        return None

    def breaks_before(self, item: int) -> list[PlannedBreak]:
        return [b for b in self.breaks if b.before_item == item]

    def reconnecting(self, item: int, amendment: int | None) -> list[str]:
        """Who drops out and comes back during this vote's roll call (e-mails)."""
        return [r.by for r in self.reconnects if (r.item, r.amendment) == (item, amendment)]


def _obj(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where} must be an object", field=where)
    return raw


def _list(raw: object, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise Invalid(f"{where} must be a list", field=where)
    return raw


def _str(body: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = body.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value.strip()):
        raise Invalid(f"{where}.{key} must be text", field=f"{where}.{key}")
    return value.strip()


def _int(body: Mapping[str, Any], key: str, where: str, lo: int, hi: int) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise Invalid(f"{where}.{key} must be a whole number {lo}..{hi}", field=f"{where}.{key}")
    return value


def parse(raw: object) -> Scenario:
    """Check a scenario's shape; :class:`Invalid` names the first problem."""
    body = _obj(raw, "scenario")
    rules = rule_set(body.get("body", "council"))
    roles = frozenset({*rules.member_kinds, "guest"})
    council = _obj(body.get("council"), "council")
    roster: list[RosterEntry] = []
    for i, r in enumerate(_list(body.get("roster"), "roster")):
        where = f"roster[{i}]"
        row = _obj(r, where)
        person = RosterEntry(
            _str(row, "surname", where),
            _str(row, "given_name", where),
            _str(row, "patronymic", where, required=False),
            _str(row, "role", where),
            _str(row, "email", where).lower(),
            _str(row, "phone", where),
        )
        if person.role not in roles:
            raise Invalid(f"{where}.role must be one of {sorted(roles)}", field=f"{where}.role")
        roster.append(person)
    emails = [p.email for p in roster]
    if len(set(emails)) != len(emails):
        raise Invalid("two roster entries share an e-mail", field="roster")
    session = _obj(body.get("session"), "session")
    agenda = _list(session.get("agenda"), "session.agenda")
    attend = [str(e).lower() for e in _list(body.get("attend", []), "attend")]
    unknown = sorted(set(attend) - set(emails))
    if unknown:
        raise Invalid(f"attend names people not on the roster: {unknown}", field="attend")
    answers = []
    for i, a in enumerate(_list(body.get("answers", []), "answers")):
        where = f"answers[{i}]"
        row = _obj(a, where)
        item, amendment, by = _moment(row, where, len(agenda), emails)
        answer = _str(row, "answer", where)
        if answer not in ANSWERS:
            raise Invalid(
                f"{where}.answer must be one of {sorted(ANSWERS)}", field=f"{where}.answer"
            )
        answers.append(Planned(item, amendment, by, answer))
    breaks = []
    for i, b in enumerate(_list(body.get("breaks", []), "breaks")):
        where = f"breaks[{i}]"
        row = _obj(b, where)
        cause = _str(row, "cause", where)
        if cause not in BREAK_CAUSES:
            raise Invalid(
                f"{where}.cause must be one of {sorted(BREAK_CAUSES)}", field=f"{where}.cause"
            )
        seconds = row.get("seconds")
        if not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_BREAK_SECONDS:
            raise Invalid(
                f"{where}.seconds must be 0..{MAX_BREAK_SECONDS}", field=f"{where}.seconds"
            )
        breaks.append(
            PlannedBreak(_int(row, "before_item", where, 0, len(agenda)), float(seconds), cause)
        )
    reconnects = []
    for i, r in enumerate(_list(body.get("reconnects", []), "reconnects")):
        where = f"reconnects[{i}]"
        item, amendment, by = _moment(_obj(r, where), where, len(agenda), emails)
        reconnects.append(Reconnect(item, amendment, by))
    return Scenario(
        dict(council),
        roster,
        dict(session),
        attend,
        answers,
        breaks,
        reconnects,
        rules.body.value,
    )


def _moment(
    row: Mapping[str, Any], where: str, items: int, emails: Collection[str]
) -> tuple[int, int | None, str]:
    """Where in the sitting a planned act happens and who acts: the item, the amendment vote
    (or the main vote) and the roster e-mail of the person."""
    item = _int(row, "item", where, 0, max(items - 1, 0))
    amendment = row.get("amendment")
    if amendment is not None:
        amendment = _int(row, "amendment", where, 0, 50)
    by = _str(row, "by", where).lower()
    if by not in emails:
        raise Invalid(f"{where}.by is not on the roster", field=f"{where}.by")
    return item, amendment, by


# --- the built-in demo (rada demo) ---------------------------------------------------------

_DEPUTIES = [
    ("Ґудзь", "Богдан", "Ігорович"),
    ("Єрмоленко", "Ірина", "Олегівна"),
    ("Іваненко", "Андрій", "Миколайович"),
    ("Їжакевич", "Марія", "Степанівна"),
    ("Д'яченко", "Тарас", "Васильович"),
    ("Петренко-Лисенко", "Оксана", "Іванівна"),
    ("Мʼясоїд", "Василь", "Петрович"),
    ("Андрієнко", "Ольга", "Миколаївна"),
    ("Бондар", "Роман", "Іванович"),
    ("Гнатюк", "Світлана", "Богданівна"),
    ("Євтушенко", "Петро", "Андрійович"),
    ("Ігнатенко", "Леся", "Юріївна"),
    ("Жук", "Олександр", "Олексійович"),
    ("Зінченко", "Наталія", "Павлівна"),
    ("Кравчук", "Юрій", "Васильович"),
    ("Литвин", "Галина", "Іванівна"),
    ("Мельник", "Віктор", "Сергійович"),
    ("Нестеренко", "Дарина", "Олегівна"),
    ("Олійник", "Степан", "Петрович"),
    ("Павленко", "Ірина", "Романівна"),
    ("Руденко", "Максим", "Ігорович"),
    ("Савчук", "Оксана", "Миколаївна"),
    ("Ткаченко", "Іван", "Іванович"),
    ("Ус", "Лариса", "Андріївна"),
    ("Федоренко", "Артем", "Олександрович"),
    ("Яковенко", "Тетяна", "Вікторівна"),
]


def demo() -> dict[str, Any]:
    """A 26-seat council, surnames with Ґ Є І Ї, an amendment, one outage break, a deputy who
    reconnects mid roll call."""
    roster = [
        {
            "surname": "Коваленко",
            "given_name": "Олена",
            "patronymic": "Петрівна",
            "role": "mayor",
            "email": "mayor@demo.rada.test",
            "phone": "+380501000000",
        }
    ]
    for i, (surname, given, patronymic) in enumerate(_DEPUTIES):
        roster.append(
            {
                "surname": surname,
                "given_name": given,
                "patronymic": patronymic,
                "role": "secretary" if i == 1 else "deputy",
                "email": f"deputy{i:02d}@demo.rada.test",
                "phone": f"+3805010000{i:02d}",
            }
        )
    roster.append(
        {
            "surname": "Прокопенко",
            "given_name": "Марко",
            "patronymic": "Ігорович",
            "role": "guest",
            "email": "prosecutor@demo.rada.test",
            "phone": "+380501009999",
        }
    )
    attending = [r["email"] for r in roster[:21]] + ["prosecutor@demo.rada.test"]  # 20 deputies
    voters = [e for e in attending if e.startswith(("mayor", "deputy"))]
    answers: list[dict[str, Any]] = []
    for n, email in enumerate(voters):
        answers.append(
            {"item": 0, "amendment": 0, "by": email, "answer": "for" if n % 3 else "against"}
        )
        answers.append({"item": 0, "by": email, "answer": "abstain" if n == 4 else "for"})
        if n != 7:  # one deputy does not answer on item 2: не голосував
            answers.append({"item": 1, "by": email, "answer": "for" if n % 4 else "against"})
    return {
        "council": {
            "name": "Демонстраційна міська рада",
            "convocation": 8,
            "total_composition": 26,
        },
        "roster": roster,
        "session": {
            "title": "Позачергова дистанційна сесія",
            "number": 1,
            "agenda": [
                {
                    "title": "Про внесення змін до міського бюджету на 2026 рік",
                    "category": "urgent_budget",
                    "secret_ballot": False,
                },
                {
                    "title": "Про невідкладні роботи з ліквідації наслідків пошкодження водогону",
                    "category": "emergency_works",
                    "secret_ballot": False,
                },
            ],
        },
        "attend": attending,
        "answers": answers,
        "breaks": [{"before_item": 1, "seconds": 2, "cause": "recording_lost"}],
        # Павленко, late in the R15 order, drops out mid roll call on item 2 and comes back (R11)
        "reconnects": [{"item": 1, "by": "deputy19@demo.rada.test"}],
    }
