"""Where the operator enables mod_muc_kick_participant, a participant whose link is revoked or
who is taken off the participant list (R6) is removed from the call at once (the fake Prosody speaks the module's protocol and checks rada's RS256 token
against the public key rada serves)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.api import IDENTITY, configure
from orchestrator.app import create_app
from orchestrator.kernel.settings import Settings, SettingsError
from tests.conftest import ADMIN
from tests.fakes.fake_prosody import KickParticipantProsody
from tests.fixtures.signin import (
    FakeClock,
    convene,
    jitsi_test_settings,
    smtp_test_settings,
)
from tests.integration.identity.test_jitsi import HOOK, PREFIX, occupant


def test_kick_url_needs_rs256() -> None:
    """Prosody verifies the kick request's token against public keys: HS256 is refused."""
    with pytest.raises(SettingsError, match="RADA_JITSI_KICK_URL"):
        jitsi_test_settings(RADA_JITSI_KICK_URL="http://prosody:5280/kick-participant")


@pytest.mark.parametrize("how", ["link revoked", "taken off the list"])
async def test_removed_participant_is_removed_from_the_call(
    settings: Settings, clock: FakeClock, tmp_path: Path, how: str
) -> None:
    """Revoking a deputy's link, or taking the deputy off the participant list before the
    sitting (R6), kicks their occupant (by its MUC nick) and nobody else's."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "jitsi.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    fake_prosody = KickParticipantProsody("", ("rada",), ("jitsi",))
    async with TestServer(fake_prosody.app) as fake:
        jitsi = jitsi_test_settings(
            RADA_JITSI_ALG="RS256",
            RADA_JITSI_KID="rada/2026",
            RADA_JITSI_PRIVATE_KEY_PATH=str(pem),
            RADA_JITSI_KICK_URL=str(fake.make_url("/kick-participant")),
        )
        app = create_app(
            replace(settings, jitsi=jitsi, smtp=smtp_test_settings()),
            clock=clock,
            extensions=[configure(send_notices=False)],
        )
        async with TestClient(TestServer(app)) as client:
            fake_prosody.key_repo = str(client.make_url("/asap"))
            ids = await convene(client)
            deputy, other = ids.deputies[0], ids.deputies[1]
            for pid, nick in ((deputy, "a1b2c3d4"), (other, "e5f6a7b8")):
                body = occupant(ids.room, pid)
                body["occupant"]["occupant_jid"] = f"{ids.room}@muc.meet.jitsi/{nick}"
                r = await client.post(f"{PREFIX}/occupant/joined", json=body, headers=HOOK)
                assert r.status == 200
                fake_prosody.rooms.setdefault(ids.room, set()).add(nick)
            await client.app[IDENTITY].issue_link(UUID(ids.session_id), UUID(deputy))
            if how == "link revoked":
                r = await client.delete(f"/api/v1/sessions/{ids.session_id}/links/{deputy}",
                                        headers=ADMIN)  # fmt: skip
            else:
                r = await client.delete(
                    f"/api/v1/sessions/{ids.session_id}/participants/{deputy}",
                    json={"reason": "склав повноваження"}, headers=ADMIN,
                )  # fmt: skip
            assert r.status == 204, await r.text()
            assert fake_prosody.kicked == [(ids.room, "a1b2c3d4")]
            assert fake_prosody.rooms[ids.room] == {"e5f6a7b8"}
