"""Server-rendered pages (Ukrainian): one Jinja2 environment, one base template, one stylesheet.

Every page of the site (home, the consoles, the participant's pages, the public archive) extends
``base.html`` and is rendered by :func:`render` from the application's environment
(``app[ENV]``), which adds the security headers. Features add the filters and functions their
templates use with :func:`register` at setup, so the kernel imports no feature. Pages load
nothing from outside the server except what a page explicitly allows (the deputy page frames the
council's Jitsi domain).

The environment itself is built by :func:`orchestrator.kernel.web.templating.make_environment`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from orchestrator.kernel.web.templating import make_environment

SITE = Path(__file__).resolve().parents[2]
"""The ``orchestrator`` package folder: the site's ``templates/`` and ``static/``."""
STATIC_DIR = SITE / "static"

ENV: web.AppKey[jinja2.Environment] = web.AppKey("jinja", jinja2.Environment)


def register(
    app: web.Application,
    *,
    template_globals: Mapping[str, Any] | None = None,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> None:
    """A feature's setup adds the functions and filters its templates use to the site's
    environment (after :func:`setup`)."""
    env = app[ENV]
    env.globals.update(template_globals or {})
    env.filters.update(filters or {})


def csp(extra: Mapping[str, str] | None = None) -> str:
    """A strict Content-Security-Policy: this server only, unless a page adds a source."""
    policy = {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "media-src": "'self' blob:",
        "style-src": "'self'",
        "script-src": "'self'",
        "connect-src": "'self'",
        "object-src": "'none'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
    }
    for key, value in (extra or {}).items():
        current = policy.get(key, "")
        # 'none' stands alone: a page that allows a source replaces it
        policy[key] = value if current == "'none'" else f"{current} {value}".strip()
    return "; ".join(f"{k} {v}" for k, v in policy.items())


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    csp_extra: Mapping[str, str] | None = None,
) -> web.Response:
    html = request.app[ENV].get_template(template).render(**(context or {}))
    return web.Response(
        text=html,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Content-Security-Policy": csp(csp_extra),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
        },
    )


def setup(app: web.Application, template_globals: Mapping[str, Any] | None = None) -> None:
    app[ENV] = make_environment(template_globals)
    app.router.add_static("/static/", STATIC_DIR, name="static", append_version=True)
