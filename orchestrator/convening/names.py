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
from dataclasses import dataclass

from orchestrator.kernel.errors import Invalid

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


# --- one script per name (R15: a look-alike letter would sort the name out of order) ---------


@dataclass(frozen=True, slots=True)
class MixedScript:
    """The first letter of a name that is not in the script of the name's other letters."""

    position: int  # 1-based, in the NFC-normalised name
    letter: str
    script: str  # of the offending letter: LATIN, GREEK…
    expected: str  # the name's script: CYRILLIC…

    def describe(self) -> str:
        code = f"U+{ord(self.letter):04X}"
        name = unicodedata.name(self.letter, code)
        return (
            f"letter {self.position} «{self.letter}» is {name} ({code}) among "
            f"{self.expected.lower()} letters; type the name in one alphabet"
        )


def _script(ch: str) -> str:
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def mixed_script(text: str) -> MixedScript | None:
    """``None`` when every letter of ``text`` is of one script (apostrophes, hyphens and spaces
    are not letters); otherwise the first letter outside the name's script, which is the script
    most of its letters share (Cyrillic on a tie): ``Кiрієнко`` with a Latin ``i`` names that ``i``."""
    letters = [
        (i, ch, _script(ch))
        for i, ch in enumerate(unicodedata.normalize("NFC", text), start=1)
        if ch.isalpha() and ch not in APOSTROPHES
    ]
    counts: dict[str, int] = {}
    for _, _, script in letters:
        counts[script] = counts.get(script, 0) + 1
    if len(counts) <= 1:
        return None
    expected = max(counts, key=lambda s: (counts[s], s == "CYRILLIC"))
    position, letter, script = next(entry for entry in letters if entry[2] != expected)
    return MixedScript(position, letter, script, expected)


def check_one_script(value: str, field: str) -> str:
    """Refuse (``Invalid``, code ``mixed_script_name``) a name that mixes alphabets, naming the
    field and the offending letter; return the value unchanged."""
    found = mixed_script(value)
    if found is not None:
        raise Invalid(
            f"{field}: {found.describe()}",
            code="mixed_script_name",
            field=field,
            letter=found.letter,
            position=found.position,
        )
    return value
