"""A fake Prosody with jitsi-meet's ``mod_muc_auth_ban`` and ``mod_muc_kick_participant``
(resources/prosody-plugins), speaking their protocols with rada.

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

import hashlib
import time
from dataclasses import dataclass, field

import aiohttp
import jwt
from aiohttp import web

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


class KickParticipantProsody:
    """A fake Prosody HTTP host with jitsi-meet's ``mod_muc_kick_participant``: ``PUT
    /kick-participant?room=<room>`` with ``Content-Type: application/json`` and exactly one of
    ``participantId`` (an occupant's MUC nick) or ``number``; the Bearer token is verified like
    ``token_util`` with ``prosody_password_public_key_repo_url``: RS256, the key fetched from
    ``<key_repo>/<hex sha256(kid)>.pem``, issuer and audience accepted. 200 when kicked, 404 when
    no such occupant, 400 for a bad request, 403 for a bad token."""

    def __init__(self, key_repo: str, issuers: tuple[str, ...], audiences: tuple[str, ...]):
        self.key_repo = key_repo.rstrip("/")
        self.issuers, self.audiences = issuers, audiences
        self.rooms: dict[str, set[str]] = {}
        self.kicked: list[tuple[str, str]] = []
        self.app = web.Application()
        self.app.router.add_put("/kick-participant", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Content-Type") != "application/json":
            return web.Response(status=400)
        body = await request.json()
        nick, number = body.get("participantId"), body.get("number")
        room = request.query.get("room")
        if (nick is None) == (number is None) or not room:
            return web.Response(status=400)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not await self._verified(token):
            return web.Response(status=403)
        occupants = self.rooms.get(room, set())
        if nick not in occupants:
            return web.Response(status=404)
        occupants.discard(nick)
        self.kicked.append((room, nick))
        return web.Response(status=200)

    async def _verified(self, token: str) -> bool:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            if not isinstance(kid, str):
                return False
            name = hashlib.sha256(kid.encode()).hexdigest() + ".pem"
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{self.key_repo}/{name}") as r,
            ):
                if r.status != 200:
                    return False
                key = await r.read()
            claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_aud": False})
        except jwt.PyJWTError:
            return False
        return claims.get("iss") in self.issuers and claims.get("aud") in self.audiences
