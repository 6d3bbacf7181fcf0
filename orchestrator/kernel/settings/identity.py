"""The identity sections of the settings: Jitsi, e-mail, sign-in (``RADA_JITSI_*``,
``RADA_SMTP_*``, ``RADA_TRUSTED_PROXIES``).

One frozen dataclass per section that validates itself when built, secrets ``repr=False``;
``Settings.from_env`` reads them once at start-up (STYLE: settings). The Jitsi variable names
match ``deploy/jitsi.env.example``, which maps each of them onto the docker-jitsi-meet variable
Prosody reads (e.g. ``RADA_JITSI_APP_SECRET=${JWT_APP_SECRET}``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.kernel.settings.values import SettingsError, env_bool

SUPPORTED_ALGORITHMS = ("HS256", "RS256")
MIN_SECRET_BYTES = 32  # HS256 keys shorter than the hash are guessable (RFC 7518 §3.2)


def _items(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer") from None


@dataclass(frozen=True, slots=True)
class JitsiSettings:
    """How rada talks to Jitsi Meet: the token it issues and the webhooks it accepts."""

    domain: str = "meet.example.org"
    """Public web domain of Jitsi Meet, where ``external_api.js`` is served."""
    xmpp_domain: str = "meet.jitsi"
    """Prosody's XMPP domain (docker-jitsi-meet ``XMPP_DOMAIN``): the token's ``sub``."""
    app_id: str = "rada"
    """``JWT_APP_ID``: the ``iss`` rada writes; must be one of ``accepted_issuers``."""
    app_secret: str = field(default="", repr=False)
    """``JWT_APP_SECRET`` for HS256 (empty when RS256 is used). Empty with HS256 until the first
    start generates one (``settings.first_start``): see :attr:`secret_pending`."""
    accepted_issuers: tuple[str, ...] = ("rada",)
    accepted_audiences: tuple[str, ...] = ("rada",)
    """The first one is the ``aud`` rada writes."""
    algorithm: str = "HS256"
    kid: str = ""
    """RS256 only: the key id; Prosody fetches ``<asap_key_server>/<sha256(kid)>.pem``."""
    private_key_path: Path | None = None
    asap_key_path: str = "/asap"
    """Path under rada's public URL where the RS256 public key is served."""
    event_secret: str = field(default="", repr=False)
    """Bearer secret that Prosody's ``event_sync_component`` sends with each webhook."""
    events_prefix: str = "/api/v1/jitsi"
    """``api_prefix`` of the event_sync component: rada answers ``{prefix}/events/...``."""
    not_before_leeway: int = 60
    """Seconds ``nbf`` lies in the past (Prosody allows no clock skew)."""
    early_join: int = 3600
    """Seconds before the planned start from which tokens are issued."""
    end_margin: int = 3 * 3600
    """Seconds after the planned end until which tokens are issued for a session that has not
    opened; once it is open, tokens are issued until it closes (a sitting may overrun)."""
    token_lifetime: int = 900
    """Seconds a Jitsi token lives (``exp``). Short, so that a revoked participant's token dies
    within minutes; the participant's page fetches a fresh one before this runs out, and a
    reconnect uses the freshest (Prosody checks a token when a connection authenticates)."""
    token_email: bool = False
    """Put the official e-mail in ``context.user.email``. Prosody's presence_identity passes the
    token's user fields to every occupant, press included, so by default the token carries an
    empty string (Prosody only needs a string); ``RADA_JITSI_TOKEN_EMAIL=true`` puts it in."""

    kick_url: str = ""
    """Prosody's ``mod_muc_kick_participant`` endpoint (``http://prosody:5280/kick-participant``):
    when set, a revoked participant is removed from the call at once. Prosody verifies rada's
    request token against its ``prosody_password_public_key_repo_url``, so this needs RS256."""

    def __post_init__(self) -> None:
        self._validate()

    @property
    def audience(self) -> str:
        return self.accepted_audiences[0]

    @property
    def secret_pending(self) -> bool:
        """HS256 with no ``RADA_JITSI_APP_SECRET``: the first start generates the secret."""
        return self.algorithm == "HS256" and not self.app_secret

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> JitsiSettings:
        """Read ``RADA_JITSI_*``; building the section validates it."""
        app_id = env.get("RADA_JITSI_APP_ID", "rada").strip()
        key_path = env.get("RADA_JITSI_PRIVATE_KEY_PATH", "").strip()
        return cls(
            domain=env.get("RADA_JITSI_DOMAIN", "meet.example.org").strip(),
            xmpp_domain=env.get("RADA_JITSI_XMPP_DOMAIN", "meet.jitsi").strip(),
            app_id=app_id,
            app_secret=env.get("RADA_JITSI_APP_SECRET", ""),
            accepted_issuers=_items(env.get("RADA_JITSI_ACCEPTED_ISSUERS", "")) or (app_id,),
            accepted_audiences=_items(env.get("RADA_JITSI_ACCEPTED_AUDIENCES", "")) or (app_id,),
            algorithm=env.get("RADA_JITSI_ALG", "HS256").strip(),
            kid=env.get("RADA_JITSI_KID", "").strip(),
            private_key_path=Path(key_path) if key_path else None,
            asap_key_path="/" + env.get("RADA_JITSI_ASAP_KEY_PATH", "/asap").strip().strip("/"),
            event_secret=env.get("RADA_JITSI_EVENT_SECRET", ""),
            events_prefix="/"
            + env.get("RADA_JITSI_EVENTS_PREFIX", "/api/v1/jitsi").strip().strip("/"),
            not_before_leeway=_int(env, "RADA_JITSI_NBF_LEEWAY", 60),
            early_join=_int(env, "RADA_JITSI_EARLY_JOIN", 3600),
            end_margin=_int(env, "RADA_JITSI_END_MARGIN", 3 * 3600),
            token_lifetime=_int(env, "RADA_JITSI_TOKEN_LIFETIME", 900),
            token_email=env_bool(env, "RADA_JITSI_TOKEN_EMAIL", default=False),
            kick_url=env.get("RADA_JITSI_KICK_URL", "").strip(),
        )

    def _validate(self) -> None:
        """Refuse settings Prosody would reject or that would make tokens forgeable (an empty
        HS256 secret is :attr:`secret_pending`, filled in before any token is issued)."""
        if self.algorithm not in SUPPORTED_ALGORITHMS:
            raise SettingsError(f"RADA_JITSI_ALG must be one of {', '.join(SUPPORTED_ALGORITHMS)}")
        if not self.domain or not self.xmpp_domain or not self.app_id:
            raise SettingsError("RADA_JITSI_DOMAIN, _XMPP_DOMAIN and _APP_ID must be set")
        if self.app_id not in self.accepted_issuers:
            raise SettingsError("RADA_JITSI_APP_ID must be one of RADA_JITSI_ACCEPTED_ISSUERS")
        if self.algorithm == "HS256" and 0 < len(self.app_secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"RADA_JITSI_APP_SECRET must be at least {MIN_SECRET_BYTES} bytes for HS256"
            )
        if self.algorithm == "RS256" and (not self.kid or self.private_key_path is None):
            raise SettingsError(
                "RADA_JITSI_KID and RADA_JITSI_PRIVATE_KEY_PATH are needed for RS256"
            )
        if min(self.not_before_leeway, self.early_join, self.end_margin) < 0:
            raise SettingsError("RADA_JITSI_* durations must not be negative")
        if self.kick_url and (
            self.algorithm != "RS256" or not self.kick_url.startswith(("http://", "https://"))
        ):
            raise SettingsError(
                "RADA_JITSI_KICK_URL must be an http(s) URL and needs RADA_JITSI_ALG=RS256 "
                "(Prosody checks the kick request's token against public keys)"
            )
        if not 120 <= self.token_lifetime <= 86400:
            raise SettingsError("RADA_JITSI_TOKEN_LIFETIME must be 120..86400 seconds")


@dataclass(frozen=True, slots=True)
class SignInSettings:
    """How rada sees the browser that opens a personal link."""

    trusted_proxies: tuple[str, ...] = ()
    """Addresses of reverse proxies whose ``X-Forwarded-For`` names the real client. Behind a
    proxy and without this, every browser shares the proxy's address, so one person's wrong
    links would rate-limit everyone."""

    def __post_init__(self) -> None:
        for address in self.trusted_proxies:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise SettingsError(
                    f"RADA_TRUSTED_PROXIES must list IP addresses, not {address!r}"
                ) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SignInSettings:
        """Read ``RADA_TRUSTED_PROXIES`` (comma-separated IP addresses)."""
        return cls(trusted_proxies=_items(env.get("RADA_TRUSTED_PROXIES", "")))

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client: the peer, or, when the peer is a trusted proxy, the last address in
        ``X-Forwarded-For`` that is not itself a trusted proxy."""
        address = peer or "unknown"
        if address not in self.trusted_proxies or not forwarded_for:
            return address
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if hop not in self.trusted_proxies:
                return hop
        return address


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The SMTP relay that carries convening notices to official e-mail addresses (R4, R12)."""

    host: str = "localhost"
    port: int = 587
    sender: str = "rada@localhost"
    username: str = ""
    password: str = field(default="", repr=False)
    security: str = "starttls"
    """``starttls``, ``tls`` (implicit, port 465) or ``none`` (a local relay only)."""
    timeout: int = 30
    max_attempts: int = 4
    backoff_seconds: float = 2.0
    """First retry delay; each next one doubles."""
    configured: bool = False
    """False when ``RADA_SMTP_HOST`` is unset: notices stay queued (visible as such) and no
    sender runs, rather than mailing a relay nobody configured."""

    def __post_init__(self) -> None:
        if self.security not in ("starttls", "tls", "none"):
            raise SettingsError("RADA_SMTP_SECURITY must be starttls, tls or none")
        if not self.host or "@" not in self.sender:
            raise SettingsError("RADA_SMTP_HOST and an e-mail RADA_SMTP_SENDER must be set")
        if self.max_attempts < 1 or self.backoff_seconds < 0 or self.timeout < 1:
            raise SettingsError("RADA_SMTP_MAX_ATTEMPTS ≥ 1, _BACKOFF_SECONDS ≥ 0, _TIMEOUT ≥ 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """Read ``RADA_SMTP_*``; building the section validates it."""
        security = env.get("RADA_SMTP_SECURITY", "starttls").strip().lower()
        raw_backoff = env.get("RADA_SMTP_BACKOFF_SECONDS", "2").strip()
        try:
            backoff = float(raw_backoff)
        except ValueError:
            raise SettingsError("RADA_SMTP_BACKOFF_SECONDS must be a number") from None
        return cls(
            host=env.get("RADA_SMTP_HOST", "localhost").strip(),
            port=_int(env, "RADA_SMTP_PORT", 465 if security == "tls" else 587),
            sender=env.get("RADA_SMTP_SENDER", "rada@localhost").strip(),
            username=env.get("RADA_SMTP_USERNAME", "").strip(),
            password=env.get("RADA_SMTP_PASSWORD", ""),
            security=security,
            timeout=_int(env, "RADA_SMTP_TIMEOUT", 30),
            max_attempts=_int(env, "RADA_SMTP_MAX_ATTEMPTS", 4),
            backoff_seconds=backoff,
            configured=bool(env.get("RADA_SMTP_HOST", "").strip()),
        )
