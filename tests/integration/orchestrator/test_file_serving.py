"""Stored files as HTTP answers: byte ranges by RFC 9110, uploads that cannot act as rada's
pages (R9, R20: the archive and the recordings are public, deputies are signed in beside them)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from orchestrator.kernel.settings import Settings
from tests.conftest import ADMIN, make_council, make_session

Client = TestClient[Any, Any]
BODY = bytes(range(256)) * 4  # 1024 bytes
SIZE = len(BODY)
WHOLE = (200, None, BODY)

# (Range, If-Range or "etag"/"date" for the file's own, status, Content-Range, body)
RANGES: list[tuple[str, str | None, int, str | None, bytes]] = [
    ("bytes=0-9", None, 206, f"bytes 0-9/{SIZE}", BODY[:10]),
    ("bytes=1000-", None, 206, f"bytes 1000-1023/{SIZE}", BODY[1000:]),
    ("bytes=-24", None, 206, f"bytes 1000-1023/{SIZE}", BODY[-24:]),
    ("bytes=-5000", None, 206, f"bytes 0-1023/{SIZE}", BODY),
    ("bytes=1020-5000", None, 206, f"bytes 1020-1023/{SIZE}", BODY[1020:]),
    ("BYTES = 0-0", None, 206, f"bytes 0-0/{SIZE}", BODY[:1]),
    ("bytes=-0", None, 416, f"bytes */{SIZE}", b""),
    ("bytes=1024-", None, 416, f"bytes */{SIZE}", b""),
    ("bytes=5000-6000", None, 416, f"bytes */{SIZE}", b""),
    ("bytes=0-1,5-9", None, *WHOLE),
    ("bytes=0-1, 2000-3000", None, *WHOLE),
    ("items=0-9", None, *WHOLE),
    ("pages=1", None, *WHOLE),
    ("bytes=9-0", None, *WHOLE),
    ("bytes=-", None, *WHOLE),
    ("bytes=abc", None, *WHOLE),
    ("bytes=0-9", "garbage", *WHOLE),
    ("bytes=0-9", '"not-the-etag"', *WHOLE),
    ("bytes=0-9", "W/etag", *WHOLE),
    ("bytes=0-9", "Tue, 01 Jan 2002 00:00:00 GMT", *WHOLE),
    ("bytes=0-9", "etag", 206, f"bytes 0-9/{SIZE}", BODY[:10]),
    ("bytes=0-9", "date", 206, f"bytes 0-9/{SIZE}", BODY[:10]),
]


@pytest.fixture
def part(settings: Settings) -> str:
    """A recording part on disk; its URL."""
    session_id = uuid.uuid4()
    folder = Path(settings.data_dir) / "media" / str(session_id)
    folder.mkdir(parents=True)
    (folder / "part-0001.mp4").write_bytes(BODY)
    return f"/recordings/{session_id}/part-0001.mp4"


@pytest.mark.parametrize(("range_", "if_range", "status", "content_range", "body"), RANGES)
async def test_byte_ranges_follow_rfc_9110(
    client: Client,
    part: str,
    range_: str,
    if_range: str | None,
    status: int,
    content_range: str | None,
    body: bytes,
) -> None:
    """One range: 206; nothing selected: 416 with ``*/size``; several ranges, another unit, a
    malformed header or an If-Range that does not name this file: 200 with the whole file."""
    plain = await client.get(part)
    headers = {"Range": range_}
    if if_range == "etag":
        headers["If-Range"] = plain.headers["ETag"]
    elif if_range == "date":
        headers["If-Range"] = plain.headers["Last-Modified"]
    elif if_range is not None:
        headers["If-Range"] = if_range
    r = await client.get(part, headers=headers)
    assert r.status == status
    assert r.headers.get("Content-Range") == content_range
    assert await r.read() == body
    assert r.headers["Accept-Ranges"] == "bytes"


async def test_conditional_requests_and_head(client: Client, part: str) -> None:
    """A matching If-None-Match or If-Modified-Since is 304; HEAD has the length, no body."""
    r = await client.get(part)
    assert r.status == 200 and await r.read() == BODY
    etag = r.headers["ETag"]
    assert (await client.get(part, headers={"If-None-Match": etag})).status == 304
    later = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    assert (await client.get(part, headers={"If-Modified-Since": later})).status == 304
    head = await client.head(part, headers={"Range": "bytes=0-9"})
    assert head.status == 200 and head.headers["Content-Length"] == str(SIZE)
    assert await head.read() == b""


async def test_media_are_inline_with_a_sandboxing_policy(client: Client, part: str) -> None:
    """A recording part plays in place, cannot be sniffed as another type and runs nothing."""
    r = await client.get(part)
    assert r.headers["Content-Type"] == "video/mp4"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Disposition"].startswith("inline")
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp


PAGES = [
    ("draft.html", b"<html><script>fetch('/api/v1/sessions')</script></html>", "text/html"),
    (
        "draft.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "image/svg+xml",
    ),
    ("draft.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("draft.txt", b"\x00\x01<html>", "text/html"),
]


@pytest.mark.parametrize(("filename", "content", "declared"), PAGES)
async def test_an_uploaded_page_is_stored_and_served_as_a_download(
    client: Client, filename: str, content: bytes, declared: str
) -> None:
    """A draft whose bytes are not what its name says is stored as a plain download, whatever
    type the uploader declared, and served as an attachment that runs nothing."""
    council = await make_council(client)
    s = await make_session(client, council)
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/items/0/documents",
        params={"filename": filename},
        data=content,
        headers={**ADMIN, "Content-Type": declared},
    )
    assert r.status == 201, await r.text()
    # R3: drafts are public once the session is announced
    assert (await client.post(f"/api/v1/sessions/{s['id']}/announce", headers=ADMIN)).status == 200
    got = await client.get(f"/api/v1/documents/{(await r.json())['id']}")
    assert got.headers["Content-Type"] == "application/octet-stream"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in got.headers["Content-Security-Policy"]
    assert await got.read() == content


async def test_a_real_pdf_keeps_its_type(client: Client) -> None:
    """A PDF that starts like one is stored as application/pdf (mailed and served as such)."""
    council = await make_council(client)
    s = await make_session(client, council)
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/items/0/documents",
        params={"filename": "проєкт.pdf"},
        data=b"%PDF-1.4 draft",
        headers={**ADMIN, "Content-Type": "text/html"},
    )
    # R3: drafts are public once the session is announced
    assert (await client.post(f"/api/v1/sessions/{s['id']}/announce", headers=ADMIN)).status == 200
    got = await client.get(f"/api/v1/documents/{(await r.json())['id']}")
    assert got.headers["Content-Type"] == "application/pdf"


@pytest.mark.parametrize(
    "filename",
    [
        "draft\u202efdp.exe",
        "draft\u200b.pdf",
        "draft\u2028.pdf",
        "a\x07b.pdf",
        ".htaccess",
        ".pdf",
        "con",
        "CON.pdf",
        "lpt1.txt",
        "nul .txt",
        "draft.pdf.",
        "a:b.pdf",
        "a|b.pdf",
        "../a.pdf",
        "a\\b.pdf",
        "",
    ],
)
async def test_unsafe_upload_names_are_refused(client: Client, filename: str) -> None:
    """Bidi overrides and other invisible characters, dot-files, Windows device names, trailing
    dots, path and reserved characters: 422 naming the field."""
    council = await make_council(client)
    s = await make_session(client, council)
    r = await client.post(
        f"/api/v1/sessions/{s['id']}/items/0/documents",
        params={"filename": filename},
        data=b"%PDF-1.4",
        headers={**ADMIN, "Content-Type": "application/pdf"},
    )
    assert r.status == 422, await r.text()
    assert r.content_type == "application/problem+json"
    assert (await r.json())["field"] == "filename"
