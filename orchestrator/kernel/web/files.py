"""Serving stored files (the public archive, the recordings, draft documents): byte ranges as
RFC 9110 §14 says, and headers that keep a file from acting as one of rada's pages.

Anything an uploader chose, or that is not known-safe media, PDF or plain data, is a download
(``Content-Disposition: attachment``); every file carries ``X-Content-Type-Options: nosniff``
and a Content-Security-Policy that lets it load nothing and, but for a PDF (browsers refuse to
show a PDF in a sandbox), runs it in a sandbox of its own, so a page or image with script
never runs on rada's origin while deputies are signed in there (R9, R20: the archive is public).
"""

from __future__ import annotations

import asyncio
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import quote

from aiohttp import hdrs, web

CHUNK = 256 * 1024
# What a browser may show in place: media, PDF, images without script, plain data.
INLINE = frozenset(
    {
        "video/mp4",
        "video/iso.segment",
        "audio/mp4",
        "application/vnd.apple.mpegurl",
        "text/vtt",
        "application/json",
        "text/csv",
        "text/plain",
        "application/pdf",
        "image/png",
        "image/jpeg",
        # rada's own documents (protocol.html): shown in place, in the sandbox FILE_CSP sets,
        # so no script runs; an uploaded HTML draft is always sent with download=True
        "text/html",
    }
)
FILE_CSP = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox"
PDF_CSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"


@dataclass(frozen=True, slots=True)
class ByteRange:
    """The bytes ``start`` .. ``end`` inclusive, as Content-Range numbers them."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    """A well-formed single byte range that selects nothing of the file: 416."""


_RANGE = re.compile(r"^\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(.*)$")
_SPEC = re.compile(r"^(\d*)-(\d*)$")


def byte_range(header: str | None, size: int) -> ByteRange | None:
    """The one range of a ``Range`` header to answer with 206, or None to answer 200 with the
    whole file; raises :class:`Unsatisfiable` for 416.

    RFC 9110 §14.2: a range unit other than ``bytes`` is ignored, and so is a header that does
    not parse (a first position after the last, no digits); several ranges are answered with
    the whole file (allowed: a server may ignore Range). ``bytes=-0`` and a first position at or
    past the end select nothing: 416."""
    if header is None:
        return None
    match = _RANGE.match(header)
    if match is None or match.group(1).lower() != "bytes":
        return None
    specs = [s.strip() for s in match.group(2).split(",")]
    if len(specs) != 1:
        return None
    spec = _SPEC.match(specs[0])
    if spec is None or spec.group(1) == spec.group(2) == "":
        return None
    first, last = spec.group(1), spec.group(2)
    if first == "":
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = int(first)
    if last != "" and int(last) < start:
        return None
    if start >= size:
        raise Unsatisfiable
    end = size - 1 if last == "" else min(int(last), size - 1)
    return ByteRange(start, end)


def etag_of(stat: os.stat_result) -> str:
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def if_range_holds(if_range: str | None, etag: str, modified: datetime) -> bool:
    """Whether a Range may be answered (RFC 9110 §13.1.5): no If-Range, or one naming the
    file's current strong entity tag or exactly its Last-Modified date; anything else (a weak
    tag, another tag, a date that does not parse) means "send the whole file"."""
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith('"'):
        return value == etag
    if value.startswith("W/"):
        return False
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return False
    if when.tzinfo is None:
        return False
    return when == modified.replace(microsecond=0)


def _not_modified(request: web.Request, etag: str, modified: datetime) -> bool:
    none_match = request.headers.get(hdrs.IF_NONE_MATCH)
    if none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in none_match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get(hdrs.IF_MODIFIED_SINCE)
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False
    return when.tzinfo is not None and modified.replace(microsecond=0) <= when


def disposition(filename: str, content_type: str, *, download: bool) -> str:
    kind = "attachment" if download or content_type.split(";")[0] not in INLINE else "inline"
    return f"{kind}; filename*=UTF-8''{quote(filename, safe='')}"


def file_headers(filename: str, content_type: str, *, download: bool = False) -> dict[str, str]:
    """The headers every stored file is sent with (also for a body sent from memory)."""
    pdf = content_type.split(";")[0] == "application/pdf"
    return {
        hdrs.CONTENT_TYPE: content_type,
        hdrs.CONTENT_DISPOSITION: disposition(filename, content_type, download=download),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": PDF_CSP if pdf and not download else FILE_CSP,
    }


async def send_file(
    request: web.Request,
    path: Path,
    *,
    content_type: str,
    cache_control: str | None,
    download: bool = False,
) -> web.StreamResponse:
    """``path`` with conditional requests (ETag, Last-Modified → 304), one byte range
    (206/416, see :func:`byte_range`) and :func:`file_headers`."""
    stat = await asyncio.to_thread(path.stat)
    etag = etag_of(stat)
    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    headers = {
        **file_headers(path.name, content_type, download=download),
        hdrs.ETAG: etag,
        hdrs.LAST_MODIFIED: format_datetime(modified.replace(microsecond=0), usegmt=True),
        hdrs.ACCEPT_RANGES: "bytes",
    }
    if cache_control is not None:
        headers[hdrs.CACHE_CONTROL] = cache_control
    if _not_modified(request, etag, modified):
        del headers[hdrs.CONTENT_TYPE]
        return web.Response(status=304, headers=headers)
    size = stat.st_size
    wanted = None
    if request.method == hdrs.METH_GET and if_range_holds(
        request.headers.get(hdrs.IF_RANGE), etag, modified
    ):
        try:
            wanted = byte_range(request.headers.get(hdrs.RANGE), size)
        except Unsatisfiable:
            headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
            del headers[hdrs.CONTENT_TYPE]
            return web.Response(status=416, headers=headers)
    part = wanted or ByteRange(0, size - 1)
    if wanted is not None:
        headers[hdrs.CONTENT_RANGE] = f"bytes {part.start}-{part.end}/{size}"
    response = web.StreamResponse(status=206 if wanted else 200, headers=headers)
    response.content_length = max(part.length, 0)
    await response.prepare(request)
    if request.method != hdrs.METH_HEAD and part.length > 0:
        try:
            await _copy(path, response, part)
        except ConnectionError:
            return response  # the client went away (a player seeking): nothing to answer
    await response.write_eof()
    return response


def _read(path: Path, offset: int, size: int) -> bytes:
    """``size`` bytes at ``offset``; the file is open only inside this call, so a request
    cancelled meanwhile leaves no open file behind."""
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(size)


async def _copy(path: Path, response: web.StreamResponse, part: ByteRange) -> None:
    offset, left = part.start, part.length
    while left > 0:
        chunk = await asyncio.to_thread(_read, path, offset, min(CHUNK, left))
        if not chunk:
            break  # the file shrank under us; the client sees a short body
        await response.write(chunk)
        offset += len(chunk)
        left -= len(chunk)
