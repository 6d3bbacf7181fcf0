"""Jibri's status webhooks on a real PostgreSQL, posted by the fake Jibri as the real one posts
them: a change of the serving Jibri's state is journaled once (R9: the recording source is
part of the session's record), a Jibri that leaves the call or turns unhealthy is restarted at
once, and nothing unauthenticated, malformed or unknown reaches the journal. The fake Jibri
signs its webhooks as Jibri does with ``jwt-info`` (RS256, kid, iss, aud, exp)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import jwt
import pytest
import structlog
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from orchestrator.app import create_app
from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal import store as journal_store
from orchestrator.kernel.keys import POOL
from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import store
from recording.api import configure
from recording.cli import webhook_line
from recording.jibri.auth import load_token_key
from tests.conftest import make_settings
from tests.fakes.fake_jibri import FakeJibri, JwtInfo
from tests.integration.recording.conftest import PORTS, open_session, until

SECRET = "jibri-webhook-secret-0123456789"
KID, ISSUER, AUDIENCE = "jibri/webhook-2026", "jibri", "rada"
PREFIX = "/api/v1/jibri"
Wired = tuple[TestClient[Any, Any], FakeJibri]


def settings_for(jibri_url: str = "http://127.0.0.1:9", **kw: Any) -> RecordingSettings:
    values: dict[str, Any] = {
        "ports": PORTS,
        "host": "127.0.0.1",
        "stall_seconds": 2,
        "segment_seconds": 1,
        "jibri_urls": (jibri_url,),
        "jibri_ids": (("jibri-1", jibri_url),),
        "jibri_webhook_secret": SECRET,
        "jibri_retry_seconds": 600,  # only a webhook can restart the source in these tests
        **kw,
    }
    return RecordingSettings(**values)


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A JWT assembled by hand (pyjwt refuses to forge the attacks tested here)."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    signing_input = part(json.dumps(header).encode()) + b"." + part(json.dumps(claims).encode())
    return (signing_input + b"." + part(sign(signing_input))).decode()


def rsa_pem() -> tuple[bytes, bytes]:
    """A fresh RSA key pair: (private PEM as Jibri's signing-key-path holds, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
    public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture(scope="module")
def jibri_key() -> tuple[bytes, bytes]:
    return rsa_pem()


def jwt_settings(folder: Path, public_pem: bytes) -> dict[str, Any]:
    """The webhook settings mirroring a Jibri ``jwt-info`` (the public key in ``folder``)."""
    path = folder / "jibri-webhook.pub"
    path.write_bytes(public_pem)
    return {
        "jibri_webhook_public_key": str(path),
        "jibri_webhook_kid": KID,
        "jibri_webhook_issuer": ISSUER,
        "jibri_webhook_audience": AUDIENCE,
    }


@pytest.fixture
async def wired(
    database_url: str, tmp_path: Path, jibri_key: tuple[bytes, bytes]
) -> AsyncIterator[Wired]:
    """rada with recording wired to one fake Jibri (``jibri-1``) subscribed to its webhook,
    which it signs with its ``jwt-info`` key (no shared secret configured)."""
    private_pem, public_pem = jibri_key
    fake = FakeJibri(jibri_id="jibri-1", jwt_info=JwtInfo(private_pem, KID, ISSUER, AUDIENCE))
    jibri_server = TestServer(fake.app, host="127.0.0.1")
    await jibri_server.start_server()
    jibri_url = str(jibri_server.make_url("")).rstrip("/")
    recording = settings_for(
        jibri_url, jibri_webhook_secret="", **jwt_settings(tmp_path, public_pem)
    )
    app = create_app(
        make_settings(database_url, tmp_path / "data", recording=recording),
        extensions=[configure(poll_seconds=0.2)],
    )
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        fake.subscribers.append(str(client.make_url(PREFIX)))
        yield client, fake
    await jibri_server.close()


async def statuses(pool: asyncpg.Pool, session_id: uuid.UUID) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        events = await journal_store.load_events(conn, session_id)
    return [e.payload for e in events if e.type == ev.JIBRI_STATUS]


async def streaming(pool: asyncpg.Pool, fake: FakeJibri, starts: int) -> uuid.UUID:
    """Wait for the fake Jibri's ``starts``-th start to be recorded as serving a session."""

    async def assigned() -> bool:
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM jibri_assignments WHERE jibri_id = 'jibri-1'")
        return row is not None and len(fake.requests) >= starts and fake.busy

    await until(assigned)
    await fake.settle()
    async with pool.acquire() as conn:
        session_id: uuid.UUID = await conn.fetchval(
            "SELECT session_id FROM jibri_assignments WHERE jibri_id = 'jibri-1'"
        )
    return session_id


async def test_busy_is_journaled_once_and_unhealthy_restarts(wired: Wired) -> None:
    """BUSY reported again and again → one jibri_status ON; UNHEALTHY → failure_reason and the
    keeper restarts the Jibri at once (the retry period is 10 minutes here)."""
    client, fake = wired
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    assert await streaming(pool, fake, 1) == session_id
    for _ in range(3):  # Jibri's minute repeats
        assert await fake.post_status() == [200]
    on = {"status": "ON", "failure_reason": None, "jibri": "jibri-1",
          "busy_status": "BUSY", "health_status": "HEALTHY"}  # fmt: skip
    assert await statuses(pool, session_id) == [on]

    await fake.set_healthy(False)
    await until(lambda: len(fake.requests) >= 2)  # stopService, then startService again
    fake.healthy = True  # else it is restarted every RESTART_GAP_SECONDS until teardown
    got = await statuses(pool, session_id)
    assert got[1] == {**on, "failure_reason": "unhealthy", "health_status": "UNHEALTHY"}
    assert fake.requests[1]["sessionId"] == str(session_id)


async def test_idle_while_recording_is_journaled_and_restarts(wired: Wired) -> None:
    """The Jibri's ffmpeg dies (Jibri goes IDLE) while the session records → jibri_status OFF
    and the source is started again without waiting for the retry period."""
    client, fake = wired
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    await streaming(pool, fake, 1)
    assert await fake.post_status() == [200]
    await fake.die()
    assert [s["status"] for s in await statuses(pool, session_id)] == ["ON", "OFF"]
    off = (await statuses(pool, session_id))[1]
    assert (off["busy_status"], off["failure_reason"]) == ("IDLE", None)
    await streaming(pool, fake, 2)  # restarted and serving the session again
    assert fake.requests[1]["youTubeStreamKey"] == fake.requests[0]["youTubeStreamKey"]
    assert await fake.post_status() == [200]
    assert [s["status"] for s in await statuses(pool, session_id)] == ["ON", "OFF", "ON"]


Post = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def hook(
    database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[TestClient[Any, Any], Post]]:
    """rada with the webhook but no supervisor (assignments written by the test)."""
    app = create_app(
        make_settings(database_url, tmp_path / "data", recording=settings_for(enabled=False)),
        extensions=[configure()],
    )
    async with TestClient(TestServer(app)) as client:

        async def post(body: Any, secret: str | None = SECRET) -> tuple[int, dict[str, Any]]:
            headers = {"Authorization": f"Bearer {secret}"} if secret is not None else {}
            r = await client.post(f"{PREFIX}/v1/status", json=body, headers=headers)
            return r.status, await r.json(content_type=None)

        yield client, post


def report(jibri_id: str = "jibri-1", busy: str = "BUSY", health: str = "HEALTHY") -> Any:
    return {"jibriId": jibri_id,
            "status": {"busyStatus": busy, "health": {"healthStatus": health, "details": {}}}}  # fmt: skip


async def test_refused_and_unknown_reports_leave_the_journal(
    hook: tuple[TestClient[Any, Any], Post],
) -> None:
    """Wrong or missing secret → 401; a bad body → 422 naming the field; an unknown jibriId →
    202 with a warning; none of them is journaled, while a valid report is."""
    client, post = hook
    pool: asyncpg.Pool = client.app[POOL]
    session_id = await open_session(pool)
    async with pool.acquire() as conn:
        await store.assign_jibri(conn, "jibri-1", session_id, "http://j1:2222", datetime.now(UTC))

    for secret in ("wrong", None):
        status, body = await post(report(), secret=secret)
        assert (status, body["code"]) == (401, "jibri_secret_refused")
    for bad, field in (
        ({"status": report()["status"]}, "jibriId"),
        ({"jibriId": "jibri-1", "status": "BUSY"}, "status"),
        (report(busy="WORKING"), "status.busyStatus"),
        (report(health="OK"), "status.health.healthStatus"),
        ([1, 2], "body"),
    ):
        status, body = await post(bad)
        assert (status, body["field"]) == (422, field)
    with structlog.testing.capture_logs() as logs:
        assert (await post(report("jibri-9")))[0] == 202
    assert [x["jibri"] for x in logs if x["event"] == "jibri_status_unknown_jibri"] == ["jibri-9"]
    assert await statuses(pool, session_id) == []

    assert await post(report()) == (200, {"outcome": "journaled"})
    assert await post(report()) == (200, {"outcome": "unchanged"})
    assert [s["status"] for s in await statuses(pool, session_id)] == ["ON"]


async def test_no_secret_configured_refuses_every_report(database_url: str, tmp_path: Path) -> None:
    """RADA_RECORDING_JIBRI_WEBHOOK_SECRET unset → 403 problem+json, whatever is sent."""
    app = create_app(
        make_settings(
            database_url,
            tmp_path / "data",
            recording=settings_for(enabled=False, jibri_webhook_secret=""),
        ),
        extensions=[configure()],
    )
    async with TestClient(TestServer(app)) as client:
        for headers in ({}, {"Authorization": "Bearer "}):
            r = await client.post(f"{PREFIX}/v1/status", json=report(), headers=headers)
            assert (r.status, r.content_type) == (403, "application/problem+json")


async def test_jibri_jwt_accepted_and_every_altered_token_refused(
    database_url: str, tmp_path: Path, jibri_key: tuple[bytes, bytes]
) -> None:
    """Jibri's jwt-info token is accepted; every altered one is refused with 401 problem+json
    and nothing reaches the journal: another kid, issuer or audience, expired, valid for more
    than a day, signed by another key, HS256 keyed with the public key (algorithm confusion),
    alg none, exp missing. The proxy's shared secret keeps working beside it."""
    private_pem, public_pem = jibri_key
    other_private, _ = rsa_pem()
    app = create_app(
        make_settings(
            database_url,
            tmp_path / "data",
            recording=settings_for(enabled=False, **jwt_settings(tmp_path, public_pem)),
        ),
        extensions=[configure()],
    )
    async with TestClient(TestServer(app)) as client:
        pool: asyncpg.Pool = client.app[POOL]
        session_id = await open_session(pool)
        async with pool.acquire() as conn:
            await store.assign_jibri(
                conn, "jibri-1", session_id, "http://j1:2222", datetime.now(UTC)
            )

        async def post(token: str, busy: str = "BUSY") -> tuple[int, str | None]:
            r = await client.post(
                f"{PREFIX}/v1/status",
                json=report(busy=busy),
                headers={"Authorization": f"Bearer {token}"},
            )
            body = await r.json(content_type=None)
            return r.status, body.get("code") if r.status >= 400 else body["outcome"]

        now = int(datetime.now(UTC).timestamp())
        good = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 3600}

        def signed(claims: dict[str, Any], key: bytes = private_pem, kid: str = KID) -> str:
            return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})

        unsigned = compact({"alg": "none", "kid": KID}, good, lambda _: b"")
        confused = compact(
            {"alg": "HS256", "kid": KID},
            good,
            lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
        )
        refused = {
            "another kid": signed(good, kid="jibri/other"),
            "another issuer": signed({**good, "iss": "prosody"}),
            "another audience": signed({**good, "aud": "jitsi"}),
            "expired": signed({**good, "exp": now - 120}),
            "more than a day": signed({**good, "exp": now + 2 * 86400}),
            "another key": signed(good, key=other_private),
            "HS256 with the public key": confused,
            "alg none": unsigned,
            "no exp": signed({"iss": ISSUER, "aud": AUDIENCE}),
            "not a JWT": "a.b.c",
        }
        for name, token in refused.items():
            assert await post(token) == (401, "jibri_token_refused"), name
        assert await statuses(pool, session_id) == []

        assert await post(signed(good)) == (200, "journaled")
        assert await post(SECRET, busy="IDLE") == (200, "journaled")  # the proxy's bearer
        assert [s["status"] for s in await statuses(pool, session_id)] == ["ON", "OFF"]


def test_jwt_settings_name_what_is_missing_or_wrong(tmp_path: Path) -> None:
    """The public key needs Jibri's kid, issuer and audience; the file must hold an RSA public
    key or certificate; each error names the variable."""
    env = {"RADA_RECORDING_JIBRI_WEBHOOK_PUBLIC_KEY": str(tmp_path / "missing.pub")}
    with pytest.raises(SettingsError, match="JIBRI_WEBHOOK_KID is required"):
        RecordingSettings.from_env(env)
    env |= {
        "RADA_RECORDING_JIBRI_WEBHOOK_KID": KID,
        "RADA_RECORDING_JIBRI_WEBHOOK_ISSUER": ISSUER,
    }
    with pytest.raises(SettingsError, match="JIBRI_WEBHOOK_AUDIENCE is required"):
        RecordingSettings.from_env(env)
    settings = RecordingSettings.from_env(env | {"RADA_RECORDING_JIBRI_WEBHOOK_AUDIENCE": "rada"})
    with pytest.raises(SettingsError, match="JIBRI_WEBHOOK_PUBLIC_KEY: cannot read"):
        load_token_key(settings)
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("not a key")
    with pytest.raises(SettingsError, match="not a PEM public key"):
        load_token_key(replace(settings, jibri_webhook_public_key=str(garbage)))
    curve = tmp_path / "ec.pub"
    curve.write_bytes(
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(SettingsError, match="not an RSA key"):
        load_token_key(replace(settings, jibri_webhook_public_key=str(curve)))
    _, public_pem = rsa_pem()
    good = tmp_path / "jibri.pub"
    good.write_bytes(public_pem)
    key = load_token_key(replace(settings, jibri_webhook_public_key=str(good)))
    assert key is not None and (key.kid, key.issuer, key.audience) == (KID, ISSUER, "rada")

    # `rada check` says how webhooks are authenticated, and why not
    assert webhook_line(RecordingSettings()) == "jibri webhooks: OFF (every report refused)"
    assert "FAILED: RADA_RECORDING_JIBRI_WEBHOOK_PUBLIC_KEY: cannot read" in webhook_line(settings)
    both = replace(settings, jibri_webhook_public_key=str(good), jibri_webhook_secret="s")
    assert webhook_line(both) == (
        f"jibri webhooks: Jibri's RS256 JWT (kid {KID}, iss {ISSUER}, aud rada) "
        "or a proxy's bearer secret"
    )
