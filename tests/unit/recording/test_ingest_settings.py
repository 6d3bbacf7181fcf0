"""``RADA_RECORDING_INGEST``: RTMP by default, SRT as an option, never SRT with Jibri."""

from __future__ import annotations

import pytest

from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.recording import RecordingSettings


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "rtmp"), ("rtmp", "rtmp"), ("srt", "srt"), (" SRT ", "srt"), ("", "rtmp")],
)
def test_ingest_is_read_from_the_environment(value: str | None, expected: str) -> None:
    """Unset or blank keeps RTMP; the value is read case-insensitively."""
    environ = {} if value is None else {"RADA_RECORDING_INGEST": value}
    assert RecordingSettings.from_env(environ).ingest == expected


@pytest.mark.parametrize("value", ["rist", "srt://", "udp"])
def test_an_unknown_ingest_is_refused(value: str) -> None:
    """Anything but rtmp or srt stops start-up, naming the variable and the value."""
    with pytest.raises(SettingsError, match=f"RADA_RECORDING_INGEST must be rtmp or srt.*{value}"):
        RecordingSettings.from_env({"RADA_RECORDING_INGEST": value})


def test_srt_with_jibri_is_refused() -> None:
    """Jibri pushes RTMP only: SRT ingest with Jibri URLs configured stops start-up."""
    environ = {"RADA_RECORDING_INGEST": "srt", "RADA_RECORDING_JIBRI_URLS": "http://jibri:2222"}
    with pytest.raises(SettingsError, match="Jibri pushes RTMP only"):
        RecordingSettings.from_env(environ)
    del environ["RADA_RECORDING_INGEST"]
    assert RecordingSettings.from_env(environ).jibri_urls == ("http://jibri:2222",)


def test_srt_with_the_simulated_call_is_allowed() -> None:
    """The simulated call pushes MPEG-TS over SRT when the ingest is SRT."""
    settings = RecordingSettings.from_env(
        {"RADA_RECORDING_INGEST": "srt", "RADA_RECORDING_SIMULATED_CALL": "1"}
    )
    assert (settings.ingest, settings.simulated_call) == ("srt", True)
