"""`rada demo` also shows what comes before and after the sitting (issue 16): two deputies'
answers, one failed technical check, everyone's test token for the short join, the recorder's
ingest test, the script, two registered decisions with numbers and
their distribution delivered to the rehearsal's SMTP sink, the plan with rada's measures ticked."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import DemoRun

pytestmark = pytest.mark.slow


def test_demo_shows_the_plan_attendance_check_script_and_decisions(council_demo: DemoRun) -> None:
    """Each of the acceptance's lines is in the demo's output."""
    out = council_demo.stdout
    assert len(re.findall(r"^присутність: .+ — «(буду|не зможу)»", out, re.MULTILINE)) == 2
    assert "«не зможу» (службове відрядження)" in out
    assert re.search(r"^перевірка зв’язку: пройшли \d+; не пройшли: \S+", out, re.MULTILINE)
    joined = re.search(
        r"^тестове під’єднання: .+ прийнято для (\d+) із (\d+) учасників$", out, re.M
    )
    assert joined and joined[1] == joined[2] and int(joined[1]) > 2
    assert re.search(
        r"^перевірка запису: тестову трансляцію записано — \d+ кадр\w*, [\d.]+ с, "
        r"SHA-256 [0-9a-f]{12}…; до архіву не входить$",
        out,
        re.MULTILINE,
    )
    assert re.search(r"^порядок ведення: Порядок ведення I \(позачергової\) сесії", out, re.M)
    numbers = re.findall(r"^рішення № (\S+) «.+» зареєстровано й підписано$", out, re.MULTILINE)
    assert numbers == ["1-I/VIII", "2-I/VIII"]
    delivered = re.findall(r"^розсилка № (\S+): .+ — доставлено", out, re.MULTILINE)
    assert sorted(delivered) == sorted(numbers * 2)
    assert "у поштовому сервері репетиції листів із рішеннями: 4" in out
    ticked = re.findall(r"^  \[✓\] \d+\. (.+) — до .+ — відмітила rada$", out, re.MULTILINE)
    assert any(t.startswith("Оприлюднити протокол") for t in ticked)
    assert any(t.startswith("Надіслати копії рішень виконавцям") for t in ticked)
    by_office = re.findall(r"^  \[✓\] \d+\. (.+) — до [^—]+$", out, re.MULTILINE)
    assert any(t.startswith("Підготувати порядок ведення") for t in by_office)
