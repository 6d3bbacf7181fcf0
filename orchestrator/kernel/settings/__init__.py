"""Settings: one aggregate of frozen sections, read once from ``RADA_*`` variables at start-up.

``Settings.from_env`` is the only reader of the environment (STYLE: settings, after
pypa/warehouse ``config.py``): each section validates itself when built, so a malformed variable
stops start-up with a message naming it. Features read their section from ``app[SETTINGS]``.
What the environment leaves to rada to generate (the administrator key, the HS256 Jitsi
secret) is filled in by ``first_start.complete`` before the app is built. Every variable is
listed in the README's configuration table. Secrets use ``repr=False``.
"""

from __future__ import annotations

import os
import re
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from orchestrator.kernel.settings.identity import JitsiSettings, SignInSettings, SmtpSettings
from orchestrator.kernel.settings.live import LiveSettings
from orchestrator.kernel.settings.recording import RecordingSettings
from orchestrator.kernel.settings.values import SettingsError, env_bool

__all__ = [
    "ConductSettings",
    "DatabaseSettings",
    "HttpSettings",
    "JitsiSettings",
    "LiveSettings",
    "LogSettings",
    "RecordingSettings",
    "Settings",
    "SettingsError",
    "SignInSettings",
    "SmtpSettings",
    "env_bool",
]


def _int(env: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise SettingsError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise SettingsError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """``RADA_DATABASE_URL`` unset means: start an embedded PostgreSQL in the data folder."""

    url: str | None = field(default=None, repr=False)
    pool_min: int = 1
    pool_max: int = 10

    @property
    def embedded(self) -> bool:
        return self.url is None


@dataclass(frozen=True, slots=True)
class HttpSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = "http://127.0.0.1:8080"
    max_upload_bytes: int = 25 * 1024 * 1024
    # origins whose pages may frame the embeddable player (``RADA_EMBED_ORIGINS``, space or
    # comma separated, e.g. the council's website); none: only rada's own pages may
    embed_origins: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogSettings:
    format: str = "auto"  # auto | json | console
    level: str = "info"


@dataclass(frozen=True, slots=True)
class ConductSettings:
    """``RADA_RECORDING_REQUIRED`` (default true): items, votes, answers and resumption need the
    recorder to be *receiving* (R9). False only where no recorder is configured (a rehearsal
    without media); a *lost* recording blocks them regardless."""

    recording_required: bool = True
    # the legal timing of the opening: not earlier than this before the announced start
    # (``RADA_OPEN_EARLY_MINUTES``), nor later than this after it without announcing it again
    # (``RADA_OPEN_LATE_MINUTES``): the notice named the time (R3)
    open_early_minutes: int = 15
    open_late_minutes: int = 60


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything rada is configured with, one section per concern."""

    data_dir: Path
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    log: LogSettings = field(default_factory=LogSettings)
    conduct: ConductSettings = field(default_factory=ConductSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    jitsi: JitsiSettings = field(default_factory=JitsiSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    signin: SignInSettings = field(default_factory=SignInSettings)
    recording: RecordingSettings = field(default_factory=RecordingSettings)
    admin_token: str = field(default="", repr=False)

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        defaults: Mapping[str, str] | None = None,
    ) -> Settings:
        """Read every section from ``env`` (the process environment when omitted).

        ``overrides`` win over the environment (the command line's ``--host``, ``--port``);
        ``defaults`` apply only to variables the environment does not set (a one-shot command
        logs warnings unless ``RADA_LOG_LEVEL`` says otherwise)."""
        env = os.environ if env is None else env
        if overrides or defaults:
            env = ChainMap(dict(overrides or {}), dict(env), dict(defaults or {}))
        data_dir = Path(env.get("RADA_DATA_DIR") or platformdirs.user_data_dir("rada")).expanduser()
        host = env.get("RADA_HOST") or "127.0.0.1"
        port = _int(env, "RADA_PORT", 8080, 1, 65535)
        public_url = (env.get("RADA_PUBLIC_URL") or f"http://{host}:{port}").rstrip("/")
        if not public_url.startswith(("http://", "https://")):
            raise SettingsError("RADA_PUBLIC_URL must start with http:// or https://")
        admin_token = env.get("RADA_ADMIN_TOKEN", "")
        if admin_token and len(admin_token) < 16:
            raise SettingsError("RADA_ADMIN_TOKEN must be at least 16 characters long")
        return cls(
            data_dir=data_dir,
            database=DatabaseSettings(
                url=env.get("RADA_DATABASE_URL") or None,
                pool_min=_int(env, "RADA_DATABASE_POOL_MIN", 1, 1, 100),
                pool_max=_int(env, "RADA_DATABASE_POOL_MAX", 10, 1, 500),
            ),
            http=HttpSettings(
                host=host,
                port=port,
                public_url=public_url,
                max_upload_bytes=_int(
                    env, "RADA_MAX_UPLOAD_BYTES", 25 * 1024 * 1024, 1024, 2 * 1024**3
                ),
                embed_origins=_origins(env.get("RADA_EMBED_ORIGINS", "")),
            ),
            log=LogSettings(
                format=_choice(env, "RADA_LOG_FORMAT", "auto", ("auto", "json", "console")),
                level=_choice(env, "RADA_LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
            ),
            conduct=ConductSettings(
                recording_required=env_bool(env, "RADA_RECORDING_REQUIRED", default=True),
                open_early_minutes=_int(env, "RADA_OPEN_EARLY_MINUTES", 15, 0, 7 * 24 * 60),
                open_late_minutes=_int(env, "RADA_OPEN_LATE_MINUTES", 60, 0, 7 * 24 * 60),
            ),
            live=LiveSettings.from_env(env),
            jitsi=JitsiSettings.from_env(env),
            smtp=SmtpSettings.from_env(env),
            signin=SignInSettings.from_env(env),
            recording=RecordingSettings.from_env(env),
            admin_token=admin_token,
        )


_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?$")


def _origins(raw: str) -> tuple[str, ...]:
    """``RADA_EMBED_ORIGINS``: scheme, host and optional port each, nothing else (they go into
    a Content-Security-Policy, where a path, a wildcard or a quote would mean something else)."""
    origins = tuple(o.rstrip("/") for o in re.split(r"[\s,]+", raw.strip()) if o)
    for origin in origins:
        if not _ORIGIN.match(origin):
            raise SettingsError(
                f"RADA_EMBED_ORIGINS: {origin!r} is not an origin (https://host or https://host:port)"
            )
    return origins
