"""The one start-up step that fills in what the environment leaves to rada to generate.

With no ``RADA_ADMIN_TOKEN`` write endpoints are still never open: rada makes an administrator
key. With HS256 and no ``RADA_JITSI_APP_SECRET`` rada makes the Jitsi secret (Prosody must then
be given the same one). Each is kept in a 0600 file in the data folder, so every later start
finds the same value. ``rada serve`` runs this before the app is built; features never write
settings of their own.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from orchestrator.kernel.settings import Settings

ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105 - a file name, not a secret
JITSI_SECRET_FILE = "jitsi-app-secret"  # noqa: S105 - a file name, not a secret


@dataclass(frozen=True, slots=True)
class Generated:
    """The files the settings were completed from (``None``: the environment set the value)."""

    admin_token: Path | None = None
    jitsi_secret: Path | None = None


def complete(settings: Settings) -> tuple[Settings, Generated]:
    """``settings`` with the administrator key and the HS256 Jitsi secret filled in, creating
    their files on the first start. A kept Jitsi secret is validated like one from the
    environment (``SettingsError`` if it is too short)."""
    admin_file = jitsi_file = None
    if not settings.admin_token:
        admin_file = settings.data_dir / ADMIN_TOKEN_FILE
        settings = replace(settings, admin_token=_kept_secret(admin_file, 32))
    if settings.jitsi.secret_pending:
        jitsi_file = settings.data_dir / JITSI_SECRET_FILE
        jitsi = replace(settings.jitsi, app_secret=_kept_secret(jitsi_file, 48))
        settings = replace(settings, jitsi=jitsi)
    return settings, Generated(admin_file, jitsi_file)


def _kept_secret(path: Path, nbytes: int) -> str:
    """The secret in ``path``, written there (0600, never overwritten) if it does not exist."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(nbytes))
    return path.read_text().strip()
