"""Server-rendered pages (Ukrainian): one Jinja2 environment, one base template, one stylesheet.

Every package's templates extend ``base.html``; ``render`` adds the security headers. Pages load
nothing from outside the server except what a page explicitly allows (the deputy page frames the
council's Jitsi domain).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

SITE = Path(__file__).resolve().parents[2]
"""The ``orchestrator`` package folder: the site's ``templates/`` and ``static/``."""
STATIC_DIR = SITE / "static"

ENV: web.AppKey[jinja2.Environment] = web.AppKey("jinja", jinja2.Environment)


def make_environment(template_globals: Mapping[str, Any] | None = None) -> jinja2.Environment:
    """The site's one environment: ``orchestrator/templates`` and each feature package's own
    ``templates/``; ``template_globals`` are the words the composition root gives every page."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [_loader("orchestrator"), _loader("identity"), _loader("recording")]
        ),
        autoescape=jinja2.select_autoescape(("html", "xml")),
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(template_globals or {})
    return env


def _loader(package: str) -> jinja2.BaseLoader:
    try:
        return jinja2.PackageLoader(package, "templates")
    except ValueError:  # a package without templates
        return jinja2.DictLoader({})


def csp(extra: Mapping[str, str] | None = None) -> str:
    """A strict Content-Security-Policy: this server only, unless a page adds a source."""
    policy = {
        "default-src": "'self'",
        "img-src": "'self' data:",
        "media-src": "'self' blob:",
        "style-src": "'self'",
        "script-src": "'self'",
        "connect-src": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
    }
    for key, value in (extra or {}).items():
        policy[key] = f"{policy.get(key, '')} {value}".strip()
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
