"""Who may post Jibri's status webhook: Jibri's own signed JWT, or a shared bearer secret.

Jibri's webhook client (jitsi/jibri ``webhooks/v1/WebhookClient.kt``) authenticates itself only
when ``jibri.jwt-info`` is configured: it then sends ``Authorization: Bearer <JWT>`` signed
**RS256** with the private key at ``signing-key-path``, the header ``kid`` set to ``jwt-info.kid``
and exactly three claims, ``iss`` (``jwt-info.issuer``), ``aud`` (``jwt-info.audience``) and
``exp`` (now + ``jwt-info.ttl``, at least 10 minutes; the same token is reused until 5 minutes
before it expires). rada verifies that token against the matching **public** key
(``RADA_RECORDING_JIBRI_WEBHOOK_PUBLIC_KEY``) and the configured kid, issuer and audience.

Without ``jwt-info`` Jibri sends no ``Authorization`` at all; a proxy in front of rada may then
add ``Authorization: Bearer <RADA_RECORDING_JIBRI_WEBHOOK_SECRET>`` for Jibri's addresses. Both
may be configured (a JWT-looking bearer is checked as a JWT, anything else as the secret); with
neither, every report is refused: nobody writes into a session's journal unauthenticated (R9).

The token does not cover the body and is valid until ``exp``: someone who captured one could
replay status reports until then, so the webhook should travel over TLS or a private network.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.recording import PREFIX, RecordingSettings

ALGORITHM = "RS256"  # what Jibri signs with; nothing else is accepted (no "none", no HS*)
LEEWAY_SECONDS = 30  # clock difference tolerated between Jibri's host and rada's
MAX_TTL_SECONDS = 24 * 3600  # a token valid for longer than a day is refused


class Refused(Exception):
    """The webhook's credentials are missing or wrong; ``code`` is the problem code."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class JibriTokenKey:
    """What a Jibri webhook JWT must match (the mirror of Jibri's ``jwt-info``)."""

    public_key: RSAPublicKey
    kid: str
    issuer: str
    audience: str


def load_token_key(settings: RecordingSettings) -> JibriTokenKey | None:
    """The verification key from the settings (``None`` when no public key is configured).
    Raises :class:`SettingsError` for an unreadable file or one that holds no RSA public key."""
    path = settings.jibri_webhook_public_key
    if not path:
        return None
    name = f"{PREFIX}JIBRI_WEBHOOK_PUBLIC_KEY"
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from None
    key: object
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = load_pem_public_key(data)
    except ValueError:
        raise SettingsError(
            f"{name}: {path} is not a PEM public key or certificate "
            "(from Jibri's signing key: openssl rsa -in jibri.pem -pubout)"
        ) from None
    if not isinstance(key, RSAPublicKey):
        raise SettingsError(f"{name}: {path} is not an RSA key (Jibri signs with RS256)")
    return JibriTokenKey(
        key,
        kid=settings.jibri_webhook_kid,
        issuer=settings.jibri_webhook_issuer,
        audience=settings.jibri_webhook_audience,
    )


def verify_jibri_token(token: str, key: JibriTokenKey, now: datetime) -> dict[str, Any]:
    """The claims of a valid Jibri webhook token; :class:`Refused` names what is wrong."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise Refused("the Jibri webhook token is not a JWT", "jibri_token_refused") from None
    if header.get("alg") != ALGORITHM:
        raise Refused(f"the Jibri webhook token must be signed {ALGORITHM}", "jibri_token_refused")
    if not isinstance(header.get("kid"), str) or not hmac.compare_digest(
        header["kid"].encode(), key.kid.encode()
    ):
        raise Refused("the Jibri webhook token names another key (kid)", "jibri_token_refused")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public_key,
            algorithms=[ALGORITHM],
            audience=key.audience,
            issuer=key.issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iss", "aud"], "verify_iat": False, "verify_exp": False},
        )
    except jwt.InvalidTokenError as exc:
        raise Refused(f"the Jibri webhook token is refused: {exc}", "jibri_token_refused") from None
    # exp against rada's clock (the app clock), not the wall clock pyjwt would read
    expires = claims["exp"]
    if not isinstance(expires, int | float) or isinstance(expires, bool):
        raise Refused("the Jibri webhook token's exp is not a number", "jibri_token_refused")
    remaining = expires - now.timestamp()
    if remaining < -LEEWAY_SECONDS:
        raise Refused("the Jibri webhook token has expired", "jibri_token_refused")
    if remaining > MAX_TTL_SECONDS + LEEWAY_SECONDS:
        raise Refused("the Jibri webhook token is valid for more than a day", "jibri_token_refused")
    return claims


def check_authorization(
    header: str, *, key: JibriTokenKey | None, secret: str, now: datetime
) -> str:
    """Check a webhook's ``Authorization`` header; return how it was authenticated
    (``"jwt"`` or ``"secret"``) or raise :class:`Refused`."""
    if key is None and not secret:
        raise Refused(
            "Jibri webhooks are off: neither RADA_RECORDING_JIBRI_WEBHOOK_PUBLIC_KEY nor "
            "RADA_RECORDING_JIBRI_WEBHOOK_SECRET is set",
            "jibri_webhook_disabled",
        )
    scheme, _, given = header.partition(" ")
    given = given.strip()
    if scheme.lower() != "bearer" or not given:
        raise Refused("the Jibri webhook carries no bearer credentials", "jibri_secret_refused")
    if key is not None and given.count(".") == 2:
        verify_jibri_token(given, key, now)
        return "jwt"
    if secret and hmac.compare_digest(given.encode(), secret.encode()):
        return "secret"
    raise Refused("the Jibri webhook bearer secret is missing or wrong", "jibri_secret_refused")
