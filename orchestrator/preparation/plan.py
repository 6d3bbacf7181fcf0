"""The session plan of organisational and technical measures (P1, S1, P2). Pure.

A council's template lists measures with deadlines *relative to the sitting*: so many days
before or after it (counted in working days, Monday to Friday, or in calendar days), at a
Kyiv wall-clock time or at the sitting's own hour. A session's plan is the template frozen at
convening (``session_plans``); its deadlines are computed here from the sitting's start, in
Kyiv time, so that a plan across a weekend or a change to or from summer time still reads
«до 17:00 п'ятниці» as the office means it.

Measures that rada itself performs carry an ``auto`` kind and are ticked from the session's
journal (:func:`journal_ticks`); the others are ticked by the office (``plan_measure_done``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.ukrainian import (
    Case,
    council_genitive,
    number_of,
    ordinal,
    roman,
)


class Auto(StrEnum):
    """What rada does itself, and the journal event that shows it done (P1)."""

    ANNOUNCE = "announce"  # session_announced: the decision and agenda published (R3, R4)
    NOTIFY = "notify"  # session_announced queues every notice with the drafts (R4)
    ATTENDANCE = "attendance"  # every deputy answered «буду» / «не зможу»
    OPEN = "open"  # session_opened: the plenary and its broadcast
    REGISTER = "register"  # session_competent: participants identified (R7, R11)
    RESULTS = "results"  # session_closed: every roll call published as it closed (R20)
    SIGN = "sign"  # every registered decision signed (S3)
    PUBLISH_PROTOCOL = "publish_protocol"  # protocol_published (R18, R20)
    DISTRIBUTE = "distribute"  # every signed decision delivered to every executor (S4)


@dataclass(frozen=True, slots=True)
class MeasureSpec:
    """One line of a template: what, when relative to the sitting, who."""

    key: str
    title: str
    responsible: str
    offset_days: int  # negative: before the sitting's day; positive: after
    at: time | None = None  # Kyiv wall-clock time; None: the sitting's own hour
    working_days: bool = True  # count Monday–Friday only
    auto: Auto | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "responsible": self.responsible,
            "offset_days": self.offset_days,
            "at": None if self.at is None else f"{self.at:%H:%M}",
            "working_days": self.working_days,
            "auto": None if self.auto is None else self.auto.value,
        }


SECRETARIAT = "Секретаріат ради"
GENERAL = "Загальний відділ"
IT = "Відділ інформаційних технологій"
PRESS = "Відділ інформаційної політики"
LEGAL = "Юридичний відділ"

DEFAULT_TEMPLATE: tuple[MeasureSpec, ...] = (
    MeasureSpec("announce", "Оприлюднити на вебсайті ради розпорядження про скликання сесії "
                "та порядок денний", PRESS, -2, time(17, 0), auto=Auto.ANNOUNCE),
    MeasureSpec("notify", "Повідомити депутатів і надіслати проєкти рішень на їхні офіційні "
                "електронні адреси", SECRETARIAT, -2, time(17, 0), auto=Auto.NOTIFY),
    MeasureSpec("packets", "Сформувати пакети документів для депутатів і запрошених",
                GENERAL, -1, time(12, 0)),
    MeasureSpec("attendance", "Зібрати інформацію про очікувану присутність депутатів",
                SECRETARIAT, -1, time(15, 0), auto=Auto.ATTENDANCE),
    MeasureSpec("script", "Підготувати порядок ведення сесії для головуючого",
                SECRETARIAT, -1, time(17, 0)),
    MeasureSpec("check", "Провести технічну перевірку системи голосування і зв’язку з "
                "учасниками", IT, -1, time(15, 0)),
    MeasureSpec("plenary", "Організувати пленарне засідання та його онлайн-трансляцію",
                IT, 0, None, auto=Auto.OPEN),
    MeasureSpec("register", "Зареєструвати (ідентифікувати) депутатів, представників преси "
                "та запрошених", SECRETARIAT, 0, None, auto=Auto.REGISTER),
    MeasureSpec("results", "Оприлюднити результати поіменного голосування", PRESS, 0,
                time(23, 59), working_days=False, auto=Auto.RESULTS),
    MeasureSpec("sign", "Підписати рішення сесії", SECRETARIAT, 1, None,
                working_days=False, auto=Auto.SIGN),
    MeasureSpec("publish", "Оприлюднити протокол і рішення сесії", PRESS, 1, None,
                working_days=False, auto=Auto.PUBLISH_PROTOCOL),
    MeasureSpec("distribute", "Надіслати копії рішень виконавцям і авторам проєктів",
                GENERAL, 3, time(17, 0), auto=Auto.DISTRIBUTE),
)  # fmt: skip
"""P1 as the Sloviansk plan has it (publish ≥ 2 days ahead, attendance and the technical check
the day before, sign within 24 hours, R18; distribute within 1–2 days of signing, S4)."""

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_MEASURES = 60


def shift_days(day: date, offset: int, *, working_days: bool) -> date:
    """``offset`` days from ``day`` (negative: back); in working days, Saturdays and Sundays
    are not counted (a Monday's «1 working day before» is the Friday)."""
    if not working_days:
        return day + timedelta(days=offset)
    step = -1 if offset < 0 else 1
    left = abs(offset)
    while left:
        day += timedelta(days=step)
        if day.weekday() < 5:
            left -= 1
    return day


def deadline(spec: MeasureSpec, starts_at: datetime) -> datetime:
    """The measure's deadline for a sitting that starts at ``starts_at`` (aware), as an aware
    Kyiv datetime: the wall-clock time is kept across a change to or from summer time."""
    local = starts_at.astimezone(KYIV)
    day = shift_days(local.date(), spec.offset_days, working_days=spec.working_days)
    wall = spec.at if spec.at is not None else local.time().replace(tzinfo=None)
    return datetime.combine(day, wall, tzinfo=KYIV)


# --- the template as the council edits it ---------------------------------------------------


def parse_template(value: Any) -> tuple[MeasureSpec, ...]:
    """A template from JSON (the council's edit, or what a session froze); raises Invalid."""
    if not isinstance(value, list) or not value:
        raise Invalid("measures must be a non-empty list", field="measures")
    if len(value) > MAX_MEASURES:
        raise Invalid(f"a plan has at most {MAX_MEASURES} measures", field="measures")
    out: list[MeasureSpec] = []
    for i, raw in enumerate(value):
        out.append(_spec(raw, f"measures[{i}]."))
    keys = [m.key for m in out]
    if len(set(keys)) != len(keys):
        raise Invalid("each measure needs its own key", field="measures")
    return tuple(out)


def _text(raw: Mapping[str, Any], name: str, prefix: str, max_len: int) -> str:
    value = raw.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise Invalid(f"{prefix}{name}: 1–{max_len} characters", field=prefix + name)
    if any(ord(ch) < 32 for ch in value):
        raise Invalid(f"{prefix}{name} contains control characters", field=prefix + name)
    return value.strip()


def _spec(raw: Any, prefix: str) -> MeasureSpec:
    if not isinstance(raw, Mapping):
        raise Invalid(f"{prefix[:-1]} must be an object", field=prefix[:-1])
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise Invalid(f"{prefix}key: lower-case latin letters, digits, _", field=prefix + "key")
    offset = raw.get("offset_days")
    if type(offset) is not int or not -60 <= offset <= 60:
        raise Invalid(f"{prefix}offset_days: an integer −60…60", field=prefix + "offset_days")
    at_raw = raw.get("at")
    at = None
    if at_raw is not None:
        match = _TIME.match(at_raw) if isinstance(at_raw, str) else None
        if match is None:
            raise Invalid(f"{prefix}at: HH:MM or null", field=prefix + "at")
        at = time(int(match[1]), int(match[2]))
    working = raw.get("working_days", True)
    if not isinstance(working, bool):
        raise Invalid(f"{prefix}working_days must be true or false", field=prefix + "working_days")
    auto_raw = raw.get("auto")
    auto = None
    if auto_raw is not None:
        try:
            auto = Auto(auto_raw)
        except ValueError:
            names = ", ".join(a.value for a in Auto)
            raise Invalid(f"{prefix}auto: one of {names} or null", field=prefix + "auto") from None
    return MeasureSpec(
        key=key,
        title=_text(raw, "title", prefix, 300),
        responsible=_text(raw, "responsible", prefix, 200),
        offset_days=offset,
        at=at,
        working_days=working,
        auto=auto,
    )


# --- ticks from the journal -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tick:
    at: datetime
    by: str  # "rada" for a measure rada performed; the office's actor otherwise


def journal_ticks(events: Iterable[Event]) -> dict[str, Tick]:
    """What the journal shows done: ``auto`` kinds (rada's acts) and measure keys (the
    office's ``plan_measure_done``)."""
    ticks: dict[str, Tick] = {}
    deputies: set[str] = set()
    answered: set[str] = set()
    executors: dict[str, int] = {}  # signed decision → how many executors its list has
    delivered: dict[str, set[int]] = {}
    registered: set[str] = set()

    def tick(key: str, e: Event, by: str = "rada") -> None:
        ticks.setdefault(key, Tick(e.at, by))

    for e in events:
        if e.type == ev.SESSION_CONVENED:
            convened = ev.SessionConvened.from_payload(e.payload)
            deputies = {
                p.participant_id for p in convened.participants if p.kind in ("deputy", "secretary")
            }
        elif e.type == ev.SESSION_ANNOUNCED:
            tick(Auto.ANNOUNCE, e)
            tick(Auto.NOTIFY, e)
        elif e.type == ev.ATTENDANCE_ANSWERED:
            answered.add(ev.AttendanceAnswered.from_payload(e.payload).participant_id)
            if deputies and deputies <= answered:
                tick(Auto.ATTENDANCE, e)
        elif e.type == ev.SESSION_OPENED:
            tick(Auto.OPEN, e)
        elif e.type == ev.SESSION_COMPETENT:
            tick(Auto.REGISTER, e)
        elif e.type == ev.SESSION_CLOSED:
            tick(Auto.RESULTS, e)
        elif e.type == ev.PROTOCOL_PUBLISHED:
            tick(Auto.PUBLISH_PROTOCOL, e)
        elif e.type == ev.DECISION_REGISTERED:
            registered.add(ev.DecisionRegistered.from_payload(e.payload).decision_id)
        elif e.type == ev.DECISION_SIGNED:
            signed = ev.DecisionSigned.from_payload(e.payload)
            executors[signed.decision_id] = signed.executors
            if registered and registered <= set(executors):
                tick(Auto.SIGN, e)
        elif e.type == ev.DECISION_DELIVERED:
            d = ev.DecisionDelivered.from_payload(e.payload)
            if d.status == "sent":
                delivered.setdefault(d.decision_id, set()).add(d.executor)
            everyone = all(len(delivered.get(k, ())) >= n for k, n in executors.items())
            if Auto.SIGN in ticks and everyone:
                tick(Auto.DISTRIBUTE, e)
        elif e.type == ev.PLAN_MEASURE_DONE:
            done = ev.PlanMeasureDone.from_payload(e.payload)
            tick(done.measure, e, by=e.actor)
    return ticks


# --- the plan as the office reads it ----------------------------------------------------------


class State(StrEnum):
    DONE = "done"
    OVERDUE = "overdue"
    DUE = "due"


STATE_UK = {State.DONE: "виконано", State.OVERDUE: "прострочено", State.DUE: "до виконання"}


@dataclass(frozen=True, slots=True)
class PlanLine:
    no: int
    spec: MeasureSpec
    deadline: datetime
    state: State
    done: Tick | None

    @property
    def deadline_uk(self) -> str:
        """«до 17:00 20 травня 2026 р.»: the plan table's «термін»."""
        local = self.deadline.astimezone(KYIV)
        return f"до {local:%H:%M} {day_uk(local.date())} р."


def lines(
    template: Sequence[MeasureSpec], starts_at: datetime, ticks: Mapping[str, Tick], now: datetime
) -> list[PlanLine]:
    """The plan: each measure's deadline and whether it is done, overdue or still due."""
    out = []
    for no, spec in enumerate(template, start=1):
        done = ticks.get(spec.auto.value if spec.auto else spec.key) or ticks.get(spec.key)
        when = deadline(spec, starts_at)
        if done is not None:
            state = State.DONE
        elif now > when:
            state = State.OVERDUE
        else:
            state = State.DUE
        out.append(PlanLine(no, spec, when, state, done))
    return out


def title_uk(
    session_number: int, session_title: str, council_name: str, convocation: int | str
) -> str:
    """P2: «План організаційно-технічних заходів з підготовки та проведення LXXXIII
    (позачергової) сесії Слов’янської міської ради сьомого скликання»."""
    extraordinary = " (позачергової)" if "позачергов" in session_title.lower() else ""
    council = council_genitive(council_name) or f"ради («{council_name}»)"
    n = number_of(convocation)
    convocation_uk = (
        f"{ordinal(n, case=Case.GENITIVE)} скликання"
        if n is not None and 1 <= n <= 999
        else f"{convocation} скликання"
    )
    return (
        "План організаційно-технічних заходів з підготовки та проведення "
        f"{roman(session_number)}{extraordinary} сесії {council} {convocation_uk}"
    )
