"""Settings read once from ``RADA_*`` at start-up (STYLE: settings)."""

import pytest

from orchestrator.kernel.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("raw", "required"),
    [(None, True), ("", True), ("true", True), ("YES", True), ("1", True), ("false", False),
     ("no", False), ("0", False)],
)  # fmt: skip
def test_recording_required_is_read_once_with_the_other_settings(tmp_path, raw, required):
    """RADA_RECORDING_REQUIRED defaults to true (R9) and reads the usual boolean spellings."""
    env = {"RADA_DATA_DIR": str(tmp_path)}
    if raw is not None:
        env["RADA_RECORDING_REQUIRED"] = raw
    assert Settings.from_env(env).conduct.recording_required is required


def test_recording_required_refuses_anything_else(tmp_path):
    """A misspelt RADA_RECORDING_REQUIRED stops start-up with the variable's name."""
    env = {"RADA_DATA_DIR": str(tmp_path), "RADA_RECORDING_REQUIRED": "maybe"}
    with pytest.raises(SettingsError, match="RADA_RECORDING_REQUIRED must be true or false"):
        Settings.from_env(env)
