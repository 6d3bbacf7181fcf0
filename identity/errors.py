"""Typed errors of the identity package (stable codes; the HTTP layer picks the status)."""

from __future__ import annotations

from orchestrator.kernel.errors import Conflict, Forbidden, TooManyRequests, Unauthorized


class TokenRefused(Unauthorized):
    """A Jitsi token fails Prosody's rules (``reason`` names the rule, never the token)."""

    code = "jitsi_token_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(f"jitsi token refused: {reason}", reason=reason)
        self.reason = reason


class LinkRefused(Unauthorized):
    """A personal link is unknown, expired or revoked (the caller is not told which)."""

    code = "link_refused"


class LinkRateLimited(TooManyRequests):
    """Too many wrong personal links from one address."""

    code = "link_rate_limited"


class CsrfRefused(Forbidden):
    """A state-changing request with the sign-in cookie lacks a matching CSRF token or Origin."""

    code = "csrf_refused"


class OutsideSessionWindow(Conflict):
    """No Jitsi token before the session's window opens or after it closes."""

    code = "outside_session_window"


class EventSecretRefused(Unauthorized):
    """A Prosody webhook without the shared event_sync bearer secret."""

    code = "event_secret_refused"
