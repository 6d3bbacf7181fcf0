"""Jitsi tokens: issuing the JWT that Prosody's ``token`` authentication accepts, and rada's
own verifier of the same rules (DESIGN "Jitsi facts").

Prosody (``token_util.lib.lua`` with ``luajwtjitsi``) checks: header ``typ: JWT``; ``alg``
exactly as configured (HS256 with the app secret, or RS256 with ``kid`` and a key fetched from
``<asap_key_server>/<hex sha256(kid)>.pem``); the signature; ``iss`` among the accepted
issuers; ``aud`` among the accepted audiences; ``room`` equal to the room or ``*``; ``sub``
equal to the XMPP domain or ``*``; ``exp`` and ``nbf`` as numbers with no clock skew. The
``context.user`` fields must be strings. :class:`TokenVerifier` enforces all of these and a
few more that rada promises (``nbf`` present, ``context.features`` strings, affiliation known),
so a token rada issues is a token Prosody accepts and nothing looser passes rada's own tests.

This is an adapter (it imports ``jwt``); the claim rules themselves are plain data.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from identity.errors import OutsideSessionWindow, TokenRefused
from orchestrator.kernel.settings.identity import JitsiSettings
from orchestrator.kernel.web.auth import Role

ROOM_PREFIX = "rada-"
TEST_ROOM_PREFIX = "radacheck-"
"""A participant's own room for «Перевірка зв’язку»: never a session's room (those are
``rada-`` and 32 hex digits), so a test token can never open a sitting's call."""
TEST_TOKEN_LIFETIME = 120
"""Seconds a test token lives: enough to join, stay a few seconds and hang up."""
OWNER_ROLES = frozenset({Role.CHAIR, Role.SECRETARY})
AFFILIATIONS = frozenset({"owner", "member"})
USER_STRING_FIELDS = ("id", "name", "affiliation")
"""Non-empty strings; ``email`` must be a string too but may be empty (``RADA_JITSI_TOKEN_EMAIL``)."""
FEATURES: Mapping[str, str] = {
    # rada records and streams the call itself through Jibri's HTTP API; nobody starts a
    # recording, stream, transcription or phone call from the Jitsi UI (R9: one recording).
    "recording": "false",
    "livestreaming": "false",
    "transcription": "false",
    "outbound-call": "false",
    "sip-outbound-call": "false",
    "file-upload": "false",
}


def new_room_name() -> str:
    """An unguessable, lower-case room for one session: ``rada-`` + 128 random bits in hex."""
    return ROOM_PREFIX + secrets.token_hex(16)


def check_room_name(session_id: UUID, participant_id: UUID) -> str:
    """The participant's test room for this session: ``radacheck-<session>-<participant>``."""
    return f"{TEST_ROOM_PREFIX}{session_id.hex}-{participant_id.hex}"


def parse_check_room(room: str) -> tuple[UUID, UUID] | None:
    """``(session id, participant id)`` of a test room's name, ``None`` for any other room."""
    if not room.startswith(TEST_ROOM_PREFIX):
        return None
    session, _, participant = room.removeprefix(TEST_ROOM_PREFIX).partition("-")
    if len(session) != 32 or len(participant) != 32:
        return None
    try:
        ids = UUID(hex=session), UUID(hex=participant)
    except ValueError:
        return None
    return ids if check_room_name(*ids) == room else None


def key_file_name(kid: str) -> str:
    """Where Prosody looks for the RS256 public key of ``kid``, under ``asap_key_server``."""
    return hashlib.sha256(kid.encode("utf-8")).hexdigest() + ".pem"


@dataclass(frozen=True, slots=True)
class TokenSubject:
    """The participant a token names (contact data from the participant list only, R12)."""

    participant_id: UUID
    surname: str
    given_name: str
    email: str
    role: Role

    @property
    def display_name(self) -> str:
        """ "Прізвище Ім'я", as the chair calls the roll (R15)."""
        return f"{self.surname} {self.given_name}".strip()


@dataclass(frozen=True, slots=True)
class SessionWindow:
    """When a session's tokens may be issued and used."""

    starts_at: datetime
    planned_end: datetime
    in_progress: bool = False
    """Opened and not yet closed: the sitting may run past its planned end."""

    def bounds(self, settings: JitsiSettings) -> tuple[datetime, datetime | None]:
        """``(opens, closes)``: from ``early_join`` before the start to ``end_margin`` after
        the planned end; no end while the session is in progress."""
        return (
            self.starts_at - timedelta(seconds=settings.early_join),
            None if self.in_progress else self.planned_end + timedelta(seconds=settings.end_margin),
        )


def build_claims(
    settings: JitsiSettings,
    subject: TokenSubject,
    room: str,
    window: SessionWindow,
    now: datetime,
) -> dict[str, Any]:
    """The claims of ``subject``'s token for ``room``, living ``token_lifetime`` seconds (no
    longer than the window); refused outside the session window."""
    opens, closes = window.bounds(settings)
    if now < opens or (closes is not None and now >= closes):
        raise OutsideSessionWindow(
            "a Jitsi token is issued only during the session's window",
            opens=opens.isoformat(),
            closes=None if closes is None else closes.isoformat(),
        )
    expires = now + timedelta(seconds=settings.token_lifetime)
    if closes is not None:
        expires = min(expires, closes)
    issued = int(now.timestamp())
    return {
        "iss": settings.app_id,
        "aud": settings.audience,
        "sub": settings.xmpp_domain,
        "room": room.lower(),
        "iat": issued,
        "nbf": issued - settings.not_before_leeway,
        "exp": int(expires.timestamp()),
        "context": {
            "user": {
                "id": str(subject.participant_id),
                "name": subject.display_name,
                "email": subject.email if settings.token_email else "",
                "affiliation": "owner" if subject.role in OWNER_ROLES else "member",
            },
            "features": dict(FEATURES),
        },
    }


def check_claims(
    settings: JitsiSettings,
    subject: TokenSubject,
    session_id: UUID,
    now: datetime,
    lifetime: int = TEST_TOKEN_LIFETIME,
) -> dict[str, Any]:
    """The claims of ``subject``'s short test token (P1 technical check): their own test room,
    never a moderator (``member`` whatever their role), ``lifetime`` seconds, any day before
    the sitting ends (no session window: the check is made days before)."""
    issued = int(now.timestamp())
    return {
        "iss": settings.app_id,
        "aud": settings.audience,
        "sub": settings.xmpp_domain,
        "room": check_room_name(session_id, subject.participant_id),
        "iat": issued,
        "nbf": issued - settings.not_before_leeway,
        "exp": issued + lifetime,
        "context": {
            "user": {
                "id": str(subject.participant_id),
                "name": subject.display_name,
                "email": "",
                "affiliation": "member",
            },
            "features": dict(FEATURES),
        },
    }


def service_claims(settings: JitsiSettings, now: datetime, lifetime: int = 60) -> dict[str, Any]:
    """rada's own short token for calling Prosody's HTTP modules (``mod_muc_kick_participant``):
    the same issuer and audience, any room, rada as the user, one minute long."""
    issued = int(now.timestamp())
    return {
        "iss": settings.app_id,
        "aud": settings.audience,
        "sub": settings.xmpp_domain,
        "room": "*",
        "iat": issued,
        "nbf": issued - settings.not_before_leeway,
        "exp": issued + lifetime,
        "context": {
            "user": {"id": "rada", "name": "rada", "email": "", "affiliation": "owner"},
            "features": dict(FEATURES),
        },
    }


class TokenIssuer:
    """Signs tokens with the configured algorithm and key."""

    def __init__(self, settings: JitsiSettings, private_key: RSAPrivateKey | None = None) -> None:
        self.settings = settings
        self._private_key = private_key
        if settings.algorithm == "RS256" and private_key is None:
            if settings.private_key_path is None:
                raise ValueError("RS256 needs a private key")
            loaded = serialization.load_pem_private_key(
                settings.private_key_path.read_bytes(), password=None
            )
            if not isinstance(loaded, RSAPrivateKey):
                raise ValueError("RADA_JITSI_PRIVATE_KEY_PATH must hold an RSA private key")
            self._private_key = loaded

    @property
    def _signing_key(self) -> str | RSAPrivateKey:
        if self.settings.algorithm == "RS256":
            assert self._private_key is not None
            return self._private_key
        return self.settings.app_secret

    def public_key_pem(self) -> bytes | None:
        """The RS256 public key as PEM (what rada serves to Prosody), else ``None``."""
        if self._private_key is None:
            return None
        return self._private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def verifier(self) -> TokenVerifier:
        """A verifier with the matching key (HS256 secret or this key's public half)."""
        public = self.public_key_pem()
        keys = {self.settings.kid: public} if public is not None else {}
        return TokenVerifier(self.settings, public_keys=keys)

    def issue(self, subject: TokenSubject, room: str, window: SessionWindow, now: datetime) -> str:
        """The signed token (header ``typ: JWT``, the configured ``alg``, ``kid`` for RS256)."""
        claims = build_claims(self.settings, subject, room, window, now)
        return self.sign(claims)

    @staticmethod
    def room_of(token: str) -> str:
        """The ``room`` claim, read before the token is verified (to know which room to verify
        it for); :class:`TokenRefused` if there is none."""
        try:
            room = jwt.decode(token, options={"verify_signature": False}).get("room")
        except jwt.PyJWTError:
            raise TokenRefused("malformed") from None
        if not isinstance(room, str) or not room or room == "*":
            raise TokenRefused("room")
        return room

    def sign(self, claims: Mapping[str, Any]) -> str:
        """Sign ``claims`` as they are (tests use it to build altered tokens)."""
        headers: dict[str, Any] = {"typ": "JWT"}
        if self.settings.algorithm == "RS256":
            headers["kid"] = self.settings.kid
        return jwt.encode(
            dict(claims), self._signing_key, algorithm=self.settings.algorithm, headers=headers
        )


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TokenVerifier:
    """Prosody's token rules, as rada enforces them on its own tokens."""

    def __init__(
        self, settings: JitsiSettings, public_keys: Mapping[str, bytes] | None = None
    ) -> None:
        self.settings = settings
        self.public_keys = dict(public_keys or {})

    def verify(self, token: str, *, room: str, now: datetime) -> dict[str, Any]:
        """The claims of a valid token for ``room`` at ``now``; else :class:`TokenRefused`."""
        header = self._header(token)
        key = self._key(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[self.settings.algorithm],
                options={
                    "verify_signature": True,
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                    "require": [],
                },
            )
        except jwt.InvalidSignatureError:
            raise TokenRefused("signature") from None
        except jwt.PyJWTError:
            raise TokenRefused("malformed") from None
        self._check_claims(claims, room=room, now=now)
        return claims

    def _header(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise TokenRefused("malformed") from None
        if header.get("typ") != "JWT":
            raise TokenRefused("typ")
        if header.get("alg") != self.settings.algorithm:
            raise TokenRefused("alg")
        return header

    def _key(self, header: Mapping[str, Any]) -> str | bytes:
        if self.settings.algorithm == "HS256":
            return self.settings.app_secret
        kid = header.get("kid")
        if not isinstance(kid, str) or kid not in self.public_keys:
            raise TokenRefused("kid")
        return self.public_keys[kid]

    def _check_claims(self, claims: Mapping[str, Any], *, room: str, now: datetime) -> None:
        s = self.settings
        iss = claims.get("iss")
        if not isinstance(iss, str) or iss not in s.accepted_issuers:
            raise TokenRefused("iss")
        aud = claims.get("aud")
        if not isinstance(aud, str) or not (
            aud in s.accepted_audiences or "*" in s.accepted_audiences
        ):
            raise TokenRefused("aud")
        sub = claims.get("sub")
        if not isinstance(sub, str) or sub.lower() not in (s.xmpp_domain.lower(), "*"):
            raise TokenRefused("sub")
        room_claim = claims.get("room")
        if not isinstance(room_claim, str) or room_claim not in (room.lower(), "*"):
            raise TokenRefused("room")
        at = int(now.timestamp())
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not _is_number(exp):
            raise TokenRefused("exp")
        if at >= exp:  # type: ignore[operator]
            raise TokenRefused("expired")
        if not _is_number(nbf):
            raise TokenRefused("nbf")
        if at < nbf:  # type: ignore[operator]
            raise TokenRefused("not_yet_valid")
        if "iat" in claims and not _is_number(claims["iat"]):
            raise TokenRefused("iat")
        self._check_context(claims.get("context"))

    @staticmethod
    def _check_context(context: object) -> None:
        if not isinstance(context, dict):
            raise TokenRefused("context")
        user = context.get("user")
        if not isinstance(user, dict):
            raise TokenRefused("context.user")
        for name in USER_STRING_FIELDS:
            if not isinstance(user.get(name), str) or not user[name]:
                raise TokenRefused(f"context.user.{name}")
        if not isinstance(user.get("email"), str):
            raise TokenRefused("context.user.email")
        if "avatar" in user and not isinstance(user["avatar"], str):
            raise TokenRefused("context.user.avatar")
        if user["affiliation"] not in AFFILIATIONS:
            raise TokenRefused("context.user.affiliation")
        features = context.get("features")
        if not isinstance(features, dict) or not all(
            isinstance(v, str) and v in ("true", "false") for v in features.values()
        ):
            raise TokenRefused("context.features")
