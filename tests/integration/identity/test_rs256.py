"""RS256: rada serves its public key where Prosody's asap_key_server looks, and signs with kid."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.api import IDENTITY, configure
from identity.tokens import TokenVerifier, key_file_name
from orchestrator.kernel.settings import Settings
from tests.fixtures.signin import (
    Browser,
    FakeClock,
    convene,
    jitsi_test_settings,
    smtp_test_settings,
)

KID = "rada/2026-11"


async def test_public_key_served_and_tokens_verify_with_it(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    """GET /asap/<sha256(kid)>.pem is the key that verifies the tokens rada hands out."""
    from orchestrator.app import create_app

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem_path = tmp_path / "jitsi.pem"
    pem_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    jitsi = jitsi_test_settings(
        RADA_JITSI_ALG="RS256", RADA_JITSI_KID=KID, RADA_JITSI_PRIVATE_KEY_PATH=str(pem_path)
    )
    app = create_app(
        replace(settings, jitsi=jitsi, smtp=smtp_test_settings()),
        clock=clock,
        extensions=[configure(send_notices=False)],
    )
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/asap/" + "0" * 64 + ".pem")).status == 404
        r = await client.get(f"/asap/{key_file_name(KID)}")
        assert r.status == 200
        served = await r.read()
        ids = await convene(client)
        clock.set(ids.starts_at)
        token, _, _ = await client.app[IDENTITY].issue_link(
            UUID(ids.session_id), UUID(ids.deputies[0])
        )
        browser = Browser(client)
        try:
            assert (await browser.open_link(token)).status == 303
            body: dict[str, Any] = await (
                await browser.get(f"/api/v1/sessions/{ids.session_id}/jitsi-token")
            ).json()
        finally:
            await browser.close()
        claims = TokenVerifier(jitsi, public_keys={KID: served}).verify(
            body["jwt"], room=ids.room, now=clock.now
        )
        assert claims["context"]["user"]["id"] == ids.deputies[0]
