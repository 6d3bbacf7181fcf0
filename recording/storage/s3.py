"""A small S3 client on aiohttp: what rada needs to replicate recordings to an S3-compatible
object store (AWS S3, MinIO, Ceph RGW, Hetzner Object Storage, …), nothing more.

- Addressing: path-style (``https://host/bucket/key``) by default, which every S3-compatible
  store accepts; virtual-host (``https://bucket.host/key``) as an option.
- Requests are signed with :mod:`recording.sigv4`; every PUT carries ``x-amz-content-sha256``
  (the hex SHA-256 of its body, which the store checks against what it received) and
  ``x-amz-checksum-sha256`` (the same digest in base64, which the store keeps with the object
  and checks too), and the object carries the whole file's SHA-256 as user metadata
  ``x-amz-meta-sha256``, so a later HEAD tells what the object holds.
- Files are streamed from disk in 1 MiB reads (``asyncio.to_thread``), never read whole. A file
  up to ``multipart_threshold`` goes in one PutObject; a larger one is a multipart upload of
  ``part_size`` pieces, each hashed in a worker thread before it is sent (the hash must be in
  the headers), the whole-file SHA-256 accumulated on the way and compared with the expected
  one before CompleteMultipartUpload; any failure aborts the upload.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
from yarl import URL

from recording.storage.sigv4 import EMPTY_SHA256, Credentials, canonical_query, sign, uri_encode

MiB = 1024 * 1024
READ_CHUNK = MiB
MIN_PART_SIZE = 5 * MiB  # S3's floor for every part but the last
MAX_PART_SIZE = 5 * 1024 * MiB
MAX_PARTS = 10_000
TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=120)


@dataclass(frozen=True, slots=True)
class S3Config:
    endpoint: str  # scheme://host[:port], no path
    bucket: str
    credentials: Credentials
    virtual_host: bool = False
    part_size: int = 64 * MiB
    multipart_threshold: int = 64 * MiB

    @property
    def target(self) -> str:
        """Where objects go, for logs and for the upload state (no secret in it)."""
        return f"{self.endpoint}/{self.bucket}"


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int
    sha256: str  # the x-amz-meta-sha256 the object was stored with ("" if none)
    etag: str


class S3Error(Exception):
    """The store refused a request (``code`` is S3's error code, or the HTTP status)."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{status} {code}: {message}" if message else f"{status} {code}")
        self.status = status
        self.code = code


_TAG = re.compile(r"<(Code|Message|UploadId|ETag)>([^<]*)</\1>")


def _xml_fields(body: str) -> dict[str, str]:
    """The few leaf elements rada reads from S3's XML answers (first of each)."""
    found: dict[str, str] = {}
    for name, value in _TAG.findall(body):
        found.setdefault(name, value.replace("&quot;", '"').replace("&amp;", "&"))
    return found


def sha256_base64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Body:
    """What a request sends: nothing, bytes, or a range of a file streamed from disk."""

    sha256: str = EMPTY_SHA256
    data: bytes = b""
    path: Path | None = None
    offset: int = 0
    length: int = 0

    @property
    def size(self) -> int:
        return self.length if self.path is not None else len(self.data)

    def payload(self) -> bytes | AsyncGenerator[bytes, None] | None:
        if self.path is not None:
            return stream_range(self.path, self.offset, self.length)
        return self.data or None


async def stream_range(path: Path, offset: int, length: int) -> AsyncGenerator[bytes, None]:
    """``length`` bytes of ``path`` from ``offset``, read 1 MiB at a time in a worker thread.
    The file is closed before the last chunk is handed over (a client that stops iterating
    once it has sent Content-Length bytes never leaves it open)."""
    if length <= 0:
        return
    handle = await asyncio.to_thread(path.open, "rb")
    try:
        await asyncio.to_thread(handle.seek, offset)
        remaining = length
        while True:
            chunk = await asyncio.to_thread(handle.read, min(READ_CHUNK, remaining))
            if not chunk:
                raise OSError(f"{path.name} is shorter than expected")
            remaining -= len(chunk)
            if remaining == 0:
                break
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)
    yield chunk


def hash_range(path: Path, offset: int, length: int, whole: Any = None) -> str:
    """Hex SHA-256 of ``length`` bytes of ``path`` from ``offset``; also feeds them to
    ``whole`` (a running hash of the file) when given. Blocking: call through
    ``asyncio.to_thread``."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        handle.seek(offset)
        remaining = length
        while remaining > 0 and (chunk := handle.read(min(READ_CHUNK, remaining))):
            digest.update(chunk)
            if whole is not None:
                whole.update(chunk)
            remaining -= len(chunk)
    if remaining:
        raise OSError(f"{path.name} is shorter than expected")
    return digest.hexdigest()


def hash_file(path: Path) -> tuple[int, str]:
    """(size, hex SHA-256) of a whole file. Blocking: call through ``asyncio.to_thread``."""
    size = path.stat().st_size
    return size, hash_range(path, 0, size)


class S3Client:
    """S3 operations on one bucket, over a caller's ``aiohttp.ClientSession``."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        config: S3Config,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.http = http
        self.config = config
        self.clock = clock
        endpoint = URL(config.endpoint)
        if config.virtual_host:
            assert endpoint.host is not None
            endpoint = endpoint.with_host(f"{config.bucket}.{endpoint.host}")
        self._origin = endpoint.origin()
        self._host = self._origin.raw_authority  # name[:port], the port only when not default
        self._prefix = "" if config.virtual_host else f"/{config.bucket}"

    # --- operations --------------------------------------------------------------------------

    async def head_bucket(self) -> None:
        """Raise ``S3Error`` unless the bucket exists and the credentials may use it."""
        await self._request("HEAD", "")

    async def head_object(self, key: str) -> ObjectInfo | None:
        """The object's size, stored SHA-256 metadata and ETag; ``None`` if there is none."""
        try:
            headers = await self._request("HEAD", key)
        except S3Error as exc:
            if exc.status == 404:
                return None
            raise
        return ObjectInfo(
            size=int(headers.get("Content-Length", "0")),
            sha256=headers.get("x-amz-meta-sha256", ""),
            etag=headers.get("ETag", ""),
        )

    async def get_object(self, key: str) -> bytes:
        """The object's bytes (small objects: rada reads back only what it verifies)."""
        data = bytearray()
        await self._request("GET", key, sink=data)
        return bytes(data)

    async def put_file(
        self, key: str, path: Path, *, content_type: str, size: int, sha256: str
    ) -> None:
        """Upload ``size`` bytes of ``path`` whose SHA-256 is ``sha256`` (known already: a
        closed part's hash is in its record and the journal). Multipart above the threshold."""
        if size > self.config.multipart_threshold:
            await self._put_multipart(key, path, content_type=content_type, size=size, sha=sha256)
            return
        await self._request(
            "PUT",
            key,
            headers={
                "Content-Type": content_type,
                "x-amz-checksum-sha256": sha256_base64(sha256),
                "x-amz-meta-sha256": sha256,
            },
            body=_Body(sha256=sha256, path=path, length=size),
        )

    async def _put_multipart(
        self, key: str, path: Path, *, content_type: str, size: int, sha: str
    ) -> None:
        part_size = max(self.config.part_size, -(-size // MAX_PARTS))
        await self._request(
            "POST",
            key,
            params=[("uploads", "")],
            headers={
                "Content-Type": content_type,
                "x-amz-checksum-algorithm": "SHA256",
                "x-amz-meta-sha256": sha,
            },
            sink=(answer := bytearray()),
        )
        upload_id = _xml_fields(answer.decode()).get("UploadId", "")
        if not upload_id:
            raise S3Error(200, "NoUploadId", "CreateMultipartUpload gave no UploadId")
        whole = hashlib.sha256()
        pieces = [(o, min(part_size, size - o)) for o in range(0, size, part_size)]

        def hashing(index: int) -> asyncio.Task[str]:
            """Hash piece ``index`` in a worker thread (after the one before: ``whole`` is fed
            in order), while the piece before it is being sent."""
            return asyncio.ensure_future(asyncio.to_thread(hash_range, path, *pieces[index], whole))

        upcoming = hashing(0)
        try:
            uploaded: list[tuple[int, str, str]] = []  # (number, ETag, base64 SHA-256)
            for number, (offset, length) in enumerate(pieces, start=1):
                digest = await upcoming
                if number < len(pieces):
                    upcoming = hashing(number)
                answer_headers = await self._request(
                    "PUT",
                    key,
                    params=[("partNumber", str(number)), ("uploadId", upload_id)],
                    headers={"x-amz-checksum-sha256": sha256_base64(digest)},
                    body=_Body(sha256=digest, path=path, offset=offset, length=length),
                )
                uploaded.append((number, answer_headers.get("ETag", ""), sha256_base64(digest)))
            if whole.hexdigest() != sha:
                raise S3Error(0, "LocalDigestMismatch", f"{path.name} no longer hashes to {sha}")
            document = "".join(
                f"<Part><PartNumber>{n}</PartNumber><ETag>{escape(etag)}</ETag>"
                f"<ChecksumSHA256>{checksum}</ChecksumSHA256></Part>"
                for n, etag, checksum in uploaded
            )
            data = f"<CompleteMultipartUpload>{document}</CompleteMultipartUpload>".encode()
            await self._request(
                "POST",
                key,
                params=[("uploadId", upload_id)],
                headers={"Content-Type": "application/xml"},
                body=_Body(sha256=hashlib.sha256(data).hexdigest(), data=data),
                sink=(answer := bytearray()),
            )
            # CompleteMultipartUpload may fail after a 200 (the error is in the body).
            fields = _xml_fields(answer.decode())
            if "Code" in fields:
                raise S3Error(200, fields["Code"], fields.get("Message", ""))
        except BaseException:
            upcoming.cancel()  # a running hash thread finishes on its own; nothing waits for it
            await self._abort(key, upload_id)
            raise

    async def _abort(self, key: str, upload_id: str) -> None:
        """Best effort: an upload left behind costs storage until a lifecycle rule ends it."""
        try:
            async with asyncio.timeout(10):
                await self._request("DELETE", key, params=[("uploadId", upload_id)])
        except (S3Error, aiohttp.ClientError, TimeoutError, OSError):
            pass

    # --- the request -------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        key: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        body: _Body | None = None,
        sink: bytearray | None = None,
    ) -> Mapping[str, str]:
        """Sign and send one request; raise ``S3Error`` on an error status. The response body
        goes into ``sink`` when given."""
        body = body or _Body()
        path = f"{self._prefix}/{key}" if key else self._prefix or "/"
        sent = dict(headers or {})
        if method in ("PUT", "POST"):
            sent["Content-Length"] = str(body.size)  # a streamed body is never chunked
        signed = sign(
            method=method,
            host=self._host,
            path=path,
            params=params,
            headers=sent,
            payload_sha256=body.sha256,
            credentials=self.config.credentials,
            at=self.clock(),
        )
        query = canonical_query(params)
        url = URL(
            f"{self._origin}{uri_encode(path, keep_slash=True)}" + (f"?{query}" if query else ""),
            encoded=True,
        )
        payload = body.payload()
        try:
            return await self._send(method, url, signed, payload, sink)
        finally:
            if isinstance(payload, AsyncGenerator):
                await payload.aclose()  # the file is closed whatever happened to the request

    async def _send(
        self,
        method: str,
        url: URL,
        headers: Mapping[str, str],
        payload: bytes | AsyncGenerator[bytes, None] | None,
        sink: bytearray | None,
    ) -> Mapping[str, str]:
        async with self.http.request(
            method, url, headers=headers, data=payload, timeout=TIMEOUT
        ) as response:
            if response.status >= 300:
                text = await response.text(errors="replace") if method != "HEAD" else ""
                fields = _xml_fields(text)
                raise S3Error(
                    response.status,
                    fields.get("Code", response.reason or str(response.status)),
                    fields.get("Message", ""),
                )
            if sink is not None:
                async for chunk in response.content.iter_chunked(READ_CHUNK):
                    sink.extend(chunk)
            return response.headers
