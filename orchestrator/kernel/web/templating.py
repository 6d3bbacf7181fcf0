"""The site's Jinja2 environment, without HTTP: the one place an environment is built.

:mod:`orchestrator.kernel.web.pages` gives each application one (``app[ENV]``) for every page;
a standalone document built outside any application (the protocol, written into the published
folder) makes its own with the same loaders and settings. No aiohttp here, so the protocol's
renderer stays importable from the pure modules that share its wording.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2


def make_environment(
    template_globals: Mapping[str, Any] | None = None,
    filters: Mapping[str, Callable[..., Any]] | None = None,
) -> jinja2.Environment:
    """``orchestrator/templates`` and each feature package's own ``templates/``;
    ``template_globals`` and ``filters`` are what the templates may call."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [_loader("orchestrator"), _loader("identity"), _loader("recording")]
        ),
        autoescape=jinja2.select_autoescape(("html", "xml")),
        undefined=jinja2.StrictUndefined,
        # a block tag alone on its line leaves no blank line behind
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(template_globals or {})
    env.filters.update(filters or {})
    return env


def _loader(package: str) -> jinja2.BaseLoader:
    try:
        return jinja2.PackageLoader(package, "templates")
    except ValueError:  # a package without templates
        return jinja2.DictLoader({})
