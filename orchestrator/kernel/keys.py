"""Every AppKey that more than one package reads: the settings, the pool, the clock.

``create_app`` (``orchestrator/app.py``) sets them; features read them (each its own section of
``app[SETTINGS]``). A key that only one feature uses lives in that feature's ``api.py``.
"""

from __future__ import annotations

import asyncpg
from aiohttp import web

from orchestrator.kernel.clock import Clock
from orchestrator.kernel.journal.listener import JournalListener
from orchestrator.kernel.settings import Settings

SETTINGS: web.AppKey[Settings] = web.AppKey("settings", Settings)
POOL: web.AppKey[asyncpg.Pool] = web.AppKey("pool", asyncpg.Pool)
DATABASE_URL: web.AppKey[str] = web.AppKey("database_url", str)
CLOCK: web.AppKey[Clock] = web.AppKey("clock", Clock)  # type: ignore[arg-type]
JOURNAL_LISTENER: web.AppKey[JournalListener] = web.AppKey("journal_listener", JournalListener)
