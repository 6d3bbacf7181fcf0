"""Feeds of announced sessions (R3, R20): Atom (RFC 4287) and iCalendar (RFC 5545). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID
from xml.etree import ElementTree as ET

from orchestrator.convening.bodies import rule_set

ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True, slots=True)
class Listed:
    """A session as the archive list shows it: its row and journal milestones."""

    id: UUID
    council_name: str
    convocation: int
    title: str
    number: int
    starts_at: datetime
    planned_end: datetime
    status: str
    announced_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    cancelled: bool
    published_at: datetime | None
    body: str = "council"  # E1–E8: ``council_name`` then names the body (store.py)


def _atom_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public(sessions: Sequence[Listed]) -> list[Listed]:
    """Sessions the public knows of: announced (R3) or already held."""
    return [s for s in sessions if s.announced_at is not None or s.opened_at is not None]


def atom(sessions: Sequence[Listed], base_url: str, now: datetime) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "uk"})
    shown = public(sessions)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base_url}/archive"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Дистанційні засідання ради"
    updated = max((s.announced_at or s.starts_at for s in shown), default=now)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = _atom_time(updated)
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": f"{base_url}/archive/feed.atom"})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "rada"
    for s in shown:
        url = f"{base_url}/archive/sessions/{s.id}"
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:uuid:{s.id}"
        ET.SubElement(
            entry, f"{{{ATOM}}}title"
        ).text = f"{s.council_name}: засідання № {s.number} — {s.title}"
        ET.SubElement(entry, f"{{{ATOM}}}link", {"href": url})
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = _atom_time(s.announced_at or s.starts_at)
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = (
            f"{rule_set(s.body).words.announcement}, початок {_atom_time(s.starts_at)} (UTC)."
            + (" Засідання скасовано." if s.cancelled else "")
        )
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _ical_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """RFC 5545 §3.1: lines longer than 75 octets are folded (never inside a UTF-8 sequence)."""
    out: list[str] = []
    current = ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0], *(" " + rest for rest in out[1:])]


def _ical_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ical(sessions: Sequence[Listed], base_url: str, now: datetime) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//rada//archive//UK",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Дистанційні засідання ради",
    ]
    for s in public(sessions):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{s.id}@rada",
            f"DTSTAMP:{_ical_time(now)}",
            f"DTSTART:{_ical_time(s.starts_at)}",
            f"DTEND:{_ical_time(s.planned_end)}",
            "SUMMARY:" + _ical_text(f"{s.council_name}: засідання № {s.number} — {s.title}"),
            "LOCATION:" + _ical_text("дистанційно"),
            f"URL:{base_url}/archive/sessions/{s.id}",
            "STATUS:" + ("CANCELLED" if s.cancelled else "CONFIRMED"),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(f for line in lines for f in _fold(line)) + "\r\n").encode("utf-8")
