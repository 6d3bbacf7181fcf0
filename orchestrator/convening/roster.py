"""A council's roster (R6 contact data): parsing and checking rows, CSV import and export.

Pure: bytes in, rows or a per-row error report out. A file with any error imports nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.convening.bodies import COUNCIL, RuleSet
from orchestrator.convening.names import check_one_script
from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.web import validation as v

COLUMNS = ("surname", "given_name", "patronymic", "role", "email", "phone")
KINDS = COUNCIL.member_kinds
"""The council's roster kinds; a body's own are ``RuleSet.member_kinds`` (E4)."""
DEPUTY_KINDS = frozenset({"deputy", "secretary"})
"""Participant kinds (events.SESSION_CONVENED) that are deputies of the council (R7)."""
MAX_ROWS = 2000


@dataclass(frozen=True, slots=True)
class MemberRow:
    surname: str
    given_name: str
    patronymic: str
    kind: str  # mayor | deputy | secretary (the secretary is a deputy, R7); E4: bodies.KIND_UK
    email: str
    phone: str

    @property
    def is_deputy(self) -> bool:
        return self.kind in DEPUTY_KINDS

    def columns(self) -> tuple[str, str, str, str, str, str]:
        """The fields in their declared order, as the ``members`` table takes them."""
        return (self.surname, self.given_name, self.patronymic, self.kind, self.email, self.phone)


def parse_row(raw: Mapping[str, Any], rules: RuleSet = COUNCIL) -> MemberRow:
    """One roster entry; raises ``Invalid`` naming the first wrong field."""
    surname = v.person_name(v.text(raw, "surname", max_len=100), "surname")
    given = v.person_name(v.text(raw, "given_name", max_len=100), "given_name")
    patronymic = v.person_name(
        v.text(raw, "patronymic", max_len=100, required=False), "patronymic", required=False
    )
    for field, value in (("surname", surname), ("given_name", given), ("patronymic", patronymic)):
        check_one_script(value, field)  # R15: a look-alike letter breaks the alphabetical order
    kind = v.text(raw, "role", max_len=20)
    if kind not in rules.member_kinds:
        raise Invalid(f"role must be one of {', '.join(rules.member_kinds)}", field="role")
    email = v.email(v.text(raw, "email", max_len=254), "email")
    phone = v.phone(v.text(raw, "phone", max_len=40), "phone")
    return MemberRow(surname, given, patronymic, kind, email, phone)


def check_rows(
    raws: Iterable[object],
    total_composition: int,
    *,
    first_row: int = 1,
    rules: RuleSet = COUNCIL,
) -> list[MemberRow]:
    """Parse every row and check the roster as a whole; raise one ``Invalid`` listing all errors."""
    rows: list[MemberRow] = []
    errors: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(raws, start=first_row):
        if not isinstance(raw, Mapping):
            errors.append({"row": n, "field": None, "detail": "row must be an object"})
            continue
        if "__error__" in raw:
            errors.append({"row": n, "field": None, "detail": raw["__error__"]})
            continue
        try:
            row = parse_row(raw, rules)
        except Invalid as exc:
            errors.append({"row": n, "field": exc.field, "detail": exc.detail, **exc.extra})
            continue
        key = row.email.lower()
        if key in seen:
            errors.append({"row": n, "field": "email", "detail": f"e-mail repeats row {seen[key]}"})
            continue
        seen[key] = n
        rows.append(row)
    for kind in rules.single_kinds:
        count = sum(1 for r in rows if r.kind == kind)
        if count > 1:
            errors.append({"row": None, "field": "role", "detail": f"more than one {kind}"})
    members = sum(1 for r in rows if r.kind in rules.quorum_kinds)
    if members > total_composition:
        errors.append(
            {
                "row": None,
                "field": "role",
                "detail": f"{members} members exceed the total composition of "
                f"{total_composition} ({rules.quorum_rule})",
            }
        )
    if errors:
        raise Invalid(f"the roster has {len(errors)} error(s); nothing was imported", errors=errors)
    return rows


def read_csv(data: bytes, total_composition: int, rules: RuleSet = COUNCIL) -> list[MemberRow]:
    """Parse a UTF-8 CSV roster with a header row of :data:`COLUMNS`."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8", field="file"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header and c != "patronymic"]
    if missing:
        raise Invalid(f"the header lacks column(s): {', '.join(missing)}", field="header")
    reader.fieldnames = header
    raws: list[dict[str, Any]] = []
    for raw in reader:
        if len(raws) >= MAX_ROWS:
            raise Invalid(f"more than {MAX_ROWS} rows", field="file")
        if None in raw:
            raws.append({"__error__": "the row has more cells than the header has columns"})
            continue
        raws.append({k: val for k, val in raw.items() if val is not None})
    if not raws:
        raise Invalid("the file has no rows", field="file")
    # data rows start on line 2 (after the header)
    return check_rows(raws, total_composition, first_row=2, rules=rules)


def write_csv(rows: Iterable[MemberRow]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([r.surname, r.given_name, r.patronymic, r.kind, r.email, r.phone])
    return out.getvalue().encode("utf-8")
