"""Recording's lines in ``rada check``: its settings, disk headroom, and each recorder's state."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from orchestrator.kernel import database
from orchestrator.kernel.settings import Settings, SettingsError
from orchestrator.kernel.settings.recording import RecordingSettings
from recording import store
from recording.jibri.auth import load_token_key
from recording.storage import replica


def check_lines(settings: Settings) -> list[str]:
    """What ``rada check`` prints about recording (never raises: it is a diagnostic)."""
    recording = settings.recording
    root = settings.data_dir / "media"
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    hours = free / recording.bytes_per_second / 3600
    ports = recording.ports
    transport = "SRT (UDP)" if recording.ingest == "srt" else "RTMP (TCP)"
    lines = [
        f"recording: {'enabled' if recording.enabled else 'DISABLED'}, {transport} ports "
        f"{ports[0]}-{ports[-1]} ({len(ports)}), stall {recording.stall_seconds:g} s, "
        f"{free / 1024**3:.1f} GiB free = {hours:.1f} h at {recording.bitrate_kbps} kbps",
        "jibri: "
        + (", ".join(recording.jibri_urls) or "none configured (streams pushed directly)"),
        webhook_line(recording),
        _storage_line(recording, root),
    ]
    try:
        rows = asyncio.run(_statuses(settings))
    except (OSError, asyncpg.PostgresError, database.SchemaError) as exc:
        return [*lines, f"recorders: unknown ({exc})"]
    now = datetime.now(UTC)
    for row in rows:
        state = "receiving" if row.receiving else "NOT receiving"
        if row.lost_since is not None:
            state = f"lost since {row.lost_since.isoformat(timespec='seconds')}"
        age = (now - row.updated_at).total_seconds()
        lines.append(
            f"recorder {row.session_id}: {state}, part {row.part or '-'}, {row.parts} closed, "
            f"{row.bitrate_kbps or 0} kbps, port {row.ingest_port}, by {row.instance}, "
            f"reported {age:.0f} s ago"
        )
    if not rows:
        lines.append("recorders: none running")
    return lines


def webhook_line(recording: RecordingSettings) -> str:
    """How Jibri's status webhooks are authenticated, and whether the key file loads."""
    try:
        key = load_token_key(recording)
    except SettingsError as exc:
        return f"jibri webhooks: FAILED: {exc}"
    ways = (
        [f"Jibri's RS256 JWT (kid {key.kid}, iss {key.issuer}, aud {key.audience})"] if key else []
    )
    if recording.jibri_webhook_secret:
        ways.append("a proxy's bearer secret")
    return "jibri webhooks: " + (" or ".join(ways) or "OFF (every report refused)")


def _storage_line(recording: RecordingSettings, root: Path) -> str:
    """Where the archive is kept; for S3, whether the bucket answers and what is still owed."""
    if recording.storage != "s3":
        return f"storage: local folder {root}"
    config = replica.s3_config(recording)
    state = asyncio.run(replica.reachable(config))
    pending = replica.pending_uploads(root)
    return f"storage: local folder + S3 {config.target} ({state}), {pending} upload(s) pending"


async def _statuses(settings: Settings) -> list[store.StatusRow]:
    async with database.open_database(settings.database, settings.data_dir) as url:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            if await conn.fetchval("SELECT to_regclass('recording_status') IS NULL"):
                return []
            return await store.load_statuses(conn)
        finally:
            await conn.close()
