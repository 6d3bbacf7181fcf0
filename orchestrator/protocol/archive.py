"""The published archive of one session: a plain folder anyone can copy and check with
``rada verify`` (R9, R18, R20).

Layout, relative to the session's archive folder (``<archive root>/<session_id>/``)::

    journal.json              the whole journal: a JSON list of ``Event.to_public()`` in seq order
    manifest.json             the recorder's manifest, byte for byte as it wrote it (its SHA-256
                              is ``archive_ready.manifest_sha256``):
                              {"session_id", "parts": [{part, file, started_at, duration_ms,
                              size, sha256}]}   (a bare list of entries is read too)
    parts/<name>              each recording part, named by the basename of its ``file``, and
                              beside them the recorder's other archive files listed in the
                              manifest's ``files`` (its HLS playlist ``index.m3u8``, its own
                              chapters), byte for byte as it wrote them: the playlist names the
                              parts by file name, so it plays from this folder on disk, over
                              HTTP and from a downloaded copy
    recording/<name>          (archives written before the playlist moved beside the parts:
                              the same files; ``rada verify`` still reads them there)
    chapters.vtt              WebVTT chapters (items, votes, breaks) on the parts' joint timeline
    chapters/part-NNNN.vtt    the same chapters per part, timed from that part's start
    protocol.json             ``protocol_render.to_json``; its SHA-256 is what
                              ``protocol_finalised.protocol_sha256`` names
    protocol.html, protocol.pdf
    plan.pdf                  the session plan (P2) as it stood at publication; its SHA-256 is
                              ``protocol_published.plan_sha256``
    opendata/motions.csv, opendata/motions.json, opendata/votings.csv, opendata/votings.json
    documents/<document_id>/<filename>     the draft acts attached at convening
    signatures/<participant_id>.p7s        detached qualified signatures uploaded at signing

The recorder writes its parts and ``manifest.json`` into the session's media folder
(``<media>/manifest.json`` with each ``file`` relative to that folder, or under ``parts/``);
:func:`write_archive` links or copies them here and writes everything built from the journal.
Synchronous file I/O: call it through ``asyncio.to_thread`` from async code.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from orchestrator.kernel.journal.chain import Event
from orchestrator.protocol import opendata
from orchestrator.protocol import render as protocol_render
from orchestrator.protocol.model import Protocol, build, publication

JOURNAL = "journal.json"
MANIFEST = "manifest.json"
PARTS = "parts"
RECORDER_FILES = PARTS  # the recorder's playlist and chapters sit beside the parts they name
VOD_PLAYLIST = f"{RECORDER_FILES}/index.m3u8"  # the recorder's archive playlist over every part
LEGACY_RECORDER_FILES = "recording"  # where older archives put them (their playlist did not play)
CHAPTERS = "chapters.vtt"
PART_CHAPTERS = "chapters/part-{:04d}.vtt"
PROTOCOL_JSON = "protocol.json"
PROTOCOL_HTML = "protocol.html"
PROTOCOL_PDF = "protocol.pdf"
PLAN_PDF = "plan.pdf"
OPENDATA = "opendata"
DOCUMENTS = "documents"
SIGNATURES = "signatures"

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def part_name(file: str) -> str:
    """Where a part lives under ``parts/``: the basename of the recorder's ``file``."""
    return PurePosixPath(file).name


def manifest_entries(data: Any) -> list[Mapping[str, Any]]:
    """The part entries of a manifest: ``{"parts": [...]}`` or a bare list."""
    if isinstance(data, Mapping):
        data = data.get("parts", [])
    if not isinstance(data, list):
        raise ValueError("manifest.json holds neither a list nor an object with 'parts'")
    return [e for e in data if isinstance(e, Mapping)]


def manifest_files(data: Any) -> list[Mapping[str, Any]]:
    """The recorder's own archive files listed in a manifest (``files``), if any."""
    files = data.get("files", []) if isinstance(data, Mapping) else []
    return [e for e in files if isinstance(e, Mapping)] if isinstance(files, list) else []


def recorder_file_path(file: str) -> str:
    return f"{RECORDER_FILES}/{part_name(file)}"


def legacy_recorder_file_path(file: str) -> str:
    return f"{LEGACY_RECORDER_FILES}/{part_name(file)}"


def journal_bytes(events: Iterable[Event]) -> bytes:
    body = [e.to_public() for e in events]
    return (json.dumps(body, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def document_path(document_id: str, filename: str) -> str:
    return f"{DOCUMENTS}/{document_id}/{PurePosixPath(filename).name}"


def signature_path(participant_id: str) -> str:
    return f"{SIGNATURES}/{participant_id}.p7s"


@dataclass(frozen=True, slots=True)
class Rendered:
    """Every file built from the journal alone, by its path in the archive."""

    protocol: Protocol
    files: Mapping[str, bytes]


def render(events: Sequence[Event]) -> Rendered:
    """Build the protocol in all formats, the chapters and the open data (pure)."""
    p = build(events)
    pub = publication(events)  # the signature block prints the signatures made (R19)
    files: dict[str, bytes] = {
        JOURNAL: journal_bytes(events),
        PROTOCOL_JSON: protocol_render.to_json(p),
        PROTOCOL_HTML: protocol_render.to_html(p, pub).encode("utf-8"),
        PROTOCOL_PDF: protocol_render.to_pdf(p, pub),
        CHAPTERS: protocol_render.to_vtt(p).encode("utf-8"),
    }
    for number, vtt in protocol_render.to_part_vtts(p).items():
        files[PART_CHAPTERS.format(number)] = vtt.encode("utf-8")
    for name, data in opendata.files(p).items():
        files[f"{OPENDATA}/{name}"] = data
    return Rendered(p, files)


def _place(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (same file system), else copy it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _media_file(media_dir: Path, file: str) -> Path:
    direct = media_dir / file
    return direct if direct.is_file() else media_dir / PARTS / part_name(file)


def _write(target: Path, data: bytes) -> None:
    """Write to a temporary name and rename, so a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


def write_archive(
    dest: Path,
    events: Sequence[Event],
    *,
    media_dir: Path | None = None,
    documents: Mapping[str, bytes] | None = None,
    signatures: Mapping[str, bytes] | None = None,
    plan: bytes | None = None,
) -> Rendered:
    """Write (or refresh) a session's archive folder.

    ``documents`` maps a ``document_id`` to its stored bytes; ``signatures`` maps a
    ``participant_id`` to their uploaded ``.p7s``; ``plan`` is the plan's PDF copied at
    publication.
    """
    rendered = render(events)
    dest.mkdir(parents=True, exist_ok=True)
    for rel, data in rendered.files.items():
        _write(dest / rel, data)
    if media_dir is not None and (media_dir / MANIFEST).is_file():
        manifest = media_dir / MANIFEST
        _place(manifest, dest / MANIFEST)
        listed = json.loads(manifest.read_bytes())
        for entry in manifest_entries(listed):
            file = str(entry["file"])
            _place(_media_file(media_dir, file), dest / PARTS / part_name(file))
        for entry in manifest_files(listed):
            source = media_dir / str(entry["file"])
            if source.is_file():
                _place(source, dest / recorder_file_path(str(entry["file"])))
                # an older build's copy whose playlist named parts it could not reach
                (dest / legacy_recorder_file_path(str(entry["file"]))).unlink(missing_ok=True)
    for item in rendered.protocol.items:
        for d in item.documents:
            content = (documents or {}).get(d.document_id)
            if content is not None:
                _write(dest / document_path(d.document_id, d.filename), content)
    for participant_id, content in (signatures or {}).items():
        _write(dest / signature_path(participant_id), content)
    if plan is not None:
        _write(dest / PLAN_PDF, plan)
    return rendered
