"""Reading untrusted JSON: typed field readers that raise ``Invalid`` naming the field.

Every endpoint parses its body with these, so bad input always gets a 422 problem+json that
says which field is wrong, before anything touches the database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from orchestrator.kernel.errors import Invalid

EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# A person's name part: letters (any script), apostrophes (', ’, ʼ), hyphens and inner spaces.
NAME = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’ʼ\- ])*$")


def obj(value: Any, field: str = "body") -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(f"{field} must be a JSON object", field=field)
    return value


def clean_text(value: str, field: str) -> str:
    """Refuse control characters (NUL cannot be stored; others hide text); trim; NFC."""
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise Invalid(f"{field} contains control characters", field=field)
    return unicodedata.normalize("NFC", value.strip())


def text(
    body: Mapping[str, Any],
    field: str,
    *,
    max_len: int = 500,
    required: bool = True,
    default: str = "",
    prefix: str = "",
) -> str:
    name = prefix + field
    value = body.get(field)
    if value is None:
        if required:
            raise Invalid(f"{name} is required", field=name)
        return default
    if not isinstance(value, str):
        raise Invalid(f"{name} must be a string", field=name)
    value = clean_text(value, name)
    if required and not value:
        raise Invalid(f"{name} must not be empty", field=name)
    if len(value) > max_len:
        raise Invalid(f"{name} is longer than {max_len} characters", field=name)
    return value


def integer(
    body: Mapping[str, Any],
    field: str,
    *,
    lo: int,
    hi: int,
    prefix: str = "",
    required: bool = True,
    default: int = 0,
) -> int:
    name = prefix + field
    value = body.get(field)
    if value is None and not required:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{name} must be a whole number", field=name)
    if not lo <= value <= hi:
        raise Invalid(f"{name} must be between {lo} and {hi}", field=name)
    return value


def boolean(body: Mapping[str, Any], field: str, *, default: bool, prefix: str = "") -> bool:
    value = body.get(field, default)
    if not isinstance(value, bool):
        raise Invalid(f"{prefix}{field} must be true or false", field=prefix + field)
    return value


def timestamp(body: Mapping[str, Any], field: str, *, prefix: str = "") -> datetime:
    name = prefix + field
    raw = text(body, field, max_len=40, prefix=prefix)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be an ISO 8601 date-time", field=name) from None
    if value.tzinfo is None:
        raise Invalid(f"{name} must include a time zone offset (e.g. +02:00 or Z)", field=name)
    return value


def uuid(value: Any, field: str) -> UUID:
    if not isinstance(value, str):
        raise Invalid(f"{field} must be a UUID string", field=field)
    try:
        return UUID(value)
    except ValueError:
        raise Invalid(f"{field} is not a valid UUID", field=field) from None


def array(body: Mapping[str, Any], field: str, *, max_len: int, required: bool = True) -> list[Any]:
    value = body.get(field)
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise Invalid(f"{field} must be a JSON array", field=field)
    if len(value) > max_len:
        raise Invalid(f"{field} has more than {max_len} entries", field=field)
    return value


def email(value: str, field: str) -> str:
    if len(value) > 254 or not EMAIL.match(value):
        raise Invalid(f"{field} is not a valid e-mail address", field=field)
    return value


def phone(value: str, field: str) -> str:
    """Normalise to ``+`` and digits; Ukrainian numbers may be written 0XX… (→ +380XX…)."""
    digits = re.sub(r"[\s()\-.]", "", value)
    if digits.startswith("0") and len(digits) == 10:
        digits = "+38" + digits
    if not re.fullmatch(r"\+?\d{10,15}", digits):
        raise Invalid(f"{field} is not a valid phone number", field=field)
    return digits if digits.startswith("+") else "+" + digits


def person_name(value: str, field: str, *, required: bool = True) -> str:
    if not value and not required:
        return value
    if not NAME.match(value) or len(value) > 100:
        raise Invalid(f"{field} must be a name (letters, apostrophe, hyphen)", field=field)
    return value


# Names Windows gives to devices (with any suffix: ``con.txt`` is the console too).
_RESERVED_NAMES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{dev}{n}" for dev in ("com", "lpt") for n in (*"123456789", "¹", "²", "³")}
)
_FORBIDDEN_IN_NAMES = frozenset('/\\:*?"<>|')


def file_name(value: str, field: str, *, max_len: int = 200) -> str:
    """A plain file name people and every operating system read alike: no control or format
    characters (Unicode Cc, Cf: a right-to-left override turns ``draft\u202efdp.exe`` into
    "draftexe.pdf" on screen), no line or paragraph separators, no path or reserved
    characters, no dot-file (``.htaccess``), no Windows device name (``con``, ``lpt1.txt``), no
    trailing dot or space; NFC."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for ch in value):
        raise Invalid(f"{field} contains control or invisible formatting characters", field=field)
    name = unicodedata.normalize("NFC", value.strip())
    if not name or name in (".", "..") or len(name) > max_len:
        raise Invalid(f"{field} must be a plain file name of 1..{max_len} characters", field=field)
    if _FORBIDDEN_IN_NAMES.intersection(name):
        raise Invalid(f'{field} must be a plain file name, without / \\ : * ? " < > |', field=field)
    if name.startswith("."):
        raise Invalid(f"{field} must not start with a dot", field=field)
    if name.endswith((".", " ")):
        raise Invalid(f"{field} must not end with a dot or a space", field=field)
    if name.split(".", 1)[0].rstrip(" ").casefold() in _RESERVED_NAMES:
        raise Invalid(f"{field} is a name Windows reserves for a device", field=field)
    return name
