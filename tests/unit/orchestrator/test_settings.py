"""Settings read once from ``RADA_*`` at start-up (STYLE: settings)."""

import pytest

from orchestrator.kernel.settings import Settings, SettingsError, first_start


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


def test_one_reader_fills_every_section(tmp_path):
    """Settings.from_env reads the identity and recording sections with the core ones."""
    env = {
        "RADA_DATA_DIR": str(tmp_path),
        "RADA_JITSI_DOMAIN": "meet.rada.test",
        "RADA_SMTP_HOST": "smtp.rada.test",
        "RADA_TRUSTED_PROXIES": "10.0.0.2",
        "RADA_RECORDING_ENABLED": "0",
        "RADA_FFMPEG": "/opt/ffmpeg",
    }
    settings = Settings.from_env(env)
    assert settings.jitsi.domain == "meet.rada.test" and settings.jitsi.secret_pending
    assert settings.smtp.configured and settings.signin.trusted_proxies == ("10.0.0.2",)
    assert not settings.recording.enabled and settings.recording.ffmpeg == "/opt/ffmpeg"


def test_command_line_options_win_and_defaults_yield(tmp_path):
    """--host/--port override RADA_HOST/RADA_PORT (and the derived public URL); a default
    such as a one-shot command's log level applies only when the variable is unset."""
    env = {"RADA_DATA_DIR": str(tmp_path), "RADA_PORT": "8000", "RADA_LOG_LEVEL": "debug"}
    settings = Settings.from_env(
        env, overrides={"RADA_PORT": "9000"}, defaults={"RADA_LOG_LEVEL": "warning"}
    )
    assert settings.http.public_url == "http://127.0.0.1:9000"
    assert settings.log.level == "debug"
    quiet = Settings.from_env(
        {"RADA_DATA_DIR": str(tmp_path)}, defaults={"RADA_LOG_LEVEL": "warning"}
    )
    assert quiet.log.level == "warning"


def test_first_start_generates_and_keeps_the_secrets(tmp_path):
    """With neither RADA_ADMIN_TOKEN nor RADA_JITSI_APP_SECRET, the first start writes both into
    0600 files in the data folder, and every later start reads the same ones."""
    settings = Settings.from_env({"RADA_DATA_DIR": str(tmp_path)})
    first, generated = first_start.complete(settings)
    assert generated.admin_token == tmp_path / "admin-token"
    assert generated.jitsi_secret == tmp_path / "jitsi-app-secret"
    for path in (generated.admin_token, generated.jitsi_secret):
        assert path.stat().st_mode & 0o777 == 0o600
    assert first.admin_token and not first.jitsi.secret_pending
    again, _ = first_start.complete(settings)
    assert (again.admin_token, again.jitsi.app_secret) == (
        first.admin_token,
        first.jitsi.app_secret,
    )


def test_first_start_keeps_what_the_environment_sets(tmp_path):
    """Values set in the environment are used as they are; nothing is written."""
    env = {
        "RADA_DATA_DIR": str(tmp_path / "data"),
        "RADA_ADMIN_TOKEN": "a" * 20,
        "RADA_JITSI_APP_SECRET": "s" * 40,
    }
    settings, generated = first_start.complete(Settings.from_env(env))
    assert generated == first_start.Generated()
    assert (settings.admin_token, settings.jitsi.app_secret) == ("a" * 20, "s" * 40)
    assert not (tmp_path / "data").exists()


def test_embed_origins_are_origins_only(tmp_path):
    """RADA_EMBED_ORIGINS: none by default; origins split on spaces or commas, a trailing
    slash dropped; a path, a wildcard or a quote (CSP syntax) stops start-up."""
    env = {"RADA_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env).http.embed_origins == ()
    env["RADA_EMBED_ORIGINS"] = "https://rada.example.gov.ua/, http://localhost:8000  https://a.b"
    assert Settings.from_env(env).http.embed_origins == (
        "https://rada.example.gov.ua",
        "http://localhost:8000",
        "https://a.b",
    )
    for bad in ("https://*.example", "https://x.ua/path", "'self'", "rada.example", "*"):
        with pytest.raises(SettingsError, match="RADA_EMBED_ORIGINS"):
            Settings.from_env({**env, "RADA_EMBED_ORIGINS": bad})
