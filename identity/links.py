"""Personal links (R4, R12): one unguessable token per participant and session.

Pure rules. The token (256 random bits, URL-safe) goes only into the e-mail to the official
address in the participant list; rada stores only its SHA-256, so a database leak opens no
session. A link has one purpose (``join``: sign this participant into this session), expires
after the session's planned end plus a grace period, and is revoked at once by the admin.

"Single-purpose" here means: the link does exactly one thing, for one person and one session.
It may be opened again by the same person until it expires (people lose tabs, phones restart
mid-session); each opening replaces that person's previous browser sign-in, so a forwarded
link that is used by someone else logs the rightful holder out and the takeover is visible.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

TOKEN_BYTES = 32  # 256 bits
EXPIRY_GRACE = timedelta(hours=48)
"""How long after the planned end a link still works: the session may overrun its plan (it may
be planned for at most 24 hours), and the protocol is finalised, signed and confirmed through the
same sign-in within 24 hours of the end (R18, R19)."""


class Purpose(StrEnum):
    """What a link does; ``join`` is the only purpose (stored so that others cannot be
    confused with it later)."""

    JOIN = "join"


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A fresh link: ``token`` is shown once (in the e-mail), ``digest`` is what is stored."""

    token: str
    digest: bytes
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class StoredLink:
    """A link as the store keeps it."""

    digest: bytes
    session_id: UUID
    participant_id: UUID
    purpose: Purpose
    expires_at: datetime
    revoked_at: datetime | None = None


class LinkState(StrEnum):
    VALID = "valid"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"


def digest(token: str) -> bytes:
    """The SHA-256 of a presented secret (a personal link's token, a sign-in cookie), the only
    form rada stores."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def looks_like_token(token: str) -> bool:
    """Cheap shape check before any lookup (URL-safe base64 of 32 bytes is 43 characters)."""
    return len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)


def expiry_for(planned_end: datetime) -> datetime:
    """When a link for a session planned to end at ``planned_end`` stops working."""
    return planned_end + EXPIRY_GRACE


def issue(planned_end: datetime) -> IssuedLink:
    """A new link for a session planned to end at ``planned_end``."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return IssuedLink(token=token, digest=digest(token), expires_at=expiry_for(planned_end))


def check(stored: StoredLink | None, presented: str, now: datetime) -> LinkState:
    """What ``presented`` is worth against the stored link looked up by its digest.

    The digest comparison is constant-time (``hmac.compare_digest``) even though the lookup
    already matched on it, so no timing of this function depends on how much of it matched.
    """
    if stored is None or not hmac.compare_digest(stored.digest, digest(presented)):
        return LinkState.UNKNOWN
    if stored.revoked_at is not None and stored.revoked_at <= now:
        return LinkState.REVOKED
    if now >= stored.expires_at:
        return LinkState.EXPIRED
    return LinkState.VALID
