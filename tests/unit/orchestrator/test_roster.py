"""Roster CSV import: Ukrainian names, per-row errors, nothing imported from a bad file (R6, R7)."""

from __future__ import annotations

import pytest

from orchestrator.convening import roster
from orchestrator.kernel.errors import Invalid

HEADER = "surname,given_name,patronymic,role,email,phone\n"
GOOD = HEADER + (
    "Коваленко,Олена,Петрівна,mayor,mayor@rada.test,+380501112233\n"
    "Ґудзь,Богдан,Ігорович,deputy,gudz@rada.test,050 111 22 34\n"
    "Єрмоленко,Ірина,Олегівна,secretary,sec@rada.test,+380501112235\n"
    "Д'яченко,Тарас,,deputy,dy@rada.test,+380501112236\n"
)


def errors_of(data: bytes, total: int = 26) -> list[dict[str, object]]:
    with pytest.raises(Invalid) as info:
        roster.read_csv(data, total)
    return list(info.value.errors) or [{"field": info.value.field, "detail": info.value.detail}]


def test_good_file_parses_with_normalised_phones() -> None:
    """Ukrainian names with Ґ, Є, apostrophes survive; 0XX phones become +380XX."""
    rows = roster.read_csv(GOOD.encode(), 26)
    assert [r.surname for r in rows] == ["Коваленко", "Ґудзь", "Єрмоленко", "Д'яченко"]
    assert rows[1].phone == "+380501112234"
    assert rows[3].patronymic == ""


def test_bom_is_accepted() -> None:
    """Excel's "CSV UTF-8" adds a byte-order mark."""
    assert len(roster.read_csv(b"\xef\xbb\xbf" + GOOD.encode(), 26)) == 4


def test_windows_1251_is_refused_with_advice() -> None:
    """A file in the old Cyrillic code page is refused, saying how to fix it."""
    errs = errors_of(GOOD.encode("cp1251"))
    assert "UTF-8" in str(errs[0]["detail"])


def test_every_bad_row_is_reported() -> None:
    """Each wrong row gets its line number and field; the whole file is refused."""
    data = GOOD + (
        "Петренко,Іван,,deputy,not-an-email,+380501112237\n"
        "Сидоренко,Петро,,speaker,s@rada.test,+380501112238\n"
        "Шевчук,Ганна,,deputy,gudz@rada.test,+380501112239\n"
        "Ткач,Олег,,deputy,t@rada.test,12\n"
    )
    errs = errors_of(data.encode())
    assert [(e["row"], e["field"]) for e in errs] == [
        (6, "email"),
        (7, "role"),
        (8, "email"),
        (9, "phone"),
    ]


def test_more_deputies_than_total_composition_is_refused() -> None:
    """R7: the roster cannot hold more deputies than the council's legal size."""
    errs = errors_of(GOOD.encode(), total=2)
    assert "total composition" in str(errs[-1]["detail"])


def test_two_mayors_are_refused() -> None:
    """A council has one mayor."""
    data = GOOD + "Інший,Мер,,mayor,m2@rada.test,+380501112299\n"
    assert "more than one mayor" in str(errors_of(data.encode())[-1]["detail"])


def test_missing_column_is_named() -> None:
    """A header without the e-mail column is refused naming it."""
    errs = errors_of("surname,given_name,role,phone\nА,Б,deputy,+380501112233\n".encode())
    assert "email" in str(errs[0]["detail"])


def test_extra_cells_are_refused() -> None:
    """A row with more cells than columns (a stray comma) is an error, not silently cut."""
    errs = errors_of((HEADER + "А,Б,В,deputy,a@b.ua,+380501112233,extra\n").encode())
    assert errs[0]["row"] == 2


def test_export_round_trips() -> None:
    """write_csv → read_csv gives the same rows."""
    rows = roster.read_csv(GOOD.encode(), 26)
    assert roster.read_csv(roster.write_csv(rows), 26) == rows
