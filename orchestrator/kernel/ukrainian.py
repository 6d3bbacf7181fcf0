"""Ukrainian grammar for what people read: plural agreement, gender from the patronymic, the
vocative of a salutation, ordinal numerals and Roman numerals.

Pure (stdlib only) and rule-based: given names and patronymics are a small, regular class, so
rules for their endings cover the roster of a city council without a morphological dictionary.
A name the rules do not know is left in the nominative rather than guessed wrong.
"""

from __future__ import annotations

import enum
import re
from typing import Final

# --- plural agreement -------------------------------------------------------------------


def plural_form(n: int, one: str, few: str, many: str) -> str:
    """The noun form that agrees with ``n``: 1, 21 → ``one``; 2–4, 22 → ``few``; 0, 5–20,
    25, 111 → ``many`` (учасник, учасники, учасників)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def plural(n: int, one: str, few: str, many: str) -> str:
    """``n`` and its agreeing noun: ``plural(22, "учасник", "учасники", "учасників")`` →
    ``22 учасники``."""
    return f"{n} {plural_form(n, one, few, many)}"


# --- gender -----------------------------------------------------------------------------


class Gender(enum.Enum):
    MALE = "male"
    FEMALE = "female"
    UNKNOWN = "unknown"


_MALE_PATRONYMIC = re.compile(r"(ович|евич|євич|йович|ич|іч)$")
_FEMALE_PATRONYMIC = re.compile(r"(івна|ївна|овна|евна|ична|інічна|инична)$")
# Male given names that end in -а/-я (they decline like feminine nouns but are men's).
_MALE_IN_A: Final = frozenset(
    {"микола", "ілля", "кузьма", "фома", "хома", "лука", "сава", "никита", "мина", "гаврила"}
)


def gender_of(patronymic: str, given_name: str = "") -> Gender:
    """The gender a patronymic shows (…ович/…ич male; …івна/…ївна/…инична female); without
    one, a guess from the given name's ending (-а/-я female, but Микола, Ілля…)."""
    p = patronymic.strip().lower()
    if _FEMALE_PATRONYMIC.search(p):
        return Gender.FEMALE
    if _MALE_PATRONYMIC.search(p):
        return Gender.MALE
    g = given_name.strip().lower()
    if not g:
        return Gender.UNKNOWN
    if g in _MALE_IN_A:
        return Gender.MALE
    if g.endswith(("а", "я")) or g == "любов":
        return Gender.FEMALE
    return Gender.MALE if g[-1].isalpha() else Gender.UNKNOWN


def agree(gender: Gender, male: str, female: str) -> str:
    """The word that agrees with a person's gender: ``agree(g, "відсутній", "відсутня")``.
    Unknown gender takes the masculine form, as Ukrainian official texts do."""
    return female if gender is Gender.FEMALE else male


# --- the vocative -----------------------------------------------------------------------


def _keep_case(word: str, ending_from: int, new_ending: str) -> str:
    return word[:ending_from] + new_ending


# Given names whose vocative the ending rules below do not give.
_VOCATIVE_EXCEPTIONS: Final = {
    "ігор": "Ігорю",
    "федір": "Федоре",
    "любов": "Любове",
    "лев": "Леве",
    "павло": "Павле",
    "ілля": "Ілле",
    "олег": "Олеже",
}


def vocative_given_name(name: str) -> str:
    """The vocative of a Ukrainian given name: Іван → Іване, Петро → Петре, Юрій → Юрію,
    Василь → Василю, Микола → Миколо, Лариса → Ларисо, Марія → Маріє, Олеся → Олесю."""
    word = name.strip()
    low = word.lower()
    if not word or " " in word or "-" in word:
        return word
    if low in _VOCATIVE_EXCEPTIONS:
        return _VOCATIVE_EXCEPTIONS[low]
    n = len(word)
    if low.endswith("ія"):
        return _keep_case(word, n - 1, "є")  # Марія → Маріє
    if low.endswith("я"):
        if len(low) > 1 and low[-2] in "аеєиіїоуюя":
            return _keep_case(word, n - 1, "є")  # Мая → Має
        return _keep_case(word, n - 1, "ю")  # Олеся → Олесю, Оля → Олю
    if low.endswith("а"):
        return _keep_case(word, n - 1, "о")  # Лариса → Ларисо, Ольга → Ольго, Микола → Миколо
    if low.endswith("ко"):
        return _keep_case(word, n - 1, "у")  # Марко → Марку
    if low.endswith("о"):
        return _keep_case(word, n - 1, "е")  # Петро → Петре, Михайло → Михайле
    if low.endswith("й"):
        return _keep_case(word, n - 1, "ю")  # Юрій → Юрію, Миколай → Миколаю
    if low.endswith("ь"):
        return _keep_case(word, n - 1, "ю")  # Василь → Василю
    if low.endswith("г"):
        return _keep_case(word, n - 1, "же")  # Олег → Олеже
    if low.endswith(("к", "х")):
        return word + "у"  # Марк → Марку
    if low.endswith(("ж", "ч", "ш", "щ")):
        return word + "е"
    if low[-1] in "бвдзлмнпрстфц":
        return word + "е"  # Іван → Іване, Олександр → Олександре
    return word


def vocative_patronymic(patronymic: str) -> str:
    """Михайлович → Михайловичу, Ілліч → Іллічу; Іванівна → Іванівно, Кузьмінична →
    Кузьмінічно."""
    word = patronymic.strip()
    low = word.lower()
    if low.endswith(("ич", "іч")):
        return word + "у"
    if low.endswith("на"):
        return word[:-1] + "о"
    return word


def salutation(given_name: str, patronymic: str) -> str:
    """The salutation of an official letter: «Шановний Іване Михайловичу!», «Шановна Ларисо
    Іванівно!»; without a patronymic «Шановний пане Ігоре!» / «Шановна пані Олено!»."""
    gender = gender_of(patronymic, given_name)
    adjective = agree(gender, "Шановний", "Шановна")
    name = vocative_given_name(given_name)
    if patronymic.strip():
        return f"{adjective} {name} {vocative_patronymic(patronymic)}!"
    if not name:
        return f"{adjective} учаснику засідання!"
    return f"{adjective} {agree(gender, 'пане', 'пані')} {name}!"


# --- ordinal numerals -------------------------------------------------------------------


class Case(enum.Enum):
    NOMINATIVE = "nominative"
    GENITIVE = "genitive"


# The stem of each ordinal and whether it is soft (третій).
_UNIT_STEMS: Final = {
    1: "перш",
    2: "друг",
    3: "трет",
    4: "четверт",
    5: "п'ят",
    6: "шост",
    7: "сьом",
    8: "восьм",
    9: "дев'ят",
}
_TEEN_STEMS: Final = {
    10: "десят",
    11: "одинадцят",
    12: "дванадцят",
    13: "тринадцят",
    14: "чотирнадцят",
    15: "п'ятнадцят",
    16: "шістнадцят",
    17: "сімнадцят",
    18: "вісімнадцят",
    19: "дев'ятнадцят",
}
_TENS_STEMS: Final = {
    20: "двадцят",
    30: "тридцят",
    40: "сороков",
    50: "п'ятдесят",
    60: "шістдесят",
    70: "сімдесят",
    80: "вісімдесят",
    90: "дев'яност",
}
_HUNDREDS_STEMS: Final = {
    100: "сот",
    200: "двохсот",
    300: "трьохсот",
    400: "чотирьохсот",
    500: "п'ятисот",
    600: "шестисот",
    700: "семисот",
    800: "восьмисот",
    900: "дев'ятисот",
}
_CARDINAL_TENS: Final = {
    20: "двадцять",
    30: "тридцять",
    40: "сорок",
    50: "п'ятдесят",
    60: "шістдесят",
    70: "сімдесят",
    80: "вісімдесят",
    90: "дев'яносто",
}
_CARDINAL_HUNDREDS: Final = {
    100: "сто",
    200: "двісті",
    300: "триста",
    400: "чотириста",
    500: "п'ятсот",
    600: "шістсот",
    700: "сімсот",
    800: "вісімсот",
    900: "дев'ятсот",
}
# (masculine nominative, feminine nominative, neuter nominative, m/n genitive, f genitive)
_HARD: Final = ("ий", "а", "е", "ого", "ої")
_SOFT: Final = ("ій", "я", "є", "ього", "ьої")


def ordinal(n: int, gender: Gender = Gender.MALE, case: Case = Case.NOMINATIVE) -> str:
    """The ordinal numeral in words, 1–999: ``ordinal(8, case=GENITIVE)`` → «восьмого»,
    ``ordinal(41, Gender.FEMALE, Case.GENITIVE)`` → «сорок першої». Neuter words
    (скликання) take ``Gender.UNKNOWN`` in the nominative (восьме) and agree with the
    masculine in the genitive (восьмого)."""
    if not 1 <= n <= 999:
        raise ValueError(f"ordinal() covers 1..999, not {n}")
    hundreds, rest = n // 100 * 100, n % 100
    tens, units = rest // 10 * 10, rest % 10
    words: list[str] = []
    if rest == 0:
        stem = _HUNDREDS_STEMS[hundreds]
    else:
        if hundreds:
            words.append(_CARDINAL_HUNDREDS[hundreds])
        if rest < 10:
            stem = _UNIT_STEMS[rest]
        elif rest < 20:
            stem = _TEEN_STEMS[rest]
        elif units == 0:
            stem = _TENS_STEMS[tens]
        else:
            words.append(_CARDINAL_TENS[tens])
            stem = _UNIT_STEMS[units]
    endings = _SOFT if stem == "трет" else _HARD
    if case is Case.GENITIVE:
        ending = endings[4] if gender is Gender.FEMALE else endings[3]
    elif gender is Gender.FEMALE:
        ending = endings[1]
    elif gender is Gender.UNKNOWN:
        ending = endings[2]
    else:
        ending = endings[0]
    words.append(stem + ending)
    return " ".join(words)


# --- Roman numerals ---------------------------------------------------------------------

_ROMAN: Final = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
# Cyrillic letters that look like Roman digits (a council's «VIIІ» may mix them).
_LOOKALIKES: Final = str.maketrans({"І": "I", "Х": "X", "С": "C", "М": "M", "Ѵ": "V"})


def roman(n: int) -> str:
    """41 → XLI (councils such as Sloviansk number sessions so: «LXXXIII сесія»)."""
    if not 1 <= n <= 3999:
        raise ValueError(f"roman() covers 1..3999, not {n}")
    out = []
    for value, digits in _ROMAN:
        count, n = divmod(n, value)
        out.append(digits * count)
    return "".join(out)


def number_of(value: int | str) -> int | None:
    """A number written in Arabic or Roman digits (``8``, ``"8"``, ``"VIII"``, ``"VIIІ"``),
    or None if it is neither."""
    if isinstance(value, int):
        return value
    text = value.strip().upper().translate(_LOOKALIKES)
    if text.isdigit():
        return int(text)
    if not text or any(ch not in "IVXLCDM" for ch in text):
        return None
    total, previous = 0, 0
    values = dict((d, v) for v, d in _ROMAN if len(d) == 1)
    for ch in reversed(text):
        v = values[ch]
        total += -v if v < previous else v
        previous = max(previous, v)
    return total if 1 <= total <= 3999 and roman(total) == text else None


# --- a council's name in the genitive ------------------------------------------------------

_ADJECTIVE_FEMININE: Final = ("ська", "цька", "зька", "на", "ва", "ня")


def council_genitive(name: str) -> str | None:
    """«Коростишівська міська рада» → «Коростишівської міської ради» (for «сесії … ради»); None
    when the name is not «… рада» with feminine adjectives (the caller writes it as given)."""
    words = name.split()
    if len(words) < 2 or words[-1].lower() != "рада":
        return None
    out = []
    for word in words[:-1]:
        if not word.lower().endswith(_ADJECTIVE_FEMININE):
            return None
        ending = "ьої" if word.lower().endswith("ня") else "ої"
        out.append(word[:-1] + ending)
    return " ".join([*out, words[-1][:-1] + "и"])
