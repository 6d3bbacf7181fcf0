"""One page system: every page of the site extends ``base.html`` in one environment; the protocol
document stands alone (inline CSS, nothing from the server) so it renders offline."""

from __future__ import annotations

from pathlib import Path

import jinja2
import jinja2.nodes
import pytest

from orchestrator.kernel.web.templating import make_environment
from orchestrator.protocol.model import build
from orchestrator.protocol.render import document_environment, to_html
from tests.journal_builder import play_session

ROOT = Path(__file__).resolve().parents[3]
# what is not a page: the base itself, the standalone document and the parts pages include
# (the last two: partials of the participant page and of the chair's console)
NOT_PAGES = {
    "base.html",
    "protocol.html",
    "protocol_body.html",
    "preparation_rsvp.html",
    "preparation_script_panel.html",
    "calling_order.html",  # a standalone document, like protocol.html
}


def _parent(env: jinja2.Environment, name: str) -> str | None:
    source = env.loader.get_source(env, name)[0] if env.loader else ""
    extends = env.parse(source).find(jinja2.nodes.Extends)
    if extends is None:
        return None
    assert isinstance(extends.template, jinja2.nodes.Const)
    return str(extends.template.value)


def _ancestors(env: jinja2.Environment, name: str) -> list[str]:
    chain = []
    parent = _parent(env, name)
    while parent is not None:
        chain.append(parent)
        parent = _parent(env, parent)
    return chain


def _templates() -> list[str]:
    folders = [ROOT / p / "templates" for p in ("orchestrator", "identity", "recording")]
    return sorted(f.name for d in folders if d.is_dir() for f in d.glob("*.html"))


@pytest.mark.parametrize("name", sorted(set(_templates()) - NOT_PAGES))
def test_every_page_extends_the_site_base(name: str) -> None:
    """Home, consoles, the participant's pages and the public archive all end in base.html."""
    assert _ancestors(make_environment(), name)[-1:] == ["base.html"]


def test_the_protocol_document_stands_alone() -> None:
    """protocol.html is a document, not a page: no base, no site stylesheet or script, its CSS
    inline, rendered by an environment built like the site's."""
    env = document_environment()
    assert _ancestors(env, "protocol.html") == []
    html = to_html(build(play_session(seats=5, items=1).events))
    assert "<style>" in html and "/static/" not in html and 'class="site"' not in html
    site = make_environment()
    assert type(env.loader) is type(site.loader)
    assert (env.undefined, env.trim_blocks, env.lstrip_blocks) == (
        site.undefined,
        site.trim_blocks,
        site.lstrip_blocks,
    )
