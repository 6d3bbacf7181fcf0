"""The live-state WebSocket's limits, read once from ``RADA_LIVE_*`` by ``Settings.from_env``.

A client that does not read its socket must cost a bounded amount of memory, and the public
(who need no sign-in to watch, R3) must not be able to open sockets without end: see
:mod:`orchestrator.conduct.live`. Every variable is in the README's configuration table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.kernel.settings.recording import parse_size
from orchestrator.kernel.settings.values import SettingsError

PREFIX = "RADA_LIVE_"
KiB = 1024


@dataclass(frozen=True, slots=True)
class LiveSettings:
    buffer_bytes: int = 256 * KiB
    """Unsent output above which a client gets only the newest snapshot (older ones dropped)."""
    slow_seconds: float = 10.0
    """A client that stays behind this long is closed (it reconnects and gets the snapshot)."""
    public_per_address: int = 20
    """Public (not signed-in) sockets at once from one client address."""
    public_total: int = 2000
    """Public sockets at once in this process."""

    def __post_init__(self) -> None:
        if not 4 * KiB <= self.buffer_bytes <= 64 * 1024 * KiB:
            raise SettingsError(f"{PREFIX}BUFFER must be between 4KiB and 64MiB")
        if not 1 <= self.slow_seconds <= 600:
            raise SettingsError(f"{PREFIX}SLOW_SECONDS must be between 1 and 600")
        if not 1 <= self.public_per_address <= self.public_total:
            raise SettingsError(
                f"{PREFIX}PUBLIC_PER_ADDRESS must be at least 1 and at most {PREFIX}PUBLIC_TOTAL"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> LiveSettings:
        values: dict[str, float | int] = {}
        if text := env.get(f"{PREFIX}BUFFER", ""):
            values["buffer_bytes"] = parse_size(f"{PREFIX}BUFFER", text)
        for field, name, kind in (
            ("slow_seconds", "SLOW_SECONDS", float),
            ("public_per_address", "PUBLIC_PER_ADDRESS", int),
            ("public_total", "PUBLIC_TOTAL", int),
        ):
            if text := env.get(f"{PREFIX}{name}", "").strip():
                try:
                    values[field] = kind(text)
                except ValueError:
                    raise SettingsError(f"{PREFIX}{name} must be a number, got {text!r}") from None
        return cls(**values)  # type: ignore[arg-type]
