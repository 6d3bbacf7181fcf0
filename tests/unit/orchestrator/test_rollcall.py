"""Ukrainian alphabetical roll-call order (R15)."""

import random

import pytest

from orchestrator.conduct.rollcall import Voter, roll_call_order
from orchestrator.convening.names import collation_levels


def _order(surnames: list[str]) -> list[str]:
    voters = [Voter(s, s, "Іван") for s in surnames]
    return roll_call_order(voters)


@pytest.mark.parametrize(
    "expected",
    [
        ["Гаврилюк", "Ґалаґан", "Дмитренко"],  # Ґ after Г, before Д
        ["Гуменюк", "Ґава"],  # Ґ is a letter of its own, not a variant of Г
        ["Ерделі", "Єрмоленко", "Жук"],  # Є after Е
        ["Иванченко", "Іваненко", "Їжак", "Йосипенко", "Кравчук"],  # И І Ї Й
        ["Щербак", "Ьотов", "Юрченко", "Яковенко"],  # Ь before Ю
        ["Ігнатенко", "Ївженко"],
        ["Ткач", "Ткаченко"],  # a prefix sorts first
        ["абрамчук", "Абрамчук"],  # lower before upper when letters are equal
    ],
)
def test_alphabet_order(expected: list[str]) -> None:
    """Surnames follow the Ukrainian alphabet, not code points."""
    shuffled = expected[:]
    random.Random(4).shuffle(shuffled)
    assert _order(shuffled) == expected


def test_not_code_point_order() -> None:
    """Code-point order would put Є, І, Ї, Ґ after Я; the collation does not."""
    names = ["Яременко", "Ґудзь", "Єфименко", "Іщенко", "Їжакевич"]
    assert sorted(names) != _order(names)
    assert _order(names) == ["Ґудзь", "Єфименко", "Іщенко", "Їжакевич", "Яременко"]


def test_apostrophe_is_ignored_at_primary_level() -> None:
    """ "Мʼясоїд" sorts as "мясоїд": by its letters, the apostrophe ignored."""
    assert collation_levels("Мʼясоїд")[0] == collation_levels("мясоїд")[0]
    assert _order(["Мʼясоїд", "Мясников", "Марченко"]) == ["Марченко", "Мясников", "Мʼясоїд"]


def test_apostrophe_glyphs_are_one_character() -> None:
    """', ’ and ʼ are the same apostrophe at every level."""
    plain, right_quote, modifier = "Д'яченко", "Д’яченко", "Дʼяченко"
    assert collation_levels(plain) == collation_levels(right_quote) == collation_levels(modifier)


def test_apostrophe_and_hyphen_only_break_ties() -> None:
    """Ignoring punctuation, Дяченко = Д'яченко; then the apostrophe sorts first (UCA shifted)."""
    assert _order(["Дяченко", "Д'яченко", "Дьяченко"]) == ["Дьяченко", "Д'яченко", "Дяченко"]
    assert _order(["Петрів", "ПетренкоЛисенко", "Петренко-Лисенко", "Петренко", "Петренко-Ли"]) == [
        "Петренко",
        "Петренко-Ли",
        "Петренко-Лисенко",
        "ПетренкоЛисенко",
        "Петрів",
    ]


def test_case_is_compared_after_every_letter() -> None:
    """Case differences never beat a letter difference later in the name."""
    assert _order(["ДЕМЧЕНКО", "демченко", "Демчук"]) == ["демченко", "ДЕМЧЕНКО", "Демчук"]


def test_same_surname_then_given_name_then_patronymic_then_id() -> None:
    """Same surname: given name decides, then patronymic, then the stable id."""
    voters = [
        Voter("4", "Коваленко", "Олена", "Петрівна"),
        Voter("3", "Коваленко", "Олена", "Іванівна"),
        Voter("2", "Коваленко", "Єва", "Ярославівна"),
        Voter("6", "Коваленко", "Олена", "Іванівна"),
        Voter("1", "Ковалевська", "Юлія", ""),
    ]
    assert roll_call_order(voters) == ["1", "2", "3", "6", "4"]


def test_punctuation_difference_in_surname_yields_to_given_name() -> None:
    """Surnames equal but for an apostrophe: the given name decides before the apostrophe."""
    voters = [Voter("a", "Дяченко", "Андрій"), Voter("b", "Д'яченко", "Богдан")]
    assert roll_call_order(voters) == ["a", "b"]


def test_decomposed_short_i_is_normalised() -> None:
    """И + combining breve is Й (NFC), sorted after Ї."""
    assert _order(["Йосипчук", "Ї", "И\u0306осипенко"]) == ["Ї", "И\u0306осипенко", "Йосипчук"]


def test_latin_after_cyrillic_and_digits_first() -> None:
    """Digits before letters; Latin after Cyrillic (CLDR uk reorders Cyrillic first)."""
    assert _order(["Smith", "Яковенко", "1-й"]) == ["1-й", "Яковенко", "Smith"]
