"""The presiding script («порядок ведення», P1): the chair's words, step by step. Pure.

Generated from the session as convened (agenda, participants, council) and the rules: opening,
identification (R11) and quorum (R7), each item (report, discussion limit R14, amendments R16,
the roll call in Ukrainian alphabetical order R15 with the majority needed R13), breaks for
technical problems (R10) and closing with the 24-hour deadline (R18). The words cite the
council's Регламент (``citations``), never rada's internal rule numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from orchestrator.conduct.quorum import required_for_quorum
from orchestrator.conduct.rollcall import Voter, roll_call_order
from orchestrator.convening.categories import category_uk
from orchestrator.convening.citations import citations_of
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.ukrainian import council_genitive, plural, roman

DISCUSSION_MINUTES = 5  # the limit the script proposes (R14: the chair may set another)


@dataclass(frozen=True, slots=True)
class Step:
    no: int
    heading: str
    words: str  # what the chair says
    note: str = ""  # what the chair does (not read aloud)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _cite(citations: Mapping[str, str], rule: str) -> str:
    text = citations.get(rule, "")
    return f" ({text})" if text else ""


def steps(convened: ev.SessionConvened, starts_at: datetime) -> list[Step]:
    """The script for one session."""
    council = convened.council or ev.Council()
    cite = citations_of(council.citations if isinstance(council.citations, Mapping) else None)
    total = council.total_composition or 0
    required = required_for_quorum(total) if total else 0
    people = convened.participants
    voters = [
        Voter(p.participant_id, p.surname, p.given_name, p.patronymic)
        for p in people
        if p.kind in ("deputy", "secretary", "mayor")
    ]
    names = {p.participant_id: p.name for p in people}
    order = [names[pid] for pid in roll_call_order(voters)]
    chair = names.get(convened.chair_participant_id or "", "головуючий")
    secretary = names.get(convened.secretary_participant_id or "", "секретар ради")
    local = starts_at.astimezone(KYIV)
    number = convened.number or 0
    out: list[tuple[str, str, str]] = []
    out.append(
        (
            "Відкриття",
            f"Шановні депутати, запрошені, жителі громади! Сьогодні, {day_uk(local.date())} "
            f"року, о {local:%H:%M} розпочинаємо {roman(number) + ' ' if number else ''}сесію "
            f"{council_genitive(council.name) or council.name} у дистанційному режимі. Засідання веде {chair}, протокол веде "
            f"секретар ради {secretary}{_cite(cite, 'R17')}. Засідання записується, запис є "
            f"невід’ємною частиною протоколу{_cite(cite, 'R9')}.",
            "Переконайтеся, що трансляція і запис працюють (індикатор запису на пульті).",
        )
    )
    out.append(
        (
            "Ідентифікація учасників",
            "Прошу кожного учасника по черзі ввімкнути камеру й мікрофон, назвати своє прізвище, "
            f"ім’я та по батькові{_cite(cite, 'R11')}.",
            "Підтверджуйте кожного на пульті кнопкою «Ідентифіковано».",
        )
    )
    out.append(
        (
            "Кворум",
            f"Загальний склад ради — {plural(total, 'депутат', 'депутати', 'депутатів')}. "
            f"Для правомочності засідання потрібно щонайменше {required}"
            f"{_cite(cite, 'R7')}. Ідентифіковано ___ депутатів: засідання правомочне.",
            "Число ідентифікованих показує пульт; без кворуму засідання не відкривається.",
        )
    )
    titles = ", ".join(f"«{item.title}»" for item in convened.agenda)
    out.append(
        (
            "Порядок денний",
            f"На розгляд винесено {plural(len(convened.agenda), 'питання', 'питання', 'питань')}"
            f": {titles}.",
            "",
        )
    )
    majority = total // 2 + 1 if total else 0
    for i, item in enumerate(convened.agenda, start=1):
        out.append(
            (
                f"Питання {i}: {item.title}",
                f"Розглядаємо питання {i} порядку денного «{item.title}» (категорія: "
                f"{_lower_first(category_uk(item.category))}). Слово для доповіді надається ___. "
                f"Пропоную обмежити обговорення {DISCUSSION_MINUTES} хвилинами"
                f"{_cite(cite, 'R14')}. Чи є зауваження та пропозиції до проєкту рішення? "
                "Якщо надійшли поправки, голосуємо спершу кожну поправку, потім проєкт у "
                f"цілому з урахуванням прийнятих поправок{_cite(cite, 'R16')}.",
                "Відкрийте питання на пульті; обмеження часу задайте кнопкою «Обмежити».",
            )
        )
        out.append(
            (
                f"Поіменне голосування з питання {i}",
                "Оголошую поіменне голосування. Називаю прізвища в алфавітному порядку; кожен "
                f"депутат відповідає «за», «проти» або «утримався»{_cite(cite, 'R15')}. Рішення "
                f"приймається, якщо «за» проголосували щонайменше {majority} від загального "
                f"складу ради{_cite(cite, 'R13')}.",
                "Порядок виклику: " + "; ".join(order) + ".",
            )
        )
    out.append(
        (
            "Технічна перерва (за потреби)",
            "У зв’язку з технічними проблемами оголошую перерву. Засідання буде продовжено "
            f"після їх усунення{_cite(cite, 'R10')}.",
            "Якщо запис зупинився, пульт оголошує перерву сам; голосування під час перерви "
            "неможливе.",
        )
    )
    out.append(
        (
            "Закриття",
            "Порядок денний вичерпано. Оголошую сесію закритою. Рішення будуть підписані та "
            f"оприлюднені не пізніше 24 годин після її завершення{_cite(cite, 'R18')}. "
            "Дякую всім за участь.",
            "Закрийте засідання на пульті; секретар готує протокол до підпису.",
        )
    )
    return [Step(no, h, w, n) for no, (h, w, n) in enumerate(out, start=1)]


def to_text(title: str, script: Sequence[Step]) -> str:
    """The script as plain text (the document printed for the chair)."""
    lines = [title, ""]
    for s in script:
        lines.append(f"{s.no}. {s.heading}")
        lines.append(s.words)
        if s.note:
            lines.append(f"[{s.note}]")
        lines.append("")
    return "\n".join(lines)
