"""Print a :class:`~orchestrator.protocol.Protocol` as JSON, HTML, PDF and WebVTT chapters.

All four read the same model, so they agree. Pure functions returning bytes/str; no I/O except
reading the template and the font that ships in the ``font-source-sans-pro`` wheel (SIL OFL
1.1, Cyrillic with Ukrainian letters), so the PDF prints Ukrainian on any machine.

- JSON (:func:`to_json`): machine-readable, times ISO 8601 UTC, canonical bytes (sorted keys)
  so that its SHA-256 names the document (``protocol_finalised.protocol_sha256``).
- HTML (:func:`to_html`): ``templates/protocol.html``, Ukrainian, landmarks, captioned tables.
- PDF (:func:`to_pdf`): fpdf2, A4.
- Chapters (:func:`to_vtt`): a WebVTT chapters track for items, votes and breaks, cue ids
  ``item-N``, ``vote-ID``, ``break-N`` (the archive page seeks by them).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2

from orchestrator.conduct.quorum import Quorum
from orchestrator.conduct.tally import Result
from orchestrator.convening.bodies import COUNCIL, body_title
from orchestrator.kernel.journal.chain import format_time
from orchestrator.kernel.kyivtime import KYIV, day_uk
from orchestrator.kernel.ukrainian import Case, Gender, agree, number_of, ordinal, plural
from orchestrator.kernel.web.templating import make_environment
from orchestrator.kernel.webvtt import cue_text
from orchestrator.protocol.model import (
    ROLE_UK,
    SOURCE_UK,
    Offset,
    Protocol,
    Publication,
    Signature,
    Vote,
)

# --- formatting shared by HTML, PDF and VTT -----------------------------------------------


def kyiv_time(at: datetime | None) -> str:
    """``20.11.2026 10:00:00`` in Kyiv time, or a dash."""
    return "—" if at is None else at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M:%S")


def kyiv_minute(at: datetime | None) -> str:
    """``20.11.2026 10:00`` in Kyiv time (planned times have no seconds), or a dash."""
    return "—" if at is None else at.astimezone(KYIV).strftime("%d.%m.%Y %H:%M")


def kyiv_clock(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(KYIV).strftime("%H:%M:%S")


def long_date(p: Protocol) -> str:
    d = p.date
    return "—" if d is None else f"{day_uk(d)} року"


def hms(ms: int | None) -> str:
    """``1:02:03`` for a duration or an offset in milliseconds."""
    if ms is None:
        return "—"
    seconds = ms // 1000
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def offset_text(o: Offset | None) -> str:
    if o is None:
        return "—"
    where = f" (частина {o.part}, {hms(o.part_ms)})" if o.part is not None else ""
    return hms(o.ms) + where


def outcome_text(p: Protocol, v: Vote) -> str:
    """«Рішення прийнято», «Поправку не прийнято», «Пропозицію прийнято» (the body's word)."""
    if v.adopted is None or v.amendment is None:
        return v.outcome_uk
    subject = p.words.amendment_accusative.capitalize()
    return f"{subject} прийнято" if v.adopted else f"{subject} не прийнято"


def vote_title(p: Protocol, v: Vote) -> str:
    item = p.items[v.item]
    if v.amendment is not None:
        return f"{p.words.amendment.capitalize()} {v.amendment + 1} до питання {item.number} «{item.title}»"
    return f"Питання {item.number} «{item.title}»"


def quorum_text(q: Quorum | None, members_genitive: str = COUNCIL.words.members_genitive) -> str:
    """«присутні 14 з 26 депутатів …» (R7) or «… з 11 членів виконкому …» (E4)."""
    if q is None:
        return "—"
    verdict = "кворум є" if q.holds else "кворуму немає"
    return (
        f"присутні {q.present_deputies} з {q.total_composition} {members_genitive} "
        f"(потрібно щонайменше {q.required}), {verdict}"
    )


def tally_text(v: Vote) -> str:
    return ", ".join(f"{Result(key).uk_in_text} — {n}" for key, n in v.tally.as_dict().items())


def convocation_text(p: Protocol) -> str:
    """«восьмого скликання» (the convocation as an ordinal in the genitive)."""
    n = number_of(p.convocation)
    return (
        f"{p.convocation} скликання" if n is None else f"{ordinal(n, case=Case.GENITIVE)} скликання"
    )


def session_text(p: Protocol) -> str:
    """«сорок першої сесії» (the session's number as an ordinal in the genitive); for the
    executive committee «засідання виконавчого комітету» (its number is the protocol's)."""
    if p.words.meeting_heading:
        return p.words.meeting_heading
    n = number_of(p.number) if isinstance(p.number, int | str) and p.number != "" else None
    if n is None or n > 999:
        return f"сесії № {p.number}"
    return f"{ordinal(n, Gender.FEMALE, Case.GENITIVE)} сесії"


@dataclass(frozen=True, slots=True)
class HeadingBlock:
    """The official heading every council protocol opens with (R18)."""

    lines: tuple[str, ...]  # УКРАЇНА, the council, the oblast, the convocation
    title: str  # ПРОТОКОЛ № …
    subtitle: tuple[str, ...]  # the session, its title, the form
    place: str  # «м. Коростишів» (left)
    date: str  # «20 листопада 2026 року» (right)


def heading_block(p: Protocol) -> HeadingBlock:
    h = p.heading
    lines = ["УКРАЇНА", body_title(p.rules, p.council_name).upper()]
    if h.oblast:
        lines.append(h.oblast.upper())
    if p.words.convocation_in_heading:
        lines.append(convocation_text(p).upper())
    return HeadingBlock(
        lines=tuple(lines),
        title=f"ПРОТОКОЛ № {p.number}",
        subtitle=(
            session_text(p),
            f"«{p.title}»" if p.title else "",
            p.words.form,
        ),
        place=h.city,
        date=long_date(p),
    )


@dataclass(frozen=True, slots=True)
class SignLine:
    """One line of the signature block: who signs, and what rada recorded of it (R19)."""

    title: str  # «Міський голова», «Секретар ради»
    name: str  # «Іван ВОЙТЕНКО»
    done: str  # «підписано в rada 20.11.2026 о 11:05» or «не підписано»


def _signed(s: Signature | None) -> str:
    if s is None:
        return "не підписано"
    text = f"підписано в rada {kyiv_date_clock(s.at)}"
    if s.signature_sha256:
        text += f"; КЕП, SHA-256 {s.signature_sha256[:16]}…"
    return text


def signature_block(p: Protocol, pub: Publication | None) -> tuple[list[SignLine], list[SignLine]]:
    """The chair and the keeper of the protocol; then every member who voted, with whether
    they have signed in rada (R19, E5)."""
    signatures = {s.participant_id: s for s in (pub.signatures if pub else ())}
    main: list[SignLine] = []
    if p.chair is not None:
        title = "Міський голова" if p.chair.kind == "mayor" else "Головуючий на засіданні"
        if p.chair.kind != "mayor" and p.chair.kind in p.rules.stand_in_chain:
            title = ROLE_UK[p.chair.kind].capitalize()  # E1: «Перший заступник міського голови»
        main.append(
            SignLine(title, p.chair.short_name, _signed(signatures.get(p.chair.participant_id)))
        )
    if p.secretary is not None:
        if pub is not None and pub.finalised_at is not None:
            done = f"протокол складено й завершено в rada {kyiv_date_clock(pub.finalised_at)}"
        else:
            done = "протокол не завершено"
        signed = signatures.get(p.secretary.participant_id)
        if signed is not None:
            done += "; " + _signed(signed)
        main.append(SignLine(p.words.keeper_title, p.secretary.short_name, done))
    members: list[SignLine] = []
    listed = {x.participant_id for x in (p.chair, p.secretary) if x is not None}
    title = p.words.member_title
    # R19 / E5: a line for every member who voted, signed in rada or not
    voted: list[str] = []
    for v in p.votes:
        for r in v.rows:
            if r.answer in SPOKEN and r.participant_id not in voted:
                voted.append(r.participant_id)
    for pid in voted:
        if pid in listed:
            continue
        person = p.person(pid)
        name = person.short_name if person else pid
        members.append(SignLine(title, name, _signed(signatures.get(pid))))
    return main, members


SPOKEN = frozenset({"for", "against", "abstain"})
"""The answers of a member who took part in the voting (E5), as a protocol row says them."""


def chair_text(p: Protocol) -> str:
    """«Іваненко Петро Олегович, перший заступник міського голови; головує замість міського
    голови: міський голова у відпустці» (R5, E1: the stand-in with the reason)."""
    chair = p.chair
    if chair is None:
        return "—"
    text = f"{chair.name}, {ROLE_UK.get(chair.kind, chair.kind)}"
    if p.chair_reason:
        text += f"; головує замість міського голови: {p.chair_reason}"
    return text


def kyiv_date_clock(at: datetime | None) -> str:
    """``20.11.2026 о 11:05`` in Kyiv time."""
    return "—" if at is None else at.astimezone(KYIV).strftime("%d.%m.%Y о %H:%M")


def votes_needed(v: Vote) -> str:
    """«14 голосів «за»» with the noun agreeing."""
    return f"{plural(v.required, 'голос', 'голоси', 'голосів')} «за»"


# --- JSON ------------------------------------------------------------------------------------


def _t(at: datetime | None) -> str | None:
    return None if at is None else format_time(at)


def _offset(o: Offset | None) -> dict[str, Any] | None:
    return None if o is None else {"ms": o.ms, "part": o.part, "part_ms": o.part_ms}


def _quorum(q: Quorum | None) -> dict[str, Any] | None:
    if q is None:
        return None
    return {
        "present_deputies": q.present_deputies,
        "total_composition": q.total_composition,
        "required": q.required,
        "holds": q.holds,
    }


def _vote(p: Protocol, v: Vote) -> dict[str, Any]:
    return {
        "vote_id": v.vote_id,
        "item": v.item,
        "amendment": v.amendment,
        "title": vote_title(p, v),
        "opened_at": _t(v.opened_at),
        "closed_at": _t(v.closed_at),
        "quorum": _quorum(v.quorum),
        "required": v.required,
        "total_composition": v.total_composition,
        "mayor_taking_part": v.mayor_taking_part,
        "roll_call": [
            {
                "position": r.position,
                "participant_id": r.participant_id,
                "member_id": r.member_id,
                "name": r.name,
                "answer": r.answer,
                "answer_uk": r.answer_uk,
                "source": r.source,
                "at": _t(r.at),
            }
            for r in v.rows
        ],
        "totals": v.tally.as_dict(),
        "adopted": v.adopted,
        "outcome_uk": outcome_text(p, v),
        "offset": _offset(v.offset),
        "discrepancies": list(v.discrepancies),
    }


def to_dict(p: Protocol) -> dict[str, Any]:
    """The protocol's content as plain JSON values (a council's exactly as it always was, so
    that the protocols finalised before still verify; another body's adds its own fields)."""
    d = {
        "format": "rada-protocol/1",
        "session_id": p.session_id,
        "council": {
            "id": p.council_id,
            "name": p.council_name,
            "convocation": p.convocation,
            "total_composition": p.total_composition,
        },
        "number": p.number,
        "title": p.title,
        "date": None if p.date is None else p.date.isoformat(),
        "place": p.place,
        "broadcast_url": p.broadcast_url,
        "starts_at": _t(p.starts_at),
        "announced_at": _t(p.announced_at),
        "opened_at": _t(p.opened_at),
        "competent_at": _t(p.competent_at),
        "closed_at": _t(p.closed_at),
        "cancelled": p.cancelled,
        "publication_deadline": _t(p.publication_deadline),
        "chair": None
        if p.chair is None
        else {"participant_id": p.chair.participant_id, "name": p.chair.name, "role": p.chair.role},
        "secretary": None
        if p.secretary is None
        else {"participant_id": p.secretary.participant_id, "name": p.secretary.name},
        "participants": [
            {
                "participant_id": x.person.participant_id,
                "member_id": x.person.member_id,
                "name": x.person.name,
                "role": x.person.role,
                "role_uk": x.person.role_uk,
                "joined_at": _t(x.joined_at),
                "identified_at": _t(x.identified_at),
                "confirmed_by": x.confirmed_by,
                "removed": x.removed,
            }
            for x in p.participants
        ],
        "quorum_at_opening": _quorum(p.quorum_at_opening),
        "agenda": [
            {
                "index": i.index,
                "number": i.number,
                "title": i.title,
                "category": i.category,
                "category_uk": i.category_uk,
                "documents": [
                    {
                        "document_id": d.document_id,
                        "filename": d.filename,
                        "content_type": d.content_type,
                        "size": d.size,
                        "sha256": d.sha256,
                    }
                    for d in i.documents
                ],
                "opened_at": _t(i.opened_at),
                "closed_at": _t(i.closed_at),
                "discussion_ms": i.discussion_ms,
                "discussion_limits": [
                    {"at": _t(lim.at), "scope": lim.scope, "seconds": lim.seconds}
                    for lim in i.limits
                ],
                "remarks": [
                    {"at": _t(r.at), "by": r.by, "text": r.text, "offset": _offset(r.offset)}
                    for r in i.remarks
                ],
                "amendments": [
                    {
                        "index": a.index,
                        "number": a.number,
                        "text": a.text,
                        "by": a.by,
                        "proposed_at": _t(a.proposed_at),
                        "vote": None if a.vote is None else _vote(p, a.vote),
                    }
                    for a in i.amendments
                ],
                "vote": None if i.vote is None else _vote(p, i.vote),
                "offset": _offset(i.offset),
            }
            for i in p.items
        ],
        "breaks": [
            {
                "cause": b.cause,
                "cause_uk": b.cause_uk,
                "reason": b.reason,
                "declared_by": b.declared_by,
                "started_at": _t(b.started_at),
                "ended_at": _t(b.ended_at),
                "duration_ms": b.duration_ms,
                "offset": _offset(b.offset),
            }
            for b in p.breaks
        ],
        "recording": {
            "parts": [
                {
                    "part": x.part,
                    "file": x.file,
                    "started_at": _t(x.started_at),
                    "duration_ms": x.duration_ms,
                    "size": x.size,
                    "sha256": x.sha256,
                    "offset_ms": x.offset_ms,
                }
                for x in p.recording.parts
            ],
            "manifest": p.recording.manifest,
            "manifest_sha256": p.recording.manifest_sha256,
            "duration_ms": p.recording.duration_ms,
            "losses": [
                {
                    "at": _t(x.at),
                    "part": x.part,
                    "cause": x.cause,
                    "last_media_at": _t(x.last_media_at),
                }
                for x in p.recording.losses
            ],
        },
        "seal": {"hash": p.seal, "seq": p.seal_seq, "events": p.events},
    }
    if p.rules.citations is not None:  # a body other than the council (E1–E8)
        _add_body_fields(p, d)
    return d


def _add_body_fields(p: Protocol, d: dict[str, Any]) -> None:
    """E1, E5, E6, E7: the body, who presided and why, how each answer was given, and who
    signs: the presiding person and every member who voted."""
    d["body"] = {
        "kind": p.body,
        "name": body_title(p.rules, p.council_name),
        "total_composition": p.total_composition,
    }
    if d["chair"] is not None and p.chair is not None:
        d["chair"]["kind"] = p.chair.kind
        d["chair"]["kind_uk"] = ROLE_UK.get(p.chair.kind, p.chair.kind)
        d["chair"]["reason"] = p.chair_reason
    for item in d["agenda"]:
        votes = [item["vote"], *(a["vote"] for a in item["amendments"])]
        for vote in votes:
            for row in vote["roll_call"] if vote is not None else ():
                row["source_uk"] = SOURCE_UK.get(row["source"] or "", "")
    for row, x in zip(d["participants"], p.participants, strict=True):
        row["identification_method"] = x.method  # E6
    main, members = signature_block(p, None)
    d["signature_lines"] = [{"title": line.title, "name": line.name} for line in (*main, *members)]


def to_json(p: Protocol) -> bytes:
    """Canonical JSON bytes: sorted keys, UTF-8, two-space indent, final newline."""
    text = json.dumps(to_dict(p), ensure_ascii=False, sort_keys=True, indent=2)
    return (text + "\n").encode("utf-8")


def protocol_sha256(p: Protocol) -> str:
    """The document's name in ``protocol_finalised``: SHA-256 of :func:`to_json`."""
    return hashlib.sha256(to_json(p)).hexdigest()


# --- HTML -------------------------------------------------------------------------------------


FILTERS: Mapping[str, Callable[..., str]] = {
    "kyiv_time": kyiv_time,
    "kyiv_minute": kyiv_minute,
    "kyiv_clock": kyiv_clock,
    "hms": hms,
    "offset_text": offset_text,
    "quorum_text": quorum_text,
}
"""The filters of the protocol's templates (the document and the public archive pages)."""
FUNCTIONS: Mapping[str, Callable[..., str]] = {
    "vote_title": vote_title,
    "outcome_text": outcome_text,
    "tally_text": tally_text,
    "votes_needed": votes_needed,
    "agree": agree,
    "plural": plural,
}
"""The functions the protocol's templates call."""


@functools.cache
def document_environment() -> jinja2.Environment:
    """The site's environment (:func:`~orchestrator.kernel.web.templating.make_environment`) with the
    protocol's filters, for the standalone document: it is written into the published folder
    (in a worker thread, without an application) and must render offline, so
    ``protocol.html`` extends no page and carries its own inline CSS."""
    return make_environment(FUNCTIONS, FILTERS)


def document_context(p: Protocol, pub: Publication | None = None) -> dict[str, Any]:
    """What ``protocol_body.html`` reads: the model, its heading and its signature block."""
    main, members = signature_block(p, pub)
    return {
        "p": p,
        "long_date": long_date(p),
        "heading": heading_block(p),
        "signers": main,
        "member_signers": members,
        "role_uk": ROLE_UK,
        "words": p.words,
        "chair_text": chair_text(p),
        "body_name": body_title(p.rules, p.council_name),
    }


def to_html(p: Protocol, pub: Publication | None = None) -> str:
    """The protocol as a standalone HTML document (``templates/protocol.html``); ``pub``: the
    signatures made in rada, printed in the signature block."""
    return document_environment().get_template("protocol.html").render(**document_context(p, pub))


# --- WebVTT chapters ---------------------------------------------------------------------------


def _vtt_time(ms: int) -> str:
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def chapters(p: Protocol) -> list[tuple[str, int, str]]:
    """(cue id, start ms, title) for the opening, each item, each vote and each break."""
    out: list[tuple[str, int, str]] = []
    if p.opened_at is not None and p.recording.parts:
        opening = p.recording.parts[0].offset_ms
        out.append(
            ("opening", opening, f"Відкриття {p.words.meeting_genitive}, ідентифікація учасників")
        )
    for item in p.items:
        if item.offset is not None:
            out.append(
                (f"item-{item.number}", item.offset.ms, f"Питання {item.number}. {item.title}")
            )
    for v in p.votes:
        if v.offset is not None:
            out.append((f"vote-{v.vote_id}", v.offset.ms, f"Голосування: {vote_title(p, v)}"))
    for n, b in enumerate(p.breaks, start=1):
        if b.offset is not None:
            out.append((f"break-{n}", b.offset.ms, f"Перерва: {b.cause_uk}"))
    out.sort(key=lambda c: c[1])
    return out


def _cue_spans(p: Protocol) -> list[tuple[str, int, int, str]]:
    """(cue id, start, end, title) on the joint timeline; a cue runs to the next (≥ 1 ms)."""
    cues = chapters(p)
    spans = []
    for k, (cue_id, start, title) in enumerate(cues):
        nxt = cues[k + 1][1] if k + 1 < len(cues) else p.recording.duration_ms
        spans.append((cue_id, start, max(nxt, start + 1), title))
    return spans


def _vtt(spans: list[tuple[str, int, int, str]]) -> str:
    lines = ["WEBVTT", ""]
    for cue_id, start, end, title in spans:
        lines += [cue_id, f"{_vtt_time(start)} --> {_vtt_time(end)}", cue_text(title), ""]
    return "\n".join(lines)


def to_vtt(p: Protocol) -> str:
    """The WebVTT chapters track on the parts' joint timeline (the protocol's offsets)."""
    return _vtt(_cue_spans(p))


def to_part_vtts(p: Protocol) -> dict[int, str]:
    """Per part, the chapters that fall in it, timed from that part's start (a player that
    plays one part file at a time shows the right chapter and caption)."""
    out: dict[int, str] = {}
    spans = _cue_spans(p)
    for part in p.recording.parts:
        lo, hi = part.offset_ms, part.offset_ms + part.duration_ms
        inside = [
            (cid, max(start, lo) - lo, min(end, hi) - lo, title)
            for cid, start, end, title in spans
            if start < hi and end > lo
        ]
        out[part.part] = _vtt([c for c in inside if c[2] > c[1]])
    return out


# --- PDF ----------------------------------------------------------------------------------------


def font_files() -> tuple[Path, Path]:
    """Regular and bold Source Sans Pro TTFs from the ``font-source-sans-pro`` wheel."""
    import font_source_sans_pro

    files: dict[str, str] = font_source_sans_pro.font_files_ttf
    return Path(files["SourceSansPro"]), Path(files["SourceSansProBold"])


def _pdf_lines(p: Protocol, pub: Publication | None = None) -> Iterator[tuple[str, Any]]:
    """The PDF's content as a flat list of (kind, data) blocks, in reading order."""
    h = p.heading
    yield "heading", heading_block(p)
    yield "field", ("Головуючий", chair_text(p))
    yield "field", ("Протокол веде", p.secretary.name if p.secretary else "—")
    yield "field", ("Рішення про засідання оприлюднено", kyiv_time(p.announced_at))
    yield "field", ("Засідання відкрито", kyiv_time(p.opened_at))
    yield "field", ("Засідання закрито", kyiv_time(p.closed_at))
    yield (
        "field",
        (
            "Кворум при відкритті",
            f"{quorum_text(p.quorum_at_opening, p.words.members_genitive)} {h.cite('R7')}",
        ),
    )
    if p.cancelled:
        yield "field", ("Скасовано", p.cancelled)
    yield "h2", "Учасники засідання та їх ідентифікація"
    yield (
        "para",
        f"{p.words.identification_note} {h.cite('R11')}.".replace(" .", "."),
    )
    yield (
        "table",
        (
            ("ПІБ", "Роль", "Ідентифіковано", "Підтвердив"),
            (62, 46, 27, 45),
            [
                (
                    x.person.name,
                    x.person.role_uk,
                    kyiv_clock(x.identified_at),
                    x.confirmed_uk,
                )
                for x in p.participants
            ],
        ),
    )
    yield "h2", "ПОРЯДОК ДЕННИЙ"
    for item in p.items:
        yield "para", f"{item.number}. {item.title}"
    yield (
        "para",
        f"Підстава розгляду на дистанційному засіданні {h.cite('R1')}: "
        + "; ".join(f"питання {item.number} — {item.category_uk.lower()}" for item in p.items),
    )
    for item in p.items:
        yield "h2", f"{item.number}. {item.title}"
        yield "label", ("СЛУХАЛИ", f"{item.title} ({item.category_uk.lower()}).")
        for d in item.documents:
            yield "mono", f"Проєкт рішення: {d.filename}, SHA-256 {d.sha256}"
        yield (
            "small",
            (
                f"Розгляд {kyiv_clock(item.opened_at)} – {kyiv_clock(item.closed_at)}; обговорення "
                f"{hms(item.discussion_ms)}; у записі {offset_text(item.offset)}"
            ),
        )
        for lim in item.limits:
            scope = "на виступ" if lim.scope == "speaker" else "на питання"
            yield "small", f"Час обговорення обмежено головуючим: {lim.seconds} с {scope}"
        spoke = [f"{r.by or '—'} ({kyiv_clock(r.at)}): {r.text}" for r in item.remarks]
        spoke += [
            f"{a.by or '—'} — {p.words.amendment} {a.number}: {a.text}" for a in item.amendments
        ]
        yield "label", ("ВИСТУПИЛИ", "" if spoke else "зауважень і пропозицій не надійшло.")
        for text in spoke:
            yield "para", text
        yield (
            "label",
            ("ВИРІШИЛИ", "" if item.vote or item.amendments else "питання не голосувалося."),
        )
        for a in item.amendments:
            if a.vote is not None:
                yield from _pdf_vote(p, a.vote)
        if item.vote is not None:
            yield from _pdf_vote(p, item.vote)
    yield "h2", "Перерви"
    if not p.breaks:
        yield "para", "Перерв не було."
    for b in p.breaks:
        yield (
            "para",
            (
                f"{b.cause_uk}: {b.reason}; оголосив {b.declared_by or '—'}; "
                f"{kyiv_time(b.started_at)} – {kyiv_time(b.ended_at)}, тривалість "
                f"{hms(b.duration_ms)}; у записі {offset_text(b.offset)}"
            ),
        )
    yield "h2", "Запис засідання"
    yield (
        "para",
        f"Запис і його носій є невід'ємною частиною цього протоколу {h.cite('R9')}.".replace(
            " .", "."
        ),
    )
    yield (
        "table",
        (
            ("Частина", "Файл", "Початок", "Тривалість", "Розмір, байт"),
            (18, 50, 42, 28, 42),
            [
                (str(x.part), x.file, kyiv_time(x.started_at), hms(x.duration_ms), str(x.size))
                for x in p.recording.parts
            ],
        ),
    )
    for x in p.recording.parts:
        yield "mono", f"частина {x.part} SHA-256 {x.sha256}"
    yield "field", ("Маніфест", p.recording.manifest or "—")
    yield "mono", f"SHA-256 маніфесту {p.recording.manifest_sha256 or '—'}"
    yield "field", ("Загальна тривалість", hms(p.recording.duration_ms))
    yield "h2", "Печатка журналу"
    yield "para", f"Остання подія журналу № {p.seal_seq} з {p.events}; її хеш:"
    yield "mono", p.seal
    yield "signatures", signature_block(p, pub)


def _pdf_vote(p: Protocol, v: Vote) -> Iterator[tuple[str, Any]]:
    h = p.heading
    yield "h3", f"Поіменне голосування: {vote_title(p, v)}"
    yield (
        "small",
        (
            f"Початок {kyiv_time(v.opened_at)}; {quorum_text(v.quorum, p.words.members_genitive)}; "
            f"у записі {offset_text(v.offset)}. {p.words.voting_note} {h.cite('R15')}."
        ),
    )
    yield (
        "table",
        (
            ("№", "ПІБ", "Голосування", "Як подано", "Час"),
            (10, 84, 30, 36, 20),
            [
                (str(r.position), r.name, r.answer_agreed, r.source_uk, kyiv_clock(r.at))
                for r in v.rows
            ],
        ),
    )
    yield "field", ("Підсумок", tally_text(v))
    needed = f"{votes_needed(v)}, більшість від {p.words.composition_of} {h.cite('R13')}"
    yield "field", ("Потрібно для прийняття", needed)
    yield "outcome", outcome_text(p, v)
    for d in v.discrepancies:
        yield "field", ("Розбіжність", d)


def to_pdf(p: Protocol, pub: Publication | None = None) -> bytes:
    """The protocol as an A4 PDF with an embedded Cyrillic font: the official heading, page
    «сторінка X з Y» at the foot, a table's header row again on each page it runs onto, every
    cell wrapped rather than cut, and the signature block (``pub``: the signatures made)."""
    from fpdf import FPDF

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("SSP", "", 8)
            self.cell(0, 5, f"сторінка {self.page_no()} з {{nb}}", align="C")

    regular, bold = font_files()
    pdf = Document(format="A4")
    pdf.alias_nb_pages()
    pdf.set_title(f"Протокол № {p.number} — {p.council_name}")
    pdf.set_lang("uk")
    pdf.set_creator("rada")
    if p.closed_at is not None:
        pdf.set_creation_date(p.closed_at)
    pdf.add_font("SSP", "", str(regular))
    pdf.add_font("SSP", "B", str(bold))
    pdf.set_margins(20, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw
    wrapped: dict[tuple[str, float], list[str]] = {}  # names repeat in every vote table

    def lines_of(text: str, w: float) -> list[str]:
        key = (text, w)
        if key not in wrapped:
            if pdf.get_string_width(text) <= w - 2:
                wrapped[key] = [text]
            else:
                lines = pdf.multi_cell(w - 2, 4, text, dry_run=True, output="LINES")
                wrapped[key] = [str(x) for x in lines] if isinstance(lines, list) else [text]
        return wrapped[key]

    def header_row(header: tuple[str, ...], widths: tuple[float, ...]) -> None:
        pdf.set_font("SSP", "B", 9)
        pdf.set_fill_color(235, 238, 242)
        for text, w in zip(header, widths, strict=True):
            pdf.cell(w, 6, text, border=1, fill=True)
        pdf.ln(6)
        pdf.set_font("SSP", "", 9)

    for kind, data in _pdf_lines(p, pub):
        if kind == "heading":
            if p.heading.emblem:
                try:
                    image = io.BytesIO(base64.b64decode(p.heading.emblem))
                    pdf.image(image, x=pdf.w / 2 - 7, w=14)
                except (ValueError, RuntimeError, OSError):
                    pass  # an unreadable emblem leaves the heading without it
            pdf.set_font("SSP", "B", 12)
            for line in data.lines:
                pdf.multi_cell(width, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
            pdf.set_font("SSP", "B", 16)
            pdf.cell(width, 9, data.title, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("SSP", "", 11)
            for line in data.subtitle:
                if line:
                    pdf.multi_cell(width, 6, line, align="C", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
            pdf.cell(width / 2, 6, data.place)
            pdf.cell(width / 2, 6, data.date, align="R", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
        elif kind in ("h2", "h3"):
            pdf.ln(2)
            pdf.set_font("SSP", "B", 13 if kind == "h2" else 11)
            pdf.multi_cell(width, 7, data, new_x="LMARGIN", new_y="NEXT")
        elif kind == "label":
            label, text = data
            pdf.ln(1)
            pdf.set_font("SSP", "B", 11)
            pdf.write(6, f"{label}: ")
            pdf.set_font("SSP", "", 11)
            pdf.write(6, text)
            pdf.ln(7)
        elif kind == "field":
            label, value = data
            pdf.set_font("SSP", "B", 10)
            pdf.write(5, f"{label}: ")
            pdf.set_font("SSP", "", 10)
            pdf.write(5, value)
            pdf.ln(6)
        elif kind == "outcome":
            pdf.set_font("SSP", "B", 11)
            pdf.multi_cell(width, 6, data, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        elif kind == "para":
            pdf.set_font("SSP", "", 10)
            pdf.multi_cell(width, 5, data, align="L", new_x="LMARGIN", new_y="NEXT")
        elif kind == "small":
            pdf.set_font("SSP", "", 9)
            pdf.multi_cell(width, 4.5, data, align="L", new_x="LMARGIN", new_y="NEXT")
        elif kind == "mono":
            pdf.set_font("SSP", "", 8)
            pdf.multi_cell(width, 4, data, align="L", new_x="LMARGIN", new_y="NEXT")
        elif kind == "table":
            header, widths, rows = data
            if pdf.will_page_break(11):
                pdf.add_page()
            header_row(header, widths)
            for row in rows:
                cells = [lines_of(text, w) for text, w in zip(row, widths, strict=True)]
                height = 1.6 + 4 * max(len(c) for c in cells)
                if pdf.will_page_break(height):
                    pdf.add_page()
                    header_row(header, widths)  # the header row again on the new page
                # text() and rect() are far cheaper than cell() for thousands of roll-call rows
                x, y = pdf.l_margin, pdf.get_y()
                for lines, w in zip(cells, widths, strict=True):
                    pdf.rect(x, y, w, height)
                    for k, line in enumerate(lines):
                        pdf.text(x + 1, y + 3.6 + 4 * k, line)
                    x += w
                pdf.set_y(y + height)
        elif kind == "signatures":
            main, members = data
            if pdf.will_page_break(40):
                pdf.add_page()
            pdf.ln(8)

            def sign_line(line: SignLine) -> None:
                pdf.set_font("SSP", "B", 11)
                pdf.cell(width * 0.4, 7, line.title)
                pdf.set_font("SSP", "", 11)
                pdf.cell(width * 0.25, 7, "_______________")
                pdf.cell(width * 0.35, 7, line.name, align="R", new_x="LMARGIN", new_y="NEXT")
                pdf.set_font("SSP", "", 8)
                pdf.multi_cell(width, 4, line.done, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(4)

            for line in main:
                sign_line(line)
            if members:
                pdf.set_font("SSP", "B", 10)
                pdf.multi_cell(
                    width,
                    6,
                    f"Погоджено {p.words.members_instrumental}, які брали участь у голосуванні "
                    + p.heading.cite("R19"),
                    new_x="LMARGIN",
                    new_y="NEXT",
                )
            for line in members:
                sign_line(line)
    return bytes(pdf.output())
