"""A fake Prosody with jitsi-meet's ``mod_muc_auth_ban`` (resources/prosody-plugins), speaking
its protocol to rada's access endpoint.

What the module does, and this fake with it: when a connection authenticates with a token
(``mod_auth_token`` fires ``jitsi-access-ban-check``), a token it already found banned is
refused at once (banned tokens are cached for five minutes); otherwise it GETs
``muc_prosody_jitsi_access_manager_url`` with ``Authorization: Bearer <the occupant's own
token>`` and lets the connection in while it waits. Only a 200 whose JSON has ``access`` equal
to ``false`` bans: it closes the connection and caches the token. Any other status is logged and
lets the occupant stay, which is why rada always answers 200. (As shipped, the module asks only
for rooms under a ``vpaas-magic-cookie-`` tenant: see deploy/README.md.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import aiohttp

CACHE_SECONDS = 5 * 60


@dataclass
class AuthBanProsody:
    access_manager_url: str
    http: aiohttp.ClientSession
    banned: dict[str, float] = field(default_factory=dict)
    checks: int = 0

    async def connect(self, token: str) -> bool:
        """One (re)connection authenticating with ``token``: True if it stays connected."""
        at = self.banned.get(token)
        if at is not None and time.monotonic() < at + CACHE_SECONDS:
            return False  # refused before any request, as the module's cache does
        self.checks += 1
        async with self.http.get(
            self.access_manager_url, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            if r.status != 200:
                return True  # "Error code ... contacting url": the occupant stays
            body = await r.json(content_type=None)
        if isinstance(body, dict) and body.get("access") is False:
            self.banned[token] = time.monotonic()  # session:close(), token cached
            return False
        return True
