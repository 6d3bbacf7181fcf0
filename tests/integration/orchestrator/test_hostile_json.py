"""Hostile JSON bodies get a problem+json 4xx, never a 500 with a traceback."""

from __future__ import annotations

import io
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from orchestrator.kernel.web.http import JSON_MAX_BYTES
from tests.conftest import ADMIN

Client = TestClient[Any, Any]

CASES = [
    ("deep arrays", "[" * 1000 + "]" * 1000, 422, "too_deep"),
    ("deep objects", '{"a":' * 1000 + "1" + "}" * 1000, 422, "too_deep"),
    ("deep arrays, unclosed", "[" * 100_000, 422, "too_deep"),
    ("a 5,000-digit number", '{"name": ' + "9" * 5000 + "}", 422, "malformed_json"),
    ("a 5,000-digit negative", '{"convocation": -' + "1" * 5000 + "}", 422, "malformed_json"),
    ("a huge exponent", '{"convocation": 1e999999}', 422, "malformed_json"),
    ("NaN", '{"convocation": NaN}', 422, "malformed_json"),
    ("Infinity", '{"convocation": -Infinity}', 422, "malformed_json"),
    ("brackets in strings do not count", '{"name": "' + "[" * 5000 + '"}', 422, "invalid_input"),
    ("too large", '{"name": "' + "x" * (JSON_MAX_BYTES + 1) + '"}', 413, "payload_too_large"),
]


@pytest.mark.parametrize(
    ("body", "status", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_hostile_json_is_refused(client: Client, body: str, status: int, code: str) -> None:
    """Deep nesting, endless numbers, non-JSON constants and oversized bodies: a 4xx problem."""
    r = await client.post(
        "/api/v1/councils",
        data=io.BytesIO(body.encode()),
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["code"] == code
    assert "Traceback" not in await r.text()


async def test_nesting_within_the_limit_is_parsed(client: Client) -> None:
    """A body nested a few levels is read as before (refused here only for its content)."""
    r = await client.post(
        "/api/v1/councils",
        data=b'{"name": [[[[1]]]], "convocation": 8, "total_composition": 26}',
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert r.status == 422
    assert (await r.json())["field"] == "name"
