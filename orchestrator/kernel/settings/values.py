"""How a variable's text becomes a value; a :class:`SettingsError` names the variable."""

from __future__ import annotations

from collections.abc import Mapping


class SettingsError(ValueError):
    """A setting is missing or malformed; start-up stops with this message."""


def env_bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    """``true``/``false`` (also ``1``/``0``, ``yes``/``no``, any case); unset or empty: ``default``."""
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes"):
        return True
    if raw in ("0", "false", "no"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")
