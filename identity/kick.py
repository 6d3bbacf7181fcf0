"""Removing an occupant from the call through Jitsi's ``mod_muc_kick_participant`` (jitsi-meet
``resources/prosody-plugins``), where the operator enables it (``RADA_JITSI_KICK_URL``).

The module's protocol: ``PUT <prosody http>/kick-participant?room=<room>`` with
``Content-Type: application/json`` and a body naming exactly one of ``participantId`` (the
occupant's MUC nick: the resource of its occupant JID) or ``number`` (a dial-in); the
``Authorization: Bearer`` token is verified against ``prosody_password_public_key_repo_url``
(RS256, fetched by ``kid`` like ``asap_key_server``). 200: kicked; 404: no such occupant.

An adapter (HTTP); a failure is logged and never undoes the revocation it follows: the occupant
cannot come back in any case (``mod_muc_auth_ban`` and short tokens).
"""

from __future__ import annotations

from datetime import datetime

import aiohttp
import structlog

from identity.tokens import TokenIssuer, service_claims

log = structlog.get_logger(__name__)

TIMEOUT = aiohttp.ClientTimeout(total=10)


class Kicker:
    def __init__(self, url: str, issuer: TokenIssuer) -> None:
        self.url = url
        self.issuer = issuer

    async def kick(self, room: str, nick: str, now: datetime) -> bool:
        """Ask Prosody to remove the occupant ``nick`` from ``room``; True if it did."""
        token = self.issuer.sign(service_claims(self.issuer.settings, now))
        try:
            async with (
                aiohttp.ClientSession(timeout=TIMEOUT) as http,
                http.put(
                    self.url,
                    params={"room": room},
                    json={"participantId": nick},
                    headers={"Authorization": f"Bearer {token}"},
                ) as r,
            ):
                kicked = r.status == 200
                log.info("occupant_kick", status=r.status)
                return kicked
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("occupant_kick_failed", error=type(exc).__name__)
            return False
