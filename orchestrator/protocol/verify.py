"""``rada verify ARCHIVE``: check a session's published archive against its own journal.

ARCHIVE is an archive folder (layout in :mod:`orchestrator.protocol.archive`), its public URL
(``http://127.0.0.1:8080/archive/sessions/<session_id>/files``), or the whole archive as one ZIP
(:mod:`orchestrator.protocol.bundle`), a file or its URL
(``…/archive/sessions/<session_id>/bundle.zip``); a URL is downloaded and a ZIP unpacked into a
temporary folder first. Checks, each difference named on its own line:

1. the journal chain: every event's hash recomputed, sequence without gaps, one session;
2. the manifest's SHA-256 against ``archive_ready.manifest_sha256``, its part count against
   ``archive_ready.parts``;
3. every manifest entry against the journal's ``part_closed`` for the same part (file, start,
   duration, size, hash), and no part only on one side;
4. every part file under ``parts/`` and every recorder file beside them (or under
   ``recording/`` in an older archive): present, its size and SHA-256 as the manifest says;
5. ``protocol.json`` (if present): its seal is the journal's last session event, and its SHA-256
   is what the last ``protocol_finalised`` names;
6. attached documents and uploaded signatures that are present: their SHA-256 as journaled;
7. every part's media is whole (R9): a fragmented MP4 whose init section (``ftyp``, ``moov``)
   comes first and whose every ``moof`` is followed by its ``mdat``, the last box ending
   exactly at the end of the file (a truncated last fragment is named); and it decodes with
   ffmpeg, without an error, to its last frame: the decoded length reaches the manifest's
   duration (``--no-decode`` skips the decoding, which costs about a CPU-second per minute of
   640×360 media: measured 4.9 s for 5 minutes at 1 Mbit/s);
8. the parts cover the sitting (R9, R10): between ``session_opened`` and ``session_closed``
   no stretch without media outside a declared break (``break_declared`` … ``break_ended``)
   lasts longer than the time a loss takes to be declared, and no act of the sitting (an
   item, a vote, an answer) falls in a stretch without media before the first part.

Exit status 0 when nothing differs, 1 when something does, 2 when the archive cannot be read.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from orchestrator.kernel.ffmpeg import ffmpeg_path
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import Event, event_from_public, parse_time, verify_chain
from orchestrator.protocol import archive, bundle
from orchestrator.protocol.model import PROTOCOL_EVENTS


@dataclass(frozen=True, slots=True)
class Difference:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class Unreadable(Exception):
    """The archive lacks a file every check needs, or it is not JSON."""


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError as exc:
        raise Unreadable(f"{path.name}: missing") from exc
    except ValueError as exc:
        raise Unreadable(f"{path.name}: not valid JSON ({exc})") from exc


def load_journal(folder: Path) -> list[Event]:
    data = _load_json(folder / archive.JOURNAL)
    if not isinstance(data, list):
        raise Unreadable(f"{archive.JOURNAL}: expected a list of events")
    try:
        return [event_from_public(item) for item in data]
    except (KeyError, TypeError, ValueError) as exc:
        raise Unreadable(f"{archive.JOURNAL}: an event is malformed ({exc})") from exc


def check_journal(events: Sequence[Event]) -> list[Difference]:
    out = [Difference(f"journal event {f.seq}", f.reason) for f in verify_chain(events)]
    sessions = {e.session_id for e in events}
    if len(sessions) > 1:
        out.append(Difference("journal", f"events of {len(sessions)} sessions in one journal"))
    if not events:
        out.append(Difference("journal", "no events"))
    return out


@dataclass
class Journaled:
    """What the journal says of the archive's files, folded in one pass (``_JOURNALED``)."""

    ready: ev.ArchiveReady | None = None  # the last archive_ready
    parts: dict[int, ev.PartClosed] = field(default_factory=dict)
    finalised: ev.ProtocolFinalised | None = None  # the last protocol_finalised
    digests: list[tuple[str, str]] = field(default_factory=list)  # (path in the archive, SHA-256)
    seal: str | None = None  # the hash of the last session event (protocol acts left out)

    def on_archive_ready(self, p: ev.ArchiveReady) -> None:
        self.ready = p

    def on_part_closed(self, p: ev.PartClosed) -> None:
        self.parts[p.part] = p

    def on_finalised(self, p: ev.ProtocolFinalised) -> None:
        self.finalised = p

    def on_document(self, p: ev.DocumentAttached) -> None:
        self.digests.append((archive.document_path(p.document_id, p.filename), p.sha256))

    def on_published(self, p: ev.ProtocolPublished) -> None:
        if p.plan_sha256:
            self.digests.append((archive.PLAN_PDF, p.plan_sha256))

    def on_signed(self, p: ev.ProtocolSigned) -> None:
        if p.signature_sha256:
            self.digests.append((archive.signature_path(str(p.by)), p.signature_sha256))


_JOURNALED: Mapping[str, Callable[[Journaled, Any], None]] = {
    ev.ARCHIVE_READY: Journaled.on_archive_ready,
    ev.PART_CLOSED: Journaled.on_part_closed,
    ev.PROTOCOL_FINALISED: Journaled.on_finalised,
    ev.DOCUMENT_ATTACHED: Journaled.on_document,
    ev.PROTOCOL_SIGNED: Journaled.on_signed,
    ev.PROTOCOL_PUBLISHED: Journaled.on_published,
}
"""What ``rada verify`` reads of the journal: event type -> the :class:`Journaled` method."""


def journaled(events: Sequence[Event]) -> Journaled:
    """Fold the journal into what the archive's files must agree with."""
    facts = Journaled()
    for e in events:
        if e.type not in PROTOCOL_EVENTS:
            facts.seal = e.hash
        handler = _JOURNALED.get(e.type)
        if handler is not None:
            handler(facts, ev.parse(e))
    return facts


_PART_FIELDS = ("file", "started_at", "duration_ms", "size", "sha256")


def check_recording(folder: Path, facts: Journaled) -> list[Difference]:
    out: list[Difference] = []
    ready = facts.ready
    closed = facts.parts
    manifest_path = folder / archive.MANIFEST
    if not manifest_path.is_file():
        if ready is not None or closed:
            out.append(Difference(archive.MANIFEST, "missing"))
        return out
    raw = manifest_path.read_bytes()
    if ready is None:
        out.append(Difference("journal", "no archive_ready event names the manifest"))
    elif hashlib.sha256(raw).hexdigest() != ready.manifest_sha256:
        out.append(Difference(archive.MANIFEST, "SHA-256 differs from archive_ready"))
    try:
        entries = archive.manifest_entries(json.loads(raw))
    except ValueError as exc:
        return [*out, Difference(archive.MANIFEST, f"unreadable ({exc})")]
    if ready is not None and (-1 if ready.parts is None else ready.parts) != len(entries):
        out.append(
            Difference(archive.MANIFEST, f"{len(entries)} parts, archive_ready says {ready.parts}")
        )
    listed: set[int] = set()
    for entry in entries:
        number = int(entry.get("part", -1))
        listed.add(number)
        where = f"part {number}"
        journaled_part = closed.get(number)
        if journaled_part is None:
            out.append(Difference(where, "in the manifest but no part_closed in the journal"))
        else:
            for key in _PART_FIELDS:
                if getattr(journaled_part, key) != entry.get(key):
                    out.append(Difference(where, f"{key} differs between manifest and journal"))
        rel = f"{archive.PARTS}/{archive.part_name(str(entry.get('file', '')))}"
        out.extend(_check_file(folder, rel, entry))
    for entry in archive.manifest_files(json.loads(raw)):
        out.extend(_check_file(folder, _recorder_file(folder, str(entry.get("file", ""))), entry))
    for number in sorted(set(closed) - listed):
        out.append(Difference(f"part {number}", "in the journal but not in the manifest"))
    return out


def _recorder_file(folder: Path, file: str) -> str:
    """Where the archive holds a recorder file: beside the parts, or where an older archive
    put it (``recording/``)."""
    rel = archive.recorder_file_path(file)
    legacy = archive.legacy_recorder_file_path(file)
    return legacy if not (folder / rel).is_file() and (folder / legacy).is_file() else rel


def _check_file(folder: Path, rel: str, entry: Mapping[str, Any]) -> list[Difference]:
    """A file the manifest lists: present, its size and SHA-256 as listed."""
    path = folder / rel
    if not path.is_file():
        return [Difference(rel, "missing")]
    out = []
    if path.stat().st_size != entry.get("size"):
        out.append(
            Difference(rel, f"size {path.stat().st_size}, manifest says {entry.get('size')}")
        )
    if archive.sha256_file(path) != entry.get("sha256"):
        out.append(Difference(rel, "SHA-256 differs from the manifest"))
    return out


def check_protocol(folder: Path, facts: Journaled) -> list[Difference]:
    path = folder / archive.PROTOCOL_JSON
    if not path.is_file():
        return []
    out: list[Difference] = []
    raw = path.read_bytes()
    try:
        seal = json.loads(raw).get("seal", {}).get("hash")
    except (ValueError, AttributeError):
        seal = None
    if facts.seal is not None and seal != facts.seal:
        out.append(Difference(archive.PROTOCOL_JSON, "its seal is not the journal's last hash"))
    finalised = facts.finalised
    if finalised is not None and hashlib.sha256(raw).hexdigest() != finalised.protocol_sha256:
        out.append(Difference(archive.PROTOCOL_JSON, "SHA-256 differs from protocol_finalised"))
    return out


def check_attachments(folder: Path, facts: Journaled) -> list[Difference]:
    out: list[Difference] = []
    for rel, digest in facts.digests:
        path = folder / rel
        if path.is_file() and archive.sha256_file(path) != digest:
            out.append(Difference(rel, "SHA-256 differs from the journal"))
    return out


def verify_archive(folder: Path, *, decode: bool = True) -> list[Difference]:
    """Every difference between the archive's files and its journal; empty when intact.
    ``decode``: also decode every part with ffmpeg (see :func:`part_decode_problem`).

    Raises :class:`Unreadable` when the journal itself cannot be read.
    """
    events = load_journal(folder)
    facts = journaled(events)
    return [
        *check_journal(events),
        *check_recording(folder, facts),
        *check_protocol(folder, facts),
        *check_attachments(folder, facts),
        *check_part_media(folder, decode=decode),
        *check_coverage(events),
    ]


# --- the media itself (R9): whole parts, and parts that cover the sitting -------------------

_BOX_HEADER = 16


def part_media_problem(path: Path) -> str | None:
    """Why a part is not a whole fragmented MP4 (``None`` when it is): its top-level boxes are
    walked from their headers. The recorder cuts a part after its last complete fragment, so
    any other end is damage (a disk that filled, a copy cut short)."""
    size = path.stat().st_size
    seen_moov = False
    pending_moof: int | None = None
    offset = 0
    with path.open("rb") as handle:
        while offset < size:
            handle.seek(offset)
            head = handle.read(_BOX_HEADER)
            if len(head) < 8:
                return f"truncated last fragment: {size - offset} bytes of a box at byte {offset}"
            length = int.from_bytes(head[0:4], "big")
            kind = head[4:8].decode("latin-1")
            if length == 1 and len(head) == _BOX_HEADER:
                length = int.from_bytes(head[8:16], "big")
            elif length == 0:
                length = size - offset
            if length < 8 or not kind.isprintable():
                return f"not a fragmented MP4: no box at byte {offset}"
            if offset + length > size:
                return (
                    f"truncated last fragment: the {kind} box at byte {offset} needs "
                    f"{length} bytes, the file holds {size - offset}"
                )
            if offset == 0 and kind != "ftyp":
                return "not a fragmented MP4: it does not begin with ftyp"
            if kind == "moov":
                seen_moov = True
            elif kind == "moof":
                if not seen_moov:
                    return f"a fragment at byte {offset} before the init section (moov)"
                if pending_moof is not None:
                    return f"the fragment at byte {pending_moof} has no media (mdat)"
                pending_moof = offset
            elif kind == "mdat":
                pending_moof = None
            offset += length
    if size == 0 or not seen_moov:
        return "no init section (ftyp, moov): nothing playable"
    if pending_moof is not None:
        return f"truncated last fragment: the fragment at byte {pending_moof} has no media (mdat)"
    return None


# A decoded part may end this much short of the manifest's duration (the manifest sums the
# segments' durations; the decoder ends at the last frame's timestamp + its duration).
DECODE_TOLERANCE_MS = 200


def part_decode_problem(path: Path, duration_ms: int, ffmpeg: str) -> str | None:
    """Why ffmpeg cannot play a part to its last frame (``None`` when it can): it decodes every
    stream to nothing (``-f null``), and the part fails on a decoder error, on ffmpeg failing,
    or when the decoded length falls short of ``duration_ms``."""
    result = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [
            ffmpeg, "-nostdin", "-hide_banner", "-v", "error", "-i", str(path),
            "-map", "0", "-f", "null", "-progress", "pipe:1", "-nostats", "-",
        ],
        capture_output=True,
        text=True,
        check=False,
    )  # fmt: skip
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode != 0 or errors:
        first = errors[0] if errors else f"ffmpeg exited with {result.returncode}"
        return f"does not decode: {first}"
    decoded_us = [
        int(line.split("=", 1)[1])
        for line in result.stdout.splitlines()
        if line.startswith("out_time_us=") and line.split("=", 1)[1].strip().isdigit()
    ]
    decoded_ms = max(decoded_us, default=0) // 1000
    if decoded_ms + DECODE_TOLERANCE_MS < duration_ms:
        return f"decodes to {decoded_ms} ms of the {duration_ms} ms the manifest lists"
    return None


def check_part_media(folder: Path, *, decode: bool = True) -> list[Difference]:
    """Every part the manifest lists and the archive holds: a whole fragmented MP4 that decodes
    to its last frame (R9)."""
    path = folder / archive.MANIFEST
    try:
        entries = archive.manifest_entries(json.loads(path.read_bytes()))
    except (OSError, ValueError):
        return []  # a missing or unreadable manifest is named by check_recording
    out = []
    ffmpeg = ffmpeg_path() if decode else ""
    for entry in entries:
        rel = f"{archive.PARTS}/{archive.part_name(str(entry.get('file', '')))}"
        if not (folder / rel).is_file():
            continue
        problem = part_media_problem(folder / rel)
        if problem is None and decode:
            duration = entry.get("duration_ms")
            expected = duration if isinstance(duration, int) else 0
            problem = part_decode_problem(folder / rel, expected, ffmpeg)
        if problem:
            out.append(Difference(rel, problem))
    return out


# A lost recording is declared within the stall time + 1 s and conduct declares the break
# (R10) as it is journaled: a stretch without media and without a break up to this long is
# that delay, not a gap.
GAP_TOLERANCE = timedelta(seconds=15)
# Acts the sitting may take only while the recording is received (R9).
RECORDED_ACTS = frozenset(
    {
        ev.ITEM_OPENED,
        ev.DISCUSSION_LIMITED,
        ev.REMARK_RECORDED,
        ev.AMENDMENT_PROPOSED,
        ev.VOTE_OPENED,
        ev.DEPUTY_CALLED,
        ev.BALLOT_RECORDED,
        ev.DEPUTY_SKIPPED,
        ev.VOTE_CLOSED,
        ev.ITEM_CLOSED,
    }
)


def _spans(events: Sequence[Event]) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """The stretches with media (parts) or a declared break, merged, and the first part's
    start."""
    covered: list[tuple[datetime, datetime]] = []
    first_part: datetime | None = None
    break_since: datetime | None = None
    for e in events:
        if e.type == ev.PART_CLOSED:
            start = parse_time(str(e.payload["started_at"]))
            end = start + timedelta(milliseconds=int(e.payload.get("duration_ms", 0)))
            covered.append((start, end))
            first_part = start if first_part is None else min(first_part, start)
        elif e.type == ev.BREAK_DECLARED and break_since is None:
            break_since = e.at
        elif e.type in (ev.BREAK_ENDED, ev.SESSION_CLOSED) and break_since is not None:
            covered.append((break_since, e.at))
            break_since = None
    covered.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in covered:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged, first_part


def check_coverage(events: Sequence[Event]) -> list[Difference]:
    """Stretches of the sitting with neither media nor a declared break (R9, R10)."""
    opened = next((e for e in events if e.type == ev.SESSION_OPENED), None)
    closed = next((e for e in reversed(events) if e.type == ev.SESSION_CLOSED), None)
    if opened is None or closed is None or not any(e.type == ev.PART_CLOSED for e in events):
        return []  # not sat, not closed, or never recorded: the other checks say so
    covered, first_part = _spans(events)
    gaps: list[tuple[datetime, datetime]] = []
    cursor = opened.at
    for start, end in covered:
        if start > cursor:
            gaps.append((cursor, min(start, closed.at)))
        cursor = max(cursor, end)
        if cursor >= closed.at:
            break
    if cursor < closed.at:
        gaps.append((cursor, closed.at))
    out = []
    for start, end in gaps:
        if end <= start:
            continue
        acts = [e for e in events if e.type in RECORDED_ACTS and start < e.at < end]
        leading = first_part is not None and end <= first_part
        if (not leading and end - start > GAP_TOLERANCE) or (leading and acts):
            what = (
                f"; {len(acts)} act(s) of the sitting in it, from event {acts[0].seq}"
                if acts
                else ""
            )
            out.append(
                Difference(
                    "recording",
                    f"undeclared gap: no media and no declared break from {start.isoformat()} "
                    f"to {end.isoformat()} ({(end - start).total_seconds():.0f} s){what}",
                )
            )
    return out


# --- a published archive over HTTP ----------------------------------------------------------


def _fetch(base: str, rel: str, target: Path, *, required: bool) -> bool:
    return _fetch_url(urllib.parse.urljoin(base.rstrip("/") + "/", rel), target, required=required)


def _fetch_url(url: str, target: Path, *, required: bool) -> bool:
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise Unreadable(f"{url}: only http and https are fetched")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=30) as response, target.open("wb") as f:  # noqa: S310 - scheme checked above
            while chunk := response.read(archive.CHUNK):
                f.write(chunk)
    except OSError as exc:
        target.unlink(missing_ok=True)
        if required:
            raise Unreadable(f"{url}: {exc}") from exc
        return False
    return True


def download(base: str, folder: Path) -> None:
    """Fetch a published archive's checked files into ``folder``."""
    _fetch(base, archive.JOURNAL, folder / archive.JOURNAL, required=True)
    _fetch(base, archive.PROTOCOL_JSON, folder / archive.PROTOCOL_JSON, required=False)
    _fetch(base, archive.PLAN_PDF, folder / archive.PLAN_PDF, required=False)
    if _fetch(base, archive.MANIFEST, folder / archive.MANIFEST, required=False):
        listed = _load_json(folder / archive.MANIFEST)
        for entry in archive.manifest_entries(listed):
            rel = f"{archive.PARTS}/{archive.part_name(str(entry.get('file', '')))}"
            _fetch(base, rel, folder / rel, required=False)
        for entry in archive.manifest_files(listed):
            file = str(entry.get("file", ""))
            rel = archive.recorder_file_path(file)
            if not _fetch(base, rel, folder / rel, required=False):
                legacy = archive.legacy_recorder_file_path(file)
                _fetch(base, legacy, folder / legacy, required=False)


# --- the command -----------------------------------------------------------------------------


def _verify_bundle(path: Path, *, decode: bool = True) -> list[Difference]:
    """A session's archive downloaded as one ZIP (:mod:`orchestrator.protocol.bundle`):
    unpacked into a temporary folder and checked as the folder is."""
    with tempfile.TemporaryDirectory(prefix="rada-verify-") as tmp:
        try:
            folder = bundle.extract(path, Path(tmp))
        except (bundle.BadBundle, OSError, zipfile.BadZipFile) as exc:
            raise Unreadable(str(exc)) from exc
        return verify_archive(folder, decode=decode)


def run(target: str, *, decode: bool = True) -> int:
    """Verify and print; the exit status of ``rada verify``."""
    try:
        if target.startswith(("http://", "https://")):
            with tempfile.TemporaryDirectory(prefix="rada-verify-") as tmp:
                path = urllib.parse.urlsplit(target).path
                if path.endswith(bundle.SUFFIX):
                    local = Path(tmp) / bundle.bundle_name("download")
                    _fetch_url(target, local, required=True)
                    differences = _verify_bundle(local, decode=decode)
                else:
                    download(target, Path(tmp))
                    differences = verify_archive(Path(tmp), decode=decode)
        elif Path(target).is_file():
            differences = _verify_bundle(Path(target), decode=decode)
        else:
            differences = verify_archive(Path(target), decode=decode)
    except Unreadable as exc:
        print(f"cannot verify: {exc}", file=sys.stderr)
        return 2
    if differences:
        for d in differences:
            print(f"DIFFERS {d}")
        print(f"{len(differences)} difference(s): the archive does not match its journal")
        return 1
    print("OK: the journal chain, the manifest, every part and the protocol agree")
    return 0


def _command(args: argparse.Namespace, settings: object = None) -> int:
    """``rada verify``; needs no settings: an archive is checked on its own."""
    return run(args.archive, decode=args.decode)


def register(subparsers: Any) -> None:
    """Add ``rada verify ARCHIVE``; the handler is ``args.func(args, settings) -> int``."""
    parser = subparsers.add_parser(
        "verify", help="check a session's published archive against its journal"
    )
    parser.add_argument(
        "archive", help="archive folder, its public http(s) URL, or the archive as one .zip"
    )
    parser.add_argument(
        "--no-decode",
        dest="decode",
        action="store_false",
        help="check every part's structure and hash but do not decode it with ffmpeg "
        "(decoding costs about a CPU-second per minute of media)",
    )
    parser.set_defaults(func=_command)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rada")
    register(parser.add_subparsers(required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
