"""Recordings replicated to S3-compatible object storage.

The store is moto's S3 server (the real S3 REST protocol over HTTP, in a thread); rada's side is
all real: the recorder with ffmpeg, S3Storage, its signer and client. Objects are read back with
boto3 (AWS's own client) and compared byte for byte. moto does not verify
``x-amz-content-sha256`` nor ``x-amz-checksum-sha256`` (its code says so), so the bytes are
checked here by download and SHA-256.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import boto3
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.test_utils import TestClient, TestServer
from moto.server import ThreadedMotoServer

from orchestrator.app import create_app
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.keys import POOL
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import manifest
from recording.api import configure
from recording.cli import check_lines
from recording.media.parts import PartRecord
from recording.storage.local import LocalStorage
from recording.storage.replica import STATE_NAME, S3Storage, open_storage, reachable
from recording.storage.s3 import MiB, S3Client, S3Config
from recording.storage.sigv4 import Credentials
from tests.conftest import make_settings
from tests.integration.recording.conftest import (
    MakeRecorder,
    Publish,
    close_session,
    open_session,
    simulated_settings,
    until,
    wait_journal,
)

ARCHIVE_FILES = (manifest.ARCHIVE_PLAYLIST, manifest.CHAPTERS_NAME, manifest.MANIFEST_NAME)
KEY_ID, SECRET = "rada-test", "rada-test-secret"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def boto(service: str, endpoint: str) -> Any:
    """AWS's own client for ``service`` on the test server (reads back what rada stored)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY_ID,
        aws_secret_access_key=SECRET,
    )


def _start_moto(port: int) -> ThreadedMotoServer:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server on a free local port."""
    server = _start_moto(_free_port())
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class Bucket:
    """A bucket on the test server, read with boto3."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.name = f"rada-{uuid.uuid4().hex[:12]}"
        self.client = boto("s3", endpoint)
        self.client.create_bucket(Bucket=self.name)

    def config(self, *, endpoint: str | None = None, part_size: int = 64 * MiB) -> S3Config:
        return S3Config(
            endpoint=endpoint or self.endpoint,
            bucket=self.name,
            credentials=Credentials(KEY_ID, SECRET),
            part_size=part_size,
            multipart_threshold=part_size,
        )

    def get(self, key: str) -> tuple[bytes, dict[str, Any]]:
        answer = self.client.get_object(Bucket=self.name, Key=key)
        return answer["Body"].read(), answer

    def listed(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))


@pytest.fixture
def bucket(moto_endpoint: str) -> Bucket:
    return Bucket(moto_endpoint)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def started(storage: S3Storage) -> S3Storage:
    await storage.start()
    return storage


def assert_replicated(
    bucket: Bucket, storage: S3Storage, session_id: uuid.UUID, archive: Any
) -> None:
    """Every part and archive file is in the bucket with the local bytes, the journaled hash
    as metadata, and its content type."""
    assert archive.parts
    for part in archive.parts:
        local = (archive.directory / part.file).read_bytes()
        data, answer = bucket.get(storage.key(session_id, part.file))
        assert sha256(data) == sha256(local) == part.sha256
        assert answer["Metadata"]["sha256"] == part.sha256
        assert answer["ContentType"] == "video/mp4"
    for name, kind in zip(
        ARCHIVE_FILES,
        ("application/vnd.apple.mpegurl", "text/vtt", "application/json"),
        strict=True,
    ):
        data, answer = bucket.get(storage.key(session_id, name))
        assert data == (archive.directory / name).read_bytes()
        assert answer["ContentType"].startswith(kind)
        assert answer["Metadata"]["sha256"] == sha256(data)
    state = json.loads((archive.directory / STATE_NAME).read_text())
    assert {n: o["state"] for n, o in state["objects"].items()} == dict.fromkeys(
        [p.file for p in archive.parts] + list(ARCHIVE_FILES), "uploaded"
    )


async def test_recorded_session_is_replicated_to_the_bucket(
    make_recorder: MakeRecorder, publish: Publish, bucket: Bucket, tmp_path: Path
) -> None:
    """A real recording with S3Storage: after close, each part and each archive file is an
    object with the same bytes (downloaded and hashed) as the local file and the journal."""
    storage = await started(S3Storage(tmp_path / "recordings", bucket.config(), prefix="rada"))
    try:
        recorder, sink = await make_recorder(storage=storage)
        publisher = await publish(recorder.ingest_url())
        assert await publisher.finish() == 0
        closed = await sink.wait_for(ev.PART_CLOSED)
        archive = await recorder.close([])
        async with asyncio.timeout(30):
            await storage.wait_uploaded()
    finally:
        await storage.stop()
    session_id = recorder.session_id
    assert closed.payload["sha256"] == archive.parts[0].sha256
    assert_replicated(bucket, storage, session_id, archive)
    assert bucket.listed() == sorted(
        f"rada/{session_id}/{n}" for n in [p.file for p in archive.parts] + list(ARCHIVE_FILES)
    )


def _part_file(directory: Path, size: int) -> PartRecord:
    """A generated part file of ``size`` bytes and its closed record."""
    data = os.urandom(size)
    (directory / "part-0001.mp4").write_bytes(data)
    record = PartRecord(1, datetime.now(UTC))
    return record.close(duration_ms=1000, size=size, sha256=sha256(data))


async def test_large_part_goes_up_in_pieces(bucket: Bucket, tmp_path: Path) -> None:
    """Above the part size (5 MiB, S3's minimum) a file is a multipart upload: the object
    holds the same bytes, in three pieces, with the whole file's SHA-256 as metadata."""
    storage = await started(S3Storage(tmp_path, bucket.config(part_size=5 * MiB)))
    session_id = uuid.uuid4()
    record = _part_file(storage.session_dir(session_id), 12 * MiB + 12345)
    try:
        await storage.publish_part(session_id, record)
        async with asyncio.timeout(30):
            await storage.wait_uploaded()
    finally:
        await storage.stop()
    data, answer = bucket.get(storage.key(session_id, record.file))
    assert len(data) == record.size and sha256(data) == record.sha256
    assert answer["Metadata"]["sha256"] == record.sha256
    assert answer["ETag"].strip('"').endswith("-3")  # a multipart object of three pieces


async def test_part_that_does_not_match_its_hash_is_not_completed(
    bucket: Bucket, tmp_path: Path
) -> None:
    """A multipart upload whose bytes no longer hash to the journaled SHA-256 is aborted,
    leaves no object and no unfinished upload, and stays pending (retried)."""
    storage = await started(
        S3Storage(tmp_path, bucket.config(part_size=5 * MiB), retry_first=0.1, retry_max=0.2)
    )
    session_id = uuid.uuid4()
    record = _part_file(storage.session_dir(session_id), 6 * MiB)
    wrong = record.close(duration_ms=1000, size=record.size, sha256=sha256(b"other bytes"))
    try:
        await storage.publish_part(session_id, wrong)
        await until(lambda: storage.states(session_id)[record.file][1] >= 2)
        assert storage.pending() == 1
    finally:
        await storage.stop()
    assert bucket.listed() == []
    assert bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", []) == []


async def test_store_down_does_not_delay_the_archive_and_uploads_resume(
    make_recorder: MakeRecorder, publish: Publish, moto_endpoint: str, tmp_path: Path
) -> None:
    """With the store unreachable the recorder closes and reports archive_ready within 2 s
    (closing must not wait for the store), the uploads stay owed in the state file, and a new S3Storage on the same
    folder finishes them once the store is back."""
    port = _free_port()  # nothing listens here yet
    endpoint = f"http://127.0.0.1:{port}"
    root = tmp_path / "recordings"
    loop = asyncio.get_running_loop()
    bucket = Bucket(moto_endpoint)  # moto's backend is process-wide: both servers see it
    first = await started(S3Storage(root, bucket.config(endpoint=endpoint), retry_first=0.1))
    try:
        recorder, sink = await make_recorder(storage=first)
        publisher = await publish(recorder.ingest_url())
        assert await publisher.finish() == 0
        await sink.wait_for(ev.PART_CLOSED)
        closing = loop.time()
        archive = await recorder.close([])
        ready = await sink.wait_for(ev.ARCHIVE_READY)
        assert ready.at - closing <= 2.0, "archive_ready later than 2 s with the store down"

        def failed_once() -> bool:
            states = first.states(recorder.session_id)
            return all(a >= 1 for n, (_, a) in states.items() if n != manifest.MANIFEST_NAME)

        await until(failed_once)
        states = first.states(recorder.session_id)
        assert states[manifest.MANIFEST_NAME] == ("pending", 0), "the manifest goes last"
        assert first.pending() == len(archive.parts) + len(ARCHIVE_FILES)
    finally:
        await first.stop()
    state = json.loads((archive.directory / STATE_NAME).read_text())
    assert {o["state"] for o in state["objects"].values()} == {"pending"}

    server = _start_moto(port)
    try:
        second = await started(S3Storage(root, bucket.config(endpoint=endpoint)))
        try:
            assert second.pending() == len(archive.parts) + len(ARCHIVE_FILES)
            async with asyncio.timeout(30):
                await second.wait_uploaded()
        finally:
            await second.stop()
        assert_replicated(bucket, second, recorder.session_id, archive)
    finally:
        server.stop()


async def _set_auth(endpoint: str, after: str) -> None:
    """moto's own switch: verify every request's SigV4 signature against its IAM keys after
    ``after`` unauthenticated requests (``inf``: never)."""
    url = f"{endpoint}/moto-api/reset-auth"
    async with aiohttp.ClientSession() as http, http.post(url, data=after.encode()) as answer:
        assert answer.status == 200


async def test_store_verifying_signatures_accepts_rada_and_refuses_a_wrong_secret(
    moto_endpoint: str, tmp_path: Path
) -> None:
    """With moto checking every signature (botocore's verifier on the request as received),
    rada's PUT, multipart, HEAD and unicode keys are accepted; a wrong secret is refused
    (403) and the file stays pending."""
    bucket = Bucket(moto_endpoint)
    iam = boto("iam", moto_endpoint)
    user = f"rada-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName=user, PolicyName="archive", PolicyDocument=json.dumps(policy))
    access = iam.create_access_key(UserName=user)["AccessKey"]
    good = replace(
        bucket.config(part_size=5 * MiB),
        credentials=Credentials(access["AccessKeyId"], access["SecretAccessKey"]),
    )
    wrong = replace(good, credentials=Credentials(access["AccessKeyId"], "not-the-secret"))
    session_id = uuid.uuid4()
    unicode_key = "rada/засідання 1/протокол (остаточний)+v2.json"
    document = json.dumps({"п": 1}).encode()
    (tmp_path / "protocol.json").write_bytes(document)

    await _set_auth(moto_endpoint, "0")
    try:
        storage = await started(S3Storage(tmp_path / "good", good))
        record = _part_file(storage.session_dir(session_id), 6 * MiB)
        try:
            await storage.publish_part(session_id, record)
            async with asyncio.timeout(30):
                await storage.wait_uploaded()
            await storage.client.put_file(
                unicode_key,
                tmp_path / "protocol.json",
                content_type="application/json",
                size=len(document),
                sha256=sha256(document),
            )
            stored = await storage.client.head_object(unicode_key)
            assert stored is not None and stored.sha256 == sha256(document)
        finally:
            await storage.stop()
        assert await reachable(good) == "reachable"
        assert "403" in await reachable(wrong)

        refused = await started(S3Storage(tmp_path / "wrong", wrong, retry_first=0.1))
        other = uuid.uuid4()
        try:
            await refused.publish_part(other, _part_file(refused.session_dir(other), 1000))
            await until(lambda: refused.states(other)["part-0001.mp4"][1] >= 1)
            assert refused.pending() == 1
        finally:
            await refused.stop()
    finally:
        await _set_auth(moto_endpoint, "inf")
    data, _ = bucket.get(storage.key(session_id, record.file))
    assert sha256(data) == record.sha256
    assert bucket.get(unicode_key)[0] == document
    assert bucket.listed() == sorted([storage.key(session_id, record.file), unicode_key])


async def test_rada_check_reports_the_bucket_and_pending_uploads(
    moto_endpoint: str, database_url: str, tmp_path: Path
) -> None:
    """``rada check`` says whether the bucket answers (HeadBucket) and counts what is owed."""
    bucket = Bucket(moto_endpoint)
    data = tmp_path / "data"
    unreachable = bucket.config(endpoint=f"http://127.0.0.1:{_free_port()}")
    storage = await started(S3Storage(data / "media", unreachable, retry_first=60))
    session_id = uuid.uuid4()
    try:
        await storage.publish_part(session_id, _part_file(storage.session_dir(session_id), 100))
    finally:
        await storage.stop()
    env = {
        f"RADA_RECORDING_{name}": value
        for name, value in {
            "STORAGE": "s3",
            "S3_ENDPOINT": moto_endpoint,
            "S3_BUCKET": bucket.name,
            "S3_ACCESS_KEY_ID": KEY_ID,
            "S3_SECRET_ACCESS_KEY": SECRET,
        }.items()
    }

    recording = RecordingSettings.from_env(env)
    lines = await asyncio.to_thread(
        check_lines, make_settings(database_url, data, recording=recording)
    )
    assert (
        f"storage: local folder + S3 {bucket.config().target} (reachable), 1 upload(s) pending"
        in lines
    )
    assert all(SECRET not in line for line in lines)

    recording = RecordingSettings.from_env(env | {"RADA_RECORDING_S3_BUCKET": "no-such-bucket"})
    lines = await asyncio.to_thread(
        check_lines, make_settings(database_url, data, recording=recording)
    )
    (line,) = [x for x in lines if x.startswith("storage:")]
    assert "no-such-bucket (UNREACHABLE (404" in line


async def test_open_storage_builds_what_the_settings_name(bucket: Bucket, tmp_path: Path) -> None:
    """``RADA_RECORDING_STORAGE=s3`` gives a started S3Storage that uploads (and uploads again
    when the prefix changes); ``local`` a LocalStorage."""
    settings = RecordingSettings(
        storage="s3",
        s3_endpoint=bucket.endpoint,
        s3_bucket=bucket.name,
        s3_prefix="council-7",
        s3_access_key_id=KEY_ID,
        s3_secret_access_key=SECRET,
    )
    session_id = uuid.uuid4()
    async with open_storage(settings, tmp_path) as storage:
        assert isinstance(storage, S3Storage)
        await storage.publish_part(session_id, _part_file(storage.session_dir(session_id), 100))
        async with asyncio.timeout(30):
            await storage.wait_uploaded()
    assert bucket.listed() == [f"council-7/{session_id}/part-0001.mp4"]
    async with open_storage(replace(settings, s3_prefix="council-8/"), tmp_path) as moved:
        assert isinstance(moved, S3Storage)
        assert moved.pending() == 1  # uploaded elsewhere: owed again to the new prefix
        async with asyncio.timeout(30):
            await moved.wait_uploaded()
    assert bucket.listed() == [f"council-{n}/{session_id}/part-0001.mp4" for n in (7, 8)]
    async with open_storage(RecordingSettings(), tmp_path) as local:
        assert isinstance(local, LocalStorage)


class Loopback(AbstractResolver):
    """Every host name resolves to 127.0.0.1 (``<bucket>.s3.test`` for virtual-host style)."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host="127.0.0.1",
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        pass


async def test_virtual_host_addressing(bucket: Bucket, tmp_path: Path) -> None:
    """With virtual-host addressing the bucket is in the host name (``<bucket>.s3.test``) and
    not in the path; the store files the object in that bucket."""
    port = urlsplit(bucket.endpoint).port
    config = replace(bucket.config(), endpoint=f"http://s3.test:{port}", virtual_host=True)
    document = b"WEBVTT\n"
    (tmp_path / "chapters.vtt").write_bytes(document)
    connector = aiohttp.TCPConnector(resolver=Loopback())
    async with aiohttp.ClientSession(connector=connector) as http:
        client = S3Client(http, config)
        await client.head_bucket()
        await client.put_file(
            "rada/x/chapters.vtt",
            tmp_path / "chapters.vtt",
            content_type="text/vtt",
            size=len(document),
            sha256=sha256(document),
        )
        stored = await client.head_object("rada/x/chapters.vtt")
    assert stored is not None and (stored.size, stored.sha256) == (len(document), sha256(document))
    assert bucket.get("rada/x/chapters.vtt")[0] == document


async def test_app_replicates_a_recorded_session(
    database_url: str, bucket: Bucket, tmp_path: Path
) -> None:
    """The app with ``storage=s3`` (the supervisor under ``cleanup_ctx``, a simulated call):
    after the session closes, the bucket holds the manifest and every part it lists, with the
    hashes it states."""
    settings = simulated_settings(
        storage="s3",
        s3_endpoint=bucket.endpoint,
        s3_bucket=bucket.name,
        s3_access_key_id=KEY_ID,
        s3_secret_access_key=SECRET,
    )
    app = create_app(
        make_settings(database_url, tmp_path / "data", recording=settings),
        extensions=[configure(poll_seconds=0.2)],
    )
    async with TestClient(TestServer(app)) as client:
        pool: asyncpg.Pool = client.app[POOL]
        session_id = await open_session(pool)
        await wait_journal(pool, session_id, ev.RECORDING_STARTED)
        await close_session(pool, session_id)
        await wait_journal(pool, session_id, ev.ARCHIVE_READY)
        key = f"rada/{session_id}/{manifest.MANIFEST_NAME}"
        await until(lambda: key in bucket.listed())
    document = json.loads(bucket.get(key)[0])
    assert document["parts"]
    for part in document["parts"]:
        data, answer = bucket.get(f"rada/{session_id}/{part['file']}")
        assert (len(data), sha256(data)) == (part["size"], part["sha256"])
        assert answer["Metadata"]["sha256"] == part["sha256"]
    for listed in document["files"]:
        data, _ = bucket.get(f"rada/{session_id}/{listed['file']}")
        assert sha256(data) == listed["sha256"]
