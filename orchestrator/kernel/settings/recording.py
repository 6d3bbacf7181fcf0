"""The recording section of the settings, read once from ``RADA_RECORDING_*`` (and
``RADA_FFMPEG``) by ``Settings.from_env``; the README's configuration table documents each.

The section validates itself when built. The data folder is the aggregate's (``data_dir``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from orchestrator.kernel.settings.values import SettingsError

PREFIX = "RADA_RECORDING_"
INGESTS = ("rtmp", "srt")
MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class RecordingSettings:
    enabled: bool = True
    ports: tuple[int, ...] = tuple(range(19350, 19360))
    host: str = "0.0.0.0"  # noqa: S104 - Jibri runs on another host in production
    public_host: str = "127.0.0.1"
    ingest: str = "rtmp"  # or "srt"
    stall_seconds: float = 5.0
    bitrate_kbps: int = 4000
    segment_seconds: float = 2.0
    jibri_urls: tuple[str, ...] = ()
    jibri_ids: tuple[tuple[str, str], ...] = ()  # (jibri.id, base URL) of the named ones
    jibri_webhook_prefix: str = "/api/v1/jibri"
    jibri_webhook_secret: str = field(default="", repr=False)
    jibri_webhook_public_key: str = ""  # a file path; see recording/jibri_auth.py
    jibri_webhook_kid: str = ""
    jibri_webhook_issuer: str = ""
    jibri_webhook_audience: str = ""
    jibri_retry_seconds: float = 30.0
    simulated_call: bool = False
    jibri_xmpp_domain: str = "recorder.meet.jitsi"
    jibri_username: str = "recorder"
    jibri_password: str = field(default="", repr=False)
    storage: str = "local"  # local | s3
    s3_endpoint: str = ""
    s3_bucket: str = ""
    s3_prefix: str = "rada/"
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = field(default="", repr=False)
    s3_part_size: int = 64 * MiB
    s3_addressing: str = "path"  # path | virtual
    headroom_bytes: int = 1024 * MiB  # free space below this while recording: a warning
    ffmpeg: str = ""  # RADA_FFMPEG; empty: the system ffmpeg, else imageio-ffmpeg's

    def __post_init__(self) -> None:
        if not self.ports or any(not 0 < p < 65536 for p in self.ports):
            raise SettingsError(f"{PREFIX}PORTS must be ports 1..65535")
        if self.stall_seconds <= 0:
            raise SettingsError(f"{PREFIX}STALL_SECONDS must be positive")
        if self.bitrate_kbps <= 0:
            raise SettingsError(f"{PREFIX}BITRATE_KBPS must be positive")
        if not 0.5 <= self.segment_seconds <= 10:
            raise SettingsError(f"{PREFIX}SEGMENT_SECONDS must be 0.5..10")
        if self.ingest not in INGESTS:
            raise SettingsError(f"{PREFIX}INGEST must be rtmp or srt, got {self.ingest!r}")
        if self.ingest == "srt" and self.jibri_urls:
            raise SettingsError(
                f"{PREFIX}INGEST=srt cannot be used with {PREFIX}JIBRI_URLS: Jibri pushes RTMP "
                f"only; keep {PREFIX}INGEST=rtmp with Jibri (SRT is for hall encoders and OBS)"
            )
        prefix = self.jibri_webhook_prefix
        if not prefix.startswith("/") or prefix.endswith("/") or "{" in prefix:
            raise SettingsError(f"{PREFIX}JIBRI_WEBHOOK_PREFIX must be a path like /api/v1/jibri")
        if self.jibri_webhook_public_key:
            for name in ("kid", "issuer", "audience"):
                if not getattr(self, f"jibri_webhook_{name}"):
                    raise SettingsError(
                        f"{PREFIX}JIBRI_WEBHOOK_{name.upper()} is required with "
                        f"{PREFIX}JIBRI_WEBHOOK_PUBLIC_KEY (Jibri's jwt-info.{name})"
                    )
        self._check_storage()

    def _check_storage(self) -> None:
        if self.storage not in ("local", "s3"):
            raise SettingsError(f"{PREFIX}STORAGE must be local or s3, got {self.storage!r}")
        if self.s3_addressing not in ("path", "virtual"):
            raise SettingsError(f"{PREFIX}S3_ADDRESSING must be path or virtual")
        if not 5 * MiB <= self.s3_part_size <= 5 * 1024 * MiB:
            raise SettingsError(f"{PREFIX}S3_PART_SIZE must be 5MiB..5GiB (S3's limits)")
        if self.storage != "s3":
            return
        for name, value in (
            ("S3_ENDPOINT", self.s3_endpoint),
            ("S3_BUCKET", self.s3_bucket),
            ("S3_ACCESS_KEY_ID", self.s3_access_key_id),
            ("S3_SECRET_ACCESS_KEY", self.s3_secret_access_key),
        ):
            if not value:
                raise SettingsError(f"{PREFIX}STORAGE=s3 needs {PREFIX}{name}")
        endpoint = urlsplit(self.s3_endpoint)
        if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
            raise SettingsError(
                f"{PREFIX}S3_ENDPOINT must be an http(s) URL, got {self.s3_endpoint!r}"
            )
        if endpoint.path.strip("/") or endpoint.query:
            raise SettingsError(f"{PREFIX}S3_ENDPOINT must have no path (the bucket is S3_BUCKET)")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RecordingSettings:
        """Read the ``RADA_RECORDING_*`` variables; unset ones keep their defaults."""
        values: dict[str, object] = {}

        def get(name: str) -> str | None:
            value = environ.get(PREFIX + name)
            return value.strip() if value is not None and value.strip() else None

        for name, attr in (("ENABLED", "enabled"), ("SIMULATED_CALL", "simulated_call")):
            if (flag := get(name)) is not None:
                if flag.lower() not in ("0", "1", "true", "false", "yes", "no"):
                    raise SettingsError(f"{PREFIX}{name} must be 0 or 1, got {flag!r}")
                values[attr] = flag.lower() in ("1", "true", "yes")
        if (ports := get("PORTS")) is not None:
            values["ports"] = parse_ports(ports)
        for name, attr in (("HOST", "host"), ("PUBLIC_HOST", "public_host")):
            if (text := get(name)) is not None:
                values[attr] = text
        if (ingest := get("INGEST")) is not None:
            values["ingest"] = ingest.lower()
        for name, attr, kind in (
            ("STALL_SECONDS", "stall_seconds", float),
            ("BITRATE_KBPS", "bitrate_kbps", int),
            ("SEGMENT_SECONDS", "segment_seconds", float),
            ("JIBRI_RETRY_SECONDS", "jibri_retry_seconds", float),
        ):
            if (text := get(name)) is not None:
                try:
                    values[attr] = kind(text)
                except ValueError:
                    raise SettingsError(f"{PREFIX}{name} is not a number") from None
        if (urls := get("JIBRI_URLS")) is not None:
            values["jibri_urls"], values["jibri_ids"] = parse_jibri_urls(urls)
        for name, attr in (
            ("JIBRI_WEBHOOK_PREFIX", "jibri_webhook_prefix"),
            ("JIBRI_WEBHOOK_SECRET", "jibri_webhook_secret"),
            ("JIBRI_WEBHOOK_PUBLIC_KEY", "jibri_webhook_public_key"),
            ("JIBRI_WEBHOOK_KID", "jibri_webhook_kid"),
            ("JIBRI_WEBHOOK_ISSUER", "jibri_webhook_issuer"),
            ("JIBRI_WEBHOOK_AUDIENCE", "jibri_webhook_audience"),
            ("JIBRI_XMPP_DOMAIN", "jibri_xmpp_domain"),
            ("JIBRI_USERNAME", "jibri_username"),
            ("JIBRI_PASSWORD", "jibri_password"),
        ):
            if (text := get(name)) is not None:
                values[attr] = text
        for name in ("STORAGE", "S3_ADDRESSING"):
            if (text := get(name)) is not None:
                values[name.lower()] = text.lower()
        for name in (
            "ENDPOINT",
            "BUCKET",
            "PREFIX",
            "REGION",
            "ACCESS_KEY_ID",
            "SECRET_ACCESS_KEY",
        ):
            if (text := get("S3_" + name)) is not None:
                values["s3_" + name.lower()] = text
        if (text := get("S3_PART_SIZE")) is not None:
            values["s3_part_size"] = parse_size(f"{PREFIX}S3_PART_SIZE", text)
        if (text := get("HEADROOM")) is not None:
            values["headroom_bytes"] = parse_size(f"{PREFIX}HEADROOM", text)
        if explicit := environ.get("RADA_FFMPEG"):
            values["ffmpeg"] = explicit
        return cls(**values)  # type: ignore[arg-type]

    @property
    def bytes_per_second(self) -> float:
        return self.bitrate_kbps * 1000 / 8


def parse_jibri_urls(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """``"jibri-1=http://j1:2222,http://j2:2222"`` → the URLs in order, and the named ones as
    (jibri.id, URL) pairs (the webhook names the Jibri only by its id)."""
    urls: list[str] = []
    ids: list[tuple[str, str]] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        name, sep, url = piece.partition("=")
        if not sep or "://" in name:  # a plain URL (a query string may hold "=")
            name, url = "", piece
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise SettingsError(f"{PREFIX}JIBRI_URLS: not an http(s) URL {url!r}")
        urls.append(url)
        if name.strip():
            ids.append((name.strip(), url))
    if len({i for i, _ in ids}) != len(ids):
        raise SettingsError(f"{PREFIX}JIBRI_URLS: a Jibri id is named twice")
    return tuple(urls), tuple(ids)


def parse_size(name: str, text: str) -> int:
    """``"67108864"``, ``"64MiB"``, ``"64M"`` or ``"1GiB"`` → bytes (binary units)."""
    match = re.fullmatch(r"(\d+)\s*([KMG]?)(?:i?B)?", text.strip(), re.IGNORECASE)
    if match is None:
        raise SettingsError(f"{name} must be bytes or a size like 64MiB, got {text!r}")
    exponent = "_KMG".index(match.group(2).upper() or "_")
    return int(match.group(1)) << (10 * exponent)


def parse_ports(text: str) -> tuple[int, ...]:
    """``"19350-19352"`` → (19350, 19351, 19352); ``"1935,1936"`` → (1935, 1936)."""
    ports: list[int] = []
    try:
        for piece in text.split(","):
            piece = piece.strip()
            if "-" in piece:
                low, high = (int(p) for p in piece.split("-", 1))
                if high < low:
                    raise ValueError(piece)
                ports.extend(range(low, high + 1))
            elif piece:
                ports.append(int(piece))
    except ValueError:
        raise SettingsError(f"{PREFIX}PORTS: bad port list {text!r}") from None
    return tuple(dict.fromkeys(ports))
