"""Jibri's status webhook, as pure rules: validate the report and map it to rada's journal.

Jibri POSTs ``{subscriber}/v1/status`` every minute and on every change (jitsi/jibri
``doc/webhooks.md``) with ``{"jibriId": str, "status": {"busyStatus": "IDLE|BUSY|EXPIRED",
"health": {"healthStatus": "HEALTHY|UNHEALTHY", "details": {...}}}}``. The report names no
session: rada knows which Jibri it started for which session (``jibri_assignments``).
BUSY is the recording source ON; IDLE or EXPIRED is OFF (Jibri left the call); UNHEALTHY is a
failure whatever the busy status. Either (OFF or a failure) while the session is recorded
means the source must be restarted at once (R9: the recording is part of the protocol).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.kernel.errors import Invalid

BUSY_STATUSES = frozenset({"IDLE", "BUSY", "EXPIRED"})
HEALTH_STATUSES = frozenset({"HEALTHY", "UNHEALTHY"})
MAX_ID = 200
UNHEALTHY = "unhealthy"


@dataclass(frozen=True, slots=True)
class StatusReport:
    jibri_id: str
    busy_status: str
    health_status: str


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the journal records of a Jibri for its session: ``jibri_status`` ``status`` and
    ``failure_reason``."""

    status: str  # ON | OFF
    failure_reason: str | None

    @property
    def lost(self) -> bool:
        """The source no longer pushes a healthy stream: restart it."""
        return self.status == "OFF" or self.failure_reason is not None


def parse_report(body: Mapping[str, Any]) -> StatusReport:
    """Validate a webhook body; :class:`Invalid` names the first wrong field."""
    jibri_id = body.get("jibriId")
    if not isinstance(jibri_id, str) or not jibri_id.strip() or len(jibri_id) > MAX_ID:
        raise Invalid(f"jibriId must be a string of 1..{MAX_ID} characters", field="jibriId")
    status = body.get("status")
    if not isinstance(status, dict):
        raise Invalid("status must be an object", field="status")
    busy = status.get("busyStatus")
    if busy not in BUSY_STATUSES:
        raise Invalid(
            f"busyStatus must be one of {sorted(BUSY_STATUSES)}", field="status.busyStatus"
        )
    health = status.get("health")
    if not isinstance(health, dict):
        raise Invalid("health must be an object", field="status.health")
    health_status = health.get("healthStatus")
    if health_status not in HEALTH_STATUSES:
        raise Invalid(
            f"healthStatus must be one of {sorted(HEALTH_STATUSES)}",
            field="status.health.healthStatus",
        )
    if not isinstance(health.get("details", {}), dict):
        raise Invalid("details must be an object", field="status.health.details")
    return StatusReport(jibri_id.strip(), str(busy), str(health_status))


def source_state(report: StatusReport) -> SourceState:
    """BUSY → ON, IDLE/EXPIRED → OFF; UNHEALTHY → ``failure_reason`` ``unhealthy``."""
    return SourceState(
        "ON" if report.busy_status == "BUSY" else "OFF",
        UNHEALTHY if report.health_status == "UNHEALTHY" else None,
    )


def journal_payload(report: StatusReport, state: SourceState) -> dict[str, Any]:
    """The ``jibri_status`` payload (no health details: the journal is public)."""
    return {
        "status": state.status,
        "failure_reason": state.failure_reason,
        "jibri": report.jibri_id,
        "busy_status": report.busy_status,
        "health_status": report.health_status,
    }
