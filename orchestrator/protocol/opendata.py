"""Open data (R20): roll-call results in Ukraine's national shape "Поіменні результати
голосування депутатів".

Two resources per session, each as CSV (UTF-8, comma, header row, RFC 4180 quoting) and JSON
(a list of objects with the same fields):

- ``motions``: one row per vote (the main vote on an item and each amendment vote): ``uid``,
  ``date``, ``authorityName``, ``convocation``, ``legislativeSession``, ``num``, ``title``,
  ``projectNum``, ``votingFor``, ``votingAgainst``, ``votingAbstain``, ``notVoting``, ``absent``,
  ``votingResult``, plus ``votingDate``, ``votingRequired``, ``totalComposition``, ``voteId``,
  ``itemNumber``, ``amendment``, ``category``, ``recordingOffsetMs``.
- ``votings``: one row per deputy per vote in call order (R15): ``motionUid``, ``voterId``,
  ``voterName``, ``motionTitle``, ``result`` ∈ "За", "Проти", "Утримався", "Не голосував",
  "Відсутній", plus ``position`` and ``source``.

Pure: built from the :class:`~orchestrator.protocol.Protocol`, so the counts are the protocol's.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from orchestrator.convening.bodies import body_title
from orchestrator.kernel.journal.chain import format_time
from orchestrator.kernel.kyivtime import KYIV
from orchestrator.protocol.model import Protocol, Vote
from orchestrator.protocol.render import vote_title

MOTION_FIELDS = (
    "uid",
    "date",
    "authorityName",
    "convocation",
    "legislativeSession",
    "num",
    "title",
    "projectNum",
    "votingFor",
    "votingAgainst",
    "votingAbstain",
    "notVoting",
    "absent",
    "votingResult",
    "votingDate",
    "votingRequired",
    "totalComposition",
    "voteId",
    "itemNumber",
    "amendment",
    "category",
    "recordingOffsetMs",
    "body",  # E1–E8: council | executive_committee (authorityName names the body)
)
VOTING_FIELDS = (
    "motionUid",
    "voterId",
    "voterName",
    "motionTitle",
    "result",
    "position",
    "source",
)


def motion_uid(p: Protocol, v: Vote) -> str:
    return f"{p.session_id}:{v.vote_id}"


def _result(v: Vote) -> str:
    if v.adopted is None:
        return "Голосування не завершено"
    return "Прийнято" if v.adopted else "Не прийнято"


def motions(p: Protocol) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for num, v in enumerate(p.votes, start=1):
        item = p.items[v.item]
        rows.append(
            {
                "uid": motion_uid(p, v),
                "date": v.opened_at.astimezone(KYIV).date().isoformat(),
                "authorityName": body_title(p.rules, p.council_name),
                "convocation": p.convocation,
                "legislativeSession": p.number,
                "num": num,
                "title": vote_title(p, v),
                "projectNum": str(item.number),
                "votingFor": v.tally.for_,
                "votingAgainst": v.tally.against,
                "votingAbstain": v.tally.abstain,
                "notVoting": v.tally.not_voted,
                "absent": v.tally.absent,
                "votingResult": _result(v),
                "votingDate": format_time(v.opened_at),
                "votingRequired": v.required,
                "totalComposition": v.total_composition,
                "voteId": v.vote_id,
                "itemNumber": item.number,
                "amendment": None if v.amendment is None else v.amendment + 1,
                "category": item.category,
                "recordingOffsetMs": None if v.offset is None else v.offset.ms,
                "body": p.body,
            }
        )
    return rows


def votings(p: Protocol) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for v in p.votes:
        uid, title = motion_uid(p, v), vote_title(p, v)
        for r in v.rows:
            rows.append(
                {
                    "motionUid": uid,
                    "voterId": r.member_id or r.participant_id,
                    "voterName": r.name,
                    "motionTitle": title,
                    "result": r.result.uk,
                    "position": r.position,
                    "source": r.source,
                }
            )
    return rows


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is a formula to a spreadsheet (CSV injection)."""


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell that a spreadsheet shows as text: a string that a spreadsheet would
    run as a formula (``=HYPERLINK(…)`` in a name) is prefixed with an apostrophe. Numbers and
    the JSON files are left as they are."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(rows: list[dict[str, Any]], fields: tuple[str, ...]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_cell(row[k]) for k in fields})
    return buf.getvalue().encode("utf-8")


def to_json(rows: list[dict[str, Any]]) -> bytes:
    return (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def files(p: Protocol) -> dict[str, bytes]:
    """The four open-data files by their name in the archive's ``opendata/`` folder."""
    m, v = motions(p), votings(p)
    return {
        "motions.csv": to_csv(m, MOTION_FIELDS),
        "motions.json": to_json(m),
        "votings.csv": to_csv(v, VOTING_FIELDS),
        "votings.json": to_json(v),
    }
