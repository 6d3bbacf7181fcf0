"""Every problem ``code`` the API can return has a Ukrainian message for the pages."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import make_mocked_request

from orchestrator.kernel.web.http import problem
from orchestrator.kernel.web.messages_uk import MESSAGES, message_uk

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("orchestrator", "identity", "recording")
# raised with a code by rada's own modules, but answered by none of its routes
NOT_ANSWERED = {"rehearsal"}


def _str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _codes_in(tree: ast.AST) -> Iterator[str]:
    """``code="…"`` keywords, ``code = "…"`` class attributes, ``code="…"`` parameter defaults,
    the Jibri webhook's ``Refused(detail, code)`` and the middleware's ``problem(…, code, …)``
    and its status table."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "code" and (code := _str(kw.value)):
                    yield code
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            position = {"Refused": 1, "problem": 3}.get(name)
            if position is not None and len(node.args) > position:
                yield from filter(None, [_str(node.args[position])])
            if name == "get" and isinstance(node.func, ast.Attribute):
                table = node.func.value  # {404: "not_found", …}.get(status, "http_error")
                statuses = isinstance(table, ast.Dict) and all(
                    isinstance(k, ast.Constant) and isinstance(k.value, int) for k in table.keys
                )
                if isinstance(table, ast.Dict) and statuses:
                    yield from (c for v in table.values if (c := _str(v)))
                    if len(node.args) > 1 and (code := _str(node.args[1])):
                        yield code
        elif isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == "code" for t in node.targets):
                yield from filter(None, [_str(node.value)])
        elif isinstance(node, ast.arguments):
            args = node.posonlyargs + node.args
            defaults: list[ast.expr | None] = [None] * (len(args) - len(node.defaults))
            defaults += node.defaults
            pairs = [
                *zip(args, defaults, strict=True),
                *zip(node.kwonlyargs, node.kw_defaults, strict=True),
            ]
            for arg, default in pairs:
                if arg.arg == "code" and (code := _str(default)):
                    yield code


def api_codes() -> set[str]:
    codes: set[str] = set()
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if NOT_ANSWERED & set(path.relative_to(ROOT).parts):
                continue
            codes.update(_codes_in(ast.parse(path.read_text(encoding="utf-8"))))
    return codes


def test_the_scan_finds_the_codes_of_every_kind() -> None:
    """The enumeration sees class codes, inline codes, defaults and the middleware's own."""
    codes = api_codes()
    assert {"link_refused", "invalid_input", "recording_no_port"} <= codes  # errors.py classes
    assert {"no_quorum", "session_not_found", "item_voted"} <= codes  # raised inline
    assert {"wrong_phase", "break_in_progress"} <= codes  # decide.py's phase conflicts
    assert {"internal_error", "method_not_allowed", "http_error"} <= codes  # the middleware
    assert {"jibri_secret_refused", "jibri_webhook_disabled"} <= codes  # Jibri's webhook
    assert len(codes) > 80


def test_every_code_the_api_can_return_has_a_ukrainian_message() -> None:
    """A page never has to show the English detail: no code is without its message."""
    missing = sorted(api_codes() - set(MESSAGES))
    assert missing == [], f"add a Ukrainian message to messages_uk.py for: {missing}"


@pytest.mark.parametrize("code", sorted(MESSAGES))
def test_messages_are_ukrainian_sentences_without_internal_rule_codes(code: str) -> None:
    """Each message is a sentence in Cyrillic, never an internal R-code citizens cannot look up."""
    text = MESSAGES[code]
    assert text[0].isupper() and text.rstrip("»").endswith((".", "!"))
    assert sum("а" <= ch.lower() <= "я" or ch in "іїєґ" for ch in text) > len(text) // 2
    assert "(R" not in text and not any(f"R{n}" in text.split() for n in range(1, 21))


def test_a_code_without_a_message_gets_the_general_one() -> None:
    """A code added later still reads as Ukrainian until it gets its own words."""
    assert message_uk("no_such_code_yet") == MESSAGES["domain_error"]


def test_the_problem_body_carries_the_message() -> None:
    """problem+json keeps its fields and adds ``message_uk`` for the pages."""
    response = problem(409, "Conflict", "no quorum", "no_quorum", make_mocked_request("GET", "/x"))
    assert response.content_type == "application/problem+json"
    assert response.text is not None and MESSAGES["no_quorum"] in response.text
