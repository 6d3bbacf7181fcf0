"""People's names in Ukrainian alphabetical order (R15): one sort key for every list of people.

PyICU needs the system ICU library, which a pip-only install cannot provide, so this module
implements the part of the CLDR Ukrainian collation (``uk``, standard) that surnames need, as a
multi-level sort key in the manner of the Unicode Collation Algorithm:

1. **primary** — the letters only, case-folded, in the Ukrainian alphabet
   А Б В Г Ґ Д Е Є Ж З И І Ї Й К Л М Н О П Р С Т У Ф Х Ц Ч Ш Щ Ь Ю Я
   (Ґ after Г, Є after Е, І and Ї after И, Й after Ї, Ь before Ю: the CLDR ``uk`` tailoring).
   Digits sort before letters; other Cyrillic letters (ё ы э ъ…) after Я by code point; Latin
   letters after Cyrillic (CLDR ``uk`` reorders Cyrillic first); anything else last by code point.
   The apostrophe (``'`` ``’`` ``ʼ`` and look-alikes), the hyphen and spaces are *variable*
   characters: ignored here, exactly as a Ukrainian dictionary ignores them (alternate=shifted).
2. **tertiary** — case: lower before upper, letter by letter.
3. **quaternary** — where the variable characters stood: a string with the apostrophe or hyphen
   sorts just before the same letters without it (UCA shifted: a variable character weighs
   less than any letter). All apostrophe look-alikes are one character: ``Мʼясоїд`` and
   ``М'ясоїд`` are the same surname spelt with two glyphs.

A voter's key joins surname, given name and patronymic level by level (as ICU does for a string
with a low separator): every primary difference in any of the three names decides before any
case or punctuation difference. Equal names fall back to the stable participant id.
Text is NFC-normalised first, so a decomposed ``И + ◌̆`` is ``Й``.
"""

from __future__ import annotations

import unicodedata

UKRAINIAN_ALPHABET = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"

APOSTROPHES = frozenset("'’ʼ‘`´ʹ")
HYPHENS = frozenset("-‐‑‒–—")
SPACES = frozenset(" \u00a0\t")

_APOSTROPHE = "'"
_VARIABLE_WEIGHTS = {_APOSTROPHE: 1, "-": 2, " ": 3}
_NON_VARIABLE = 0xFFFF  # UCA: a letter's quaternary weight is higher than any variable's

_DIGIT_BASE = 100
_UK_BASE = 200
_CYRILLIC_OTHER_BASE = 1_000
_LATIN_BASE = 10_000
_OTHER_BASE = 100_000

_PRIMARY: dict[str, int] = {d: _DIGIT_BASE + i for i, d in enumerate("0123456789")}
_PRIMARY.update({ch: _UK_BASE + i for i, ch in enumerate(UKRAINIAN_ALPHABET)})


def _canonical_char(ch: str) -> str:
    if ch in APOSTROPHES:
        return _APOSTROPHE
    if ch in HYPHENS:
        return "-"
    if ch in SPACES:
        return " "
    return ch


def _primary_weight(lower: str) -> int:
    weight = _PRIMARY.get(lower)
    if weight is not None:
        return weight
    code = ord(lower)
    if 0x0400 <= code <= 0x04FF:
        return _CYRILLIC_OTHER_BASE + code
    if lower.isascii() and lower.isalpha():
        return _LATIN_BASE + code
    return _OTHER_BASE + code


Levels = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]


def collation_levels(text: str) -> Levels:
    """(primary, tertiary, quaternary) weights of one name under the rules above."""
    primary: list[int] = []
    tertiary: list[int] = []
    quaternary: list[int] = []
    for raw in unicodedata.normalize("NFC", text.strip()):
        ch = _canonical_char(raw)
        variable = _VARIABLE_WEIGHTS.get(ch)
        if variable is not None:
            quaternary.append(variable)
            continue
        lower = ch.lower()
        primary.append(_primary_weight(lower))
        tertiary.append(0 if ch == lower else 1)
        quaternary.append(_NON_VARIABLE)
    return tuple(primary), tuple(tertiary), tuple(quaternary)


VoterKey = tuple[tuple[tuple[int, ...], ...], ...]


def name_key(surname: str, given_name: str, patronymic: str = "") -> VoterKey:
    """Surname, given name, patronymic compared level by level: the one order of people's
    names in rada, for the roll call and for every list of people it prints."""
    names = (
        collation_levels(surname),
        collation_levels(given_name),
        collation_levels(patronymic),
    )
    return tuple(tuple(levels[level] for levels in names) for level in range(3))
