"""Ukrainian grammar for what people read: agreement, gender, vocative, ordinals."""

from __future__ import annotations

import pytest

from orchestrator.kernel.ukrainian import (
    Case,
    Gender,
    agree,
    gender_of,
    number_of,
    ordinal,
    plural,
    roman,
    salutation,
    vocative_given_name,
)

PARTICIPANTS = ("учасник", "учасники", "учасників")
PARTS = ("частина", "частини", "частин")


@pytest.mark.parametrize(
    ("n", "participants", "parts"),
    [
        (1, "1 учасник", "1 частина"),
        (2, "2 учасники", "2 частини"),
        (5, "5 учасників", "5 частин"),
        (11, "11 учасників", "11 частин"),
        (12, "12 учасників", "12 частин"),
        (21, "21 учасник", "21 частина"),
        (22, "22 учасники", "22 частини"),
        (25, "25 учасників", "25 частин"),
        (0, "0 учасників", "0 частин"),
        (111, "111 учасників", "111 частин"),
    ],
)
def test_plural_agrees_with_the_number(n: int, participants: str, parts: str) -> None:
    """1 and 21 take the singular, 2–4 and 22 the paucal, 5–20 and 25 the genitive plural."""
    assert plural(n, *PARTICIPANTS) == participants
    assert plural(n, *PARTS) == parts


@pytest.mark.parametrize(
    ("given", "patronymic", "gender"),
    [
        ("Іван", "Михайлович", Gender.MALE),
        ("Юрій", "Ілліч", Gender.MALE),
        ("Микола", "Кузьмич", Gender.MALE),
        ("Лариса", "Іванівна", Gender.FEMALE),
        ("Наталія", "Миколаївна", Gender.FEMALE),
        ("Марія", "Кузьминична", Gender.FEMALE),
        ("Олена", "", Gender.FEMALE),
        ("Микола", "", Gender.MALE),
        ("", "", Gender.UNKNOWN),
    ],
)
def test_gender_from_the_patronymic(given: str, patronymic: str, gender: Gender) -> None:
    """The patronymic decides; without one, the given name's ending (Микола is a man)."""
    assert gender_of(patronymic, given) is gender


def test_a_female_deputy_is_absent_in_the_feminine() -> None:
    """«відсутня» for Олена Петрівна, «відсутній» for Іван Михайлович."""
    assert agree(gender_of("Петрівна", "Олена"), "відсутній", "відсутня") == "відсутня"
    assert agree(gender_of("Михайлович", "Іван"), "відсутній", "відсутня") == "відсутній"
    assert agree(gender_of("Петрівна"), "Присутній", "Присутня") == "Присутня"


@pytest.mark.parametrize(
    ("given", "patronymic", "text"),
    [
        ("Іван", "Михайлович", "Шановний Іване Михайловичу!"),
        ("Лариса", "Іванівна", "Шановна Ларисо Іванівно!"),
        ("Петро", "Андрійович", "Шановний Петре Андрійовичу!"),
        ("Юрій", "Ілліч", "Шановний Юрію Іллічу!"),
        ("Василь", "Олегович", "Шановний Василю Олеговичу!"),
        ("Олег", "Петрович", "Шановний Олеже Петровичу!"),
        ("Ігор", "Богданович", "Шановний Ігорю Богдановичу!"),
        ("Микола", "Юрійович", "Шановний Миколо Юрійовичу!"),
        ("Олександр", "Вікторович", "Шановний Олександре Вікторовичу!"),
        ("Федір", "Іванович", "Шановний Федоре Івановичу!"),
        ("Марко", "Ярославович", "Шановний Марку Ярославовичу!"),
        ("Марія", "Кузьминична", "Шановна Маріє Кузьминично!"),
        ("Олеся", "Ігорівна", "Шановна Олесю Ігорівно!"),
        ("Ольга", "Миколаївна", "Шановна Ольго Миколаївно!"),
        ("Любов", "Петрівна", "Шановна Любове Петрівно!"),
        ("Ігор", "", "Шановний пане Ігорю!"),
        ("Олена", "", "Шановна пані Олено!"),
    ],
)
def test_salutation_in_the_vocative(given: str, patronymic: str, text: str) -> None:
    """The notice addresses a person by given name and patronymic in the vocative."""
    assert salutation(given, patronymic) == text


def test_an_unknown_name_stays_as_written() -> None:
    """A foreign or compound name is not guessed: it is left in the nominative."""
    assert vocative_given_name("Анна-Марія") == "Анна-Марія"


ORDINALS = {
    1: ("перше", "першого", "першої"),
    2: ("друге", "другого", "другої"),
    3: ("третє", "третього", "третьої"),
    4: ("четверте", "четвертого", "четвертої"),
    5: ("п'яте", "п'ятого", "п'ятої"),
    6: ("шосте", "шостого", "шостої"),
    7: ("сьоме", "сьомого", "сьомої"),
    8: ("восьме", "восьмого", "восьмої"),
    9: ("дев'яте", "дев'ятого", "дев'ятої"),
    10: ("десяте", "десятого", "десятої"),
    40: ("сорокове", "сорокового", "сорокової"),
    41: ("сорок перше", "сорок першого", "сорок першої"),
    83: ("вісімдесят третє", "вісімдесят третього", "вісімдесят третьої"),
    100: ("соте", "сотого", "сотої"),
    115: ("сто п'ятнадцяте", "сто п'ятнадцятого", "сто п'ятнадцятої"),
}


@pytest.mark.parametrize(("n", "forms"), ORDINALS.items())
def test_ordinals_for_convocation_and_session(n: int, forms: tuple[str, str, str]) -> None:
    """«восьме скликання», «восьмого скликання», «сорок першої сесії»."""
    neuter, genitive, feminine_genitive = forms
    assert ordinal(n, Gender.UNKNOWN) == neuter
    assert ordinal(n, case=Case.GENITIVE) == genitive
    assert ordinal(n, Gender.FEMALE, Case.GENITIVE) == feminine_genitive


def test_ordinal_masculine_and_feminine_nominative() -> None:
    """The nominative of the other genders: перший, сорок перша, третій, третя."""
    assert ordinal(1) == "перший"
    assert ordinal(3) == "третій"
    assert ordinal(41, Gender.FEMALE) == "сорок перша"
    assert ordinal(3, Gender.FEMALE) == "третя"


@pytest.mark.parametrize(
    ("n", "text"), [(1, "I"), (4, "IV"), (8, "VIII"), (41, "XLI"), (83, "LXXXIII"), (99, "XCIX")]
)
def test_roman_numerals(n: int, text: str) -> None:
    """Sessions and convocations as councils print them, and back."""
    assert roman(n) == text
    assert number_of(text) == n


def test_numbers_as_written() -> None:
    """Arabic digits, Roman digits, Cyrillic look-alikes («VIIІ»); anything else is None."""
    assert number_of(8) == 8
    assert number_of("8") == 8
    assert number_of("VIIІ") == 8
    assert number_of("IIII") is None
    assert number_of("восьме") is None
