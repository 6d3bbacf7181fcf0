"""Typed domain errors. Each has a stable ``code``; the HTTP layer maps the class to a status.

Raise the most specific class; subclass in a package's own ``errors.py`` with a fixed ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every error rada reports to a caller."""

    code: ClassVar[str] = "domain_error"
    title: ClassVar[str] = "Request refused"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.field = field
        self.errors = list(errors or [])
        self.extra = extra


class Invalid(DomainError):
    """The input is malformed or breaks a rule about its own content (422)."""

    code = "invalid_input"
    title = "Invalid input"


class RuleViolation(Invalid):
    """The input is well-formed but a regulation forbids it (422), e.g. R1, R2, R3."""

    code = "rule_violation"
    title = "Refused by the council's rules"


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The act does not fit the current state (409), e.g. a vote already closed."""

    code = "conflict"
    title = "Conflict with the current state"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed"


class TooManyRequests(DomainError):
    code = "rate_limited"
    title = "Too many requests"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"
    title = "Payload too large"


class Unavailable(DomainError):
    """A dependency (database, storage, recorder) cannot serve now (503)."""

    code = "unavailable"
    title = "Service unavailable"


class DatabaseUnavailable(Unavailable):
    """PostgreSQL cannot be reached or is restarting (503 with ``Retry-After``): the request may
    be sent again; nothing of it was committed unless its answer said so."""

    code = "database_unavailable"
    title = "Database unavailable"
