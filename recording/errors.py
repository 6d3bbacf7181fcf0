"""Recording's domain errors (stable codes; the HTTP layer maps the base classes)."""

from __future__ import annotations

from orchestrator.kernel.errors import Conflict, DomainError


class RecordingError(DomainError):
    code = "recording_error"
    title = "Recording failed"


class StorageInsufficient(Conflict):
    """Free disk is below what the session's expected duration needs."""

    code = "recording_storage_insufficient"
    title = "Not enough free storage for the recording"


class NoIngestPort(Conflict):
    """Every port of the ingest pool is in use."""

    code = "recording_no_port"
    title = "No free recording port"


class JibriUnavailable(RecordingError):
    """No Jibri of the pool accepted the session (all busy, unhealthy or unreachable)."""

    code = "jibri_unavailable"
    title = "No Jibri available"
