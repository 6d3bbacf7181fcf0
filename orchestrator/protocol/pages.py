"""The public archive (R9, R20): Ukrainian pages, no sign-in, nothing loaded from outside.

The pages extend the site's ``base.html`` and are rendered through the site's environment
(:func:`orchestrator.kernel.web.pages.render`, its strict Content-Security-Policy); their script
``archive.js`` and stylesheet ``archive.css`` are served from ``/static/`` with the others.
"Archive" here names these pages; the folder a session publishes (its layout in
:mod:`orchestrator.protocol.archive`) is imported as ``published``.

- ``/archive``: upcoming sessions (announcement, countdown), live, past;
- ``/archive/sessions/{id}``: agenda, the recording with chapters (items, votes, breaks),
  the named vote tables, the 24-hour clock (R18), downloads;
- ``/archive/sessions/{id}/files/{path}``: the published folder, with HTTP byte ranges;
- ``/embed/sessions/{id}``: the player a council's website frames (``RADA_EMBED_ORIGINS``);
- ``/archive/sessions/{id}/bundle.zip``: the whole folder as one ZIP (``rada verify`` takes it);
- ``/archive/deputies/{member_id}``: attendance and every answer across sessions;
- ``/archive/feed.atom`` and ``/archive/sessions.ics``: announced sessions.
"""

from __future__ import annotations

import asyncio
import io
import json
import mimetypes
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from aiohttp import hdrs, web

from orchestrator.kernel.errors import NotFound
from orchestrator.kernel.journal import chain as journal
from orchestrator.kernel.keys import SETTINGS
from orchestrator.kernel.web import files, pages
from orchestrator.kernel.web.http import match_uuid
from orchestrator.protocol import archive as published
from orchestrator.protocol import bundle, feeds
from orchestrator.protocol.feeds import Listed
from orchestrator.protocol.model import Protocol
from orchestrator.protocol.render import (
    FILTERS,
    FUNCTIONS,
    chapters,
    document_context,
    hms,
    long_date,
    outcome_text,
    vote_title,
)
from orchestrator.protocol.service import (
    PUBLICATION,
    PublicationService,
    Snapshot,
    publication_json,
)

routes = web.RouteTableDef()

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".vtt": "text/vtt; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".pdf": "application/pdf",
    ".p7s": "application/pkcs7-signature",
}
# recording parts and the recorder's files are fixed by the manifest once the folder exists
IMMUTABLE = frozenset({published.PARTS, published.LEGACY_RECORDER_FILES})


def setup(app: web.Application) -> None:
    """The routes, and the protocol's filters in the site's environment (the session page
    includes the protocol's body)."""
    pages.register(app, template_globals=FUNCTIONS, filters=FILTERS)
    app.add_routes(routes)


def _service(request: web.Request) -> PublicationService:
    return request.app[PUBLICATION]


def _page(request: web.Request, template: str, **context: Any) -> web.Response:
    return pages.render(request, template, context)


def phase(s: Listed) -> str:
    """upcoming | live | past | cancelled (convened but unannounced sessions are not public)."""
    if s.cancelled:
        return "cancelled"
    if s.closed_at is not None:
        return "past"
    if s.opened_at is not None:
        return "live"
    if s.announced_at is not None:
        return "upcoming"
    return "unannounced"


def _iso(at: datetime | None) -> str | None:
    return None if at is None else journal.format_time(at)


@routes.get("/archive")
async def session_list(request: web.Request) -> web.Response:
    svc = _service(request)
    groups: dict[str, list[Listed]] = {"upcoming": [], "live": [], "past": [], "cancelled": []}
    for s in await svc.listed():
        groups.get(phase(s), []).append(s)
    groups["upcoming"].reverse()  # soonest first
    return _page(request, "archive_list.html", groups=groups, now=svc.clock(), iso=_iso)


def _downloads(folder: Path | None, p: Protocol) -> list[tuple[str, str]]:
    """(label, relative path) of the files present in the published folder."""
    if folder is None:
        return []
    wanted = [
        ("Протокол (PDF)", published.PROTOCOL_PDF),
        ("Протокол (HTML)", published.PROTOCOL_HTML),
        ("Протокол (JSON)", published.PROTOCOL_JSON),
        ("Поіменні результати: motions (CSV)", f"{published.OPENDATA}/motions.csv"),
        ("Поіменні результати: votings (CSV)", f"{published.OPENDATA}/votings.csv"),
        ("Поіменні результати: motions (JSON)", f"{published.OPENDATA}/motions.json"),
        ("Поіменні результати: votings (JSON)", f"{published.OPENDATA}/votings.json"),
        ("Журнал засідання (JSON)", published.JOURNAL),
        ("Маніфест запису", published.MANIFEST),
        ("Розділи запису (WebVTT)", published.CHAPTERS),
    ]
    for part in p.recording.parts:
        wanted.append(
            (f"Запис, частина {part.part}", f"{published.PARTS}/{published.part_name(part.file)}")
        )
    for item in p.items:
        for d in item.documents:
            wanted.append(
                (f"Проєкт: {d.filename}", published.document_path(d.document_id, d.filename))
            )
    return [(label, rel) for label, rel in wanted if (folder / rel).is_file()]


def _recording(session_id: UUID, p: Protocol, folder: Path | None) -> dict[str, Any]:
    """What a page's player needs: the parts (the joint timeline's offsets, each part's
    chapters), whether they are all in the archive, and the VOD playlist if there is one."""
    base = f"/archive/sessions/{session_id}/files"
    parts = [
        {
            "part": x.part,
            "src": f"{base}/{published.PARTS}/{published.part_name(x.file)}",
            "offset_ms": x.offset_ms,
            "duration_ms": x.duration_ms,
            "chapters": f"{base}/{published.PART_CHAPTERS.format(x.part)}",
        }
        for x in p.recording.parts
    ]
    playable = folder is not None and all(
        (folder / published.PARTS / published.part_name(x.file)).is_file()
        for x in p.recording.parts
    )
    return {
        "parts": parts,
        "parts_json": json.dumps(parts),
        "playable": playable and bool(parts),
        "files": base,
        "playlist": _vod_playlist(folder, base),
    }


async def _announced(request: web.Request) -> tuple[UUID, Listed, str, Snapshot]:
    """The session the path names, its phase and its snapshot: public once announced (R3)."""
    svc = _service(request)
    session_id = match_uuid(request, "session_id")
    listed = await svc.listed_session(session_id)
    state = phase(listed)
    if state == "unannounced":
        raise NotFound("this session has not been announced", code="session_not_found")
    return session_id, listed, state, await svc.snapshot(session_id)


@routes.get("/embed/sessions/{session_id}")
async def embed_page(request: web.Request) -> web.Response:
    """The player a council's website frames: the broadcast beside the live vote while the
    session runs, the recording beside the votes' results after it. Only the origins in
    ``RADA_EMBED_ORIGINS`` (and rada itself) may frame it."""
    svc = _service(request)
    session_id, listed, state, snap = await _announced(request)
    p = snap.protocol
    folder = await svc.ensure_archive(session_id) if state == "past" else None
    outcomes = {f"vote-{v.vote_id}": outcome_text(p, v) for v in p.votes}
    votes = [
        {"id": cid, "ms": ms, "title": title, "at": hms(ms), "outcome": outcomes.get(cid)}
        for cid, ms, title in chapters(p)
        if cid in outcomes
    ]
    origins = request.app[SETTINGS].http.embed_origins
    context = {
        "p": p,
        "s": listed,
        "state": state,
        "vote_chapters": votes,
        "iso": _iso,
        **_recording(session_id, p, folder),
    }
    frame = " ".join(("'self'", *origins))
    return pages.render(
        request, "embed_session.html", context, csp_extra={"frame-ancestors": frame}
    )


def _vod_playlist(folder: Path | None, base: str) -> str | None:
    """The URL of the archive's VOD playlist (every part on one timeline), if the recorder
    wrote one; the page plays the parts one by one otherwise."""
    rel = published.VOD_PLAYLIST
    return f"{base}/{rel}" if folder is not None and (folder / rel).is_file() else None


@routes.get("/archive/sessions/{session_id}")
async def session_page(request: web.Request) -> web.Response:
    svc = _service(request)
    session_id, listed, state, snap = await _announced(request)
    p = snap.protocol
    folder = await svc.ensure_archive(session_id)
    recording = _recording(session_id, p, folder)
    return _page(
        request,
        "archive_session.html",
        **document_context(p, snap.publication),
        s=listed,
        state=state,
        pub=publication_json(snap.publication, svc.clock()),
        published_at=snap.publication.published_at,
        chapters=[
            {"id": cid, "ms": ms, "title": title, "at": hms(ms)} for cid, ms, title in chapters(p)
        ],
        **recording,
        downloads=_downloads(folder, p),
        bundle=None if folder is None else f"/archive/sessions/{session_id}/bundle.zip",
        now=svc.clock(),
        iso=_iso,
    )


@routes.get("/archive/sessions/{session_id}/files/{path:.+}")
async def published_file(request: web.Request) -> web.StreamResponse:
    """A file of the session's published folder, with byte ranges (206)."""
    svc = _service(request)
    session_id = match_uuid(request, "session_id")
    rel = request.match_info["path"]
    segments = rel.split("/")
    if any(seg in ("", ".", "..") or seg.startswith(".") for seg in segments):
        raise NotFound("no such file in the archive", code="file_not_found")
    folder = svc.folder(session_id)
    if not (segments[0] in IMMUTABLE and folder.joinpath(*segments).is_file()):
        # files built from the journal follow it (signatures, publication); media never change
        built = await svc.ensure_archive(session_id)
        if built is None:
            raise NotFound("the archive exists once the session is closed", code="file_not_found")
        folder = built
    path = folder.joinpath(*segments)
    if _moved_beside_the_parts(folder, segments):
        # the recorder's playlist and chapters moved beside the parts they name; a player
        # resolves the playlist's URIs against the URL it was redirected to
        location = f"/archive/sessions/{session_id}/files/{published.PARTS}/{segments[1]}"
        raise web.HTTPMovedPermanently(location)
    if not path.is_file() or folder.resolve() not in path.resolve().parents:
        raise NotFound("no such file in the archive", code="file_not_found")
    content_type = CONTENT_TYPES.get(path.suffix) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return await files.send_file(
        request,
        path,
        content_type=content_type,
        cache_control="public, max-age=300",
        # what an uploader chose is always a download, whatever its type
        download=segments[0] == published.DOCUMENTS,
    )


@routes.get("/archive/sessions/{session_id}/bundle.zip")
async def published_bundle(request: web.Request) -> web.StreamResponse:
    """The closed session's whole archive folder as one ZIP (``rada verify`` accepts it),
    streamed as it is written: nothing is kept but the folder itself."""
    svc = _service(request)
    session_id = match_uuid(request, "session_id")
    folder = await svc.ensure_archive(session_id)
    if folder is None:
        raise NotFound("the archive exists once the session is closed", code="file_not_found")
    name = bundle.bundle_name(str(session_id))
    response = web.StreamResponse(
        headers={
            **files.file_headers(name, bundle.CONTENT_TYPE, download=True),
            hdrs.CACHE_CONTROL: "no-cache",
        }
    )
    await response.prepare(request)
    if request.method == hdrs.METH_HEAD:
        return response
    sink = io.BufferedWriter(_ResponseSink(response, asyncio.get_running_loop()), files.CHUNK)
    try:
        await asyncio.to_thread(bundle.write, folder, sink, f"rada-{session_id}")
        await asyncio.to_thread(sink.flush)
    except ConnectionError:
        return response  # the client went away
    await response.write_eof()
    return response


class _ResponseSink(io.RawIOBase):
    """A write-only, unseekable file whose bytes go to ``response``; written from a worker
    thread, each write waits until the response has taken it, so a slow client slows the
    writer and nothing piles up in memory."""

    def __init__(self, response: web.StreamResponse, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.response, self.loop = response, loop

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        asyncio.run_coroutine_threadsafe(self.response.write(chunk), self.loop).result()
        return len(chunk)


def _moved_beside_the_parts(folder: Path, segments: list[str]) -> bool:
    """An older address of a recorder file (``recording/index.m3u8``) the archive now holds
    under ``parts/``."""
    return (
        len(segments) == 2
        and segments[0] == published.LEGACY_RECORDER_FILES
        and not folder.joinpath(*segments).is_file()
        and (folder / published.PARTS / segments[1]).is_file()
    )


LIVE_FILE = re.compile(r"^(live\.m3u8|part-\d{4,}\.(mp4|m3u8))$")


@routes.get("/archive/sessions/{session_id}/live/{name}")
async def live_file(request: web.Request) -> web.StreamResponse:
    """The recorder's live playlist and the parts it points into, while the session is live
    and after it (byte ranges; the playlist is never cached): a player still following the
    live playlist at close reads its last segments and its ``EXT-X-ENDLIST``."""
    svc = _service(request)
    session_id = match_uuid(request, "session_id")
    name = request.match_info["name"]
    if not LIVE_FILE.match(name):
        raise NotFound("no such live file", code="file_not_found")
    if phase(await svc.listed_session(session_id)) not in ("live", "past"):
        raise NotFound("the session is not live; see its archive", code="file_not_found")
    path = svc.media_root / str(session_id) / name
    if not path.is_file():
        raise NotFound("no such live file", code="file_not_found")
    playlist = name.endswith(".m3u8")
    return await files.send_file(
        request,
        path,
        content_type="application/vnd.apple.mpegurl" if playlist else "video/mp4",
        cache_control="no-cache" if playlist else "public, max-age=5",
    )


@routes.get("/archive/deputies/{member_id}")
async def deputy_page(request: web.Request) -> web.Response:
    svc = _service(request)
    member_id = match_uuid(request, "member_id")
    history = await svc.member_history(member_id)
    rows: list[dict[str, Any]] = []
    name = None
    for snap in history:
        p = snap.protocol
        me = next((x for x in p.participants if x.person.member_id == str(member_id)), None)
        if me is None or p.opened_at is None:
            continue
        name = me.person.name
        answers = []
        for v in p.votes:
            row = next((r for r in v.rows if r.participant_id == me.person.participant_id), None)
            if row is not None:
                answers.append(
                    {
                        "title": vote_title(p, v),
                        "answer": row.answer,
                        "answer_uk": row.answer_agreed,
                        "vote_id": v.vote_id,
                    }
                )
        rows.append(
            {
                "session_id": p.session_id,
                "number": p.number,
                "title": p.title,
                "date": long_date(p),
                "present": me.identified_at is not None,
                "gender": me.person.gender,
                "identified_at": me.identified_at,
                "answers": answers,
            }
        )
    if name is None:
        raise NotFound("no sessions of this council member yet", code="member_not_found")
    attended = sum(1 for r in rows if r["present"])
    return _page(request, "archive_deputy.html", name=name, rows=rows, attended=attended)


@routes.get("/archive/feed.atom")
async def atom_feed(request: web.Request) -> web.Response:
    svc = _service(request)
    body = feeds.atom(await svc.listed(), _base_url(request), svc.clock())
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8")


@routes.get("/archive/sessions.ics")
async def ical_feed(request: web.Request) -> web.Response:
    svc = _service(request)
    body = feeds.ical(await svc.listed(), _base_url(request), svc.clock())
    return web.Response(body=body, content_type="text/calendar", charset="utf-8")


def _base_url(request: web.Request) -> str:

    return request.app[SETTINGS].http.public_url.rstrip("/")
