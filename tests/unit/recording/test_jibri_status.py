"""Jibri's status webhook as pure rules, and the Jibri list setting that names each Jibri."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.kernel.errors import Invalid
from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.recording import RecordingSettings
from recording.jibri.status import journal_payload, parse_report, source_state


def body(busy: Any = "BUSY", health: Any = "HEALTHY") -> dict[str, Any]:
    return {"jibriId": "jibri-1",
            "status": {"busyStatus": busy, "health": {"healthStatus": health, "details": {}}}}  # fmt: skip


@pytest.mark.parametrize(
    ("busy", "health", "status", "failure"),
    [
        ("BUSY", "HEALTHY", "ON", None),
        ("IDLE", "HEALTHY", "OFF", None),
        ("EXPIRED", "HEALTHY", "OFF", None),
        ("BUSY", "UNHEALTHY", "ON", "unhealthy"),
        ("IDLE", "UNHEALTHY", "OFF", "unhealthy"),
    ],
)
def test_busy_status_and_health_map_to_jibri_status(
    busy: str, health: str, status: str, failure: str | None
) -> None:
    """BUSY → ON, IDLE/EXPIRED → OFF, UNHEALTHY → failure_reason; only ON and healthy is kept."""
    report = parse_report(body(busy, health))
    state = source_state(report)
    assert (state.status, state.failure_reason) == (status, failure)
    assert state.lost == (status == "OFF" or failure is not None)
    assert journal_payload(report, state) == {
        "status": status, "failure_reason": failure, "jibri": "jibri-1",
        "busy_status": busy, "health_status": health,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"jibriId": "", "status": body()["status"]}, "jibriId"),
        ({"jibriId": "x" * 201, "status": body()["status"]}, "jibriId"),
        ({"jibriId": "jibri-1"}, "status"),
        (body(busy="busy"), "status.busyStatus"),
        ({"jibriId": "j", "status": {"busyStatus": "IDLE", "health": "HEALTHY"}}, "status.health"),
        (body(health=None), "status.health.healthStatus"),
    ],
)
def test_a_malformed_report_names_its_field(bad: dict[str, Any], field: str) -> None:
    """Each wrong part of the body is refused with its dotted field name."""
    with pytest.raises(Invalid) as caught:
        parse_report(bad)
    assert caught.value.field == field


def test_jibri_urls_name_each_jibri_and_plain_urls_still_work() -> None:
    """``id=url`` names a Jibri for its webhooks; plain URLs keep working, in order."""
    settings = RecordingSettings.from_env(
        {
            "RADA_RECORDING_JIBRI_URLS": "jibri-1=http://j1:2222/, http://j2:2222?a=b,jibri-3=https://j3"
        }
    )
    assert settings.jibri_urls == ("http://j1:2222", "http://j2:2222?a=b", "https://j3")
    assert settings.jibri_ids == (("jibri-1", "http://j1:2222"), ("jibri-3", "https://j3"))
    assert settings.jibri_webhook_prefix == "/api/v1/jibri" and settings.jibri_webhook_secret == ""
    for wrong in ("a=http://x,a=http://y", "jibri-1=j1:2222"):
        with pytest.raises(SettingsError):
            RecordingSettings.from_env({"RADA_RECORDING_JIBRI_URLS": wrong})
    with pytest.raises(SettingsError):
        RecordingSettings.from_env({"RADA_RECORDING_JIBRI_WEBHOOK_PREFIX": "/api/v1/jibri/"})
    assert "secret" not in repr(
        RecordingSettings.from_env({"RADA_RECORDING_JIBRI_WEBHOOK_SECRET": "secret"})
    )
