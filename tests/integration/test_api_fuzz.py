"""Schemathesis against the served ``/api/v1/openapi.json`` on a running rada: every documented
operation, as the administrator and as a signed-in chair, with cases generated from the
document. No answer is a 5xx, every error is problem+json, and the journal chain of the
session the calls worked on still verifies afterwards."""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.core.result import Err

from identity.api import PLAIN_COOKIE
from tests.conftest import ADMIN
from tests.fixtures.signin import PUBLIC_ORIGIN, SessionIds, SignIn

Client = TestClient[Any, Any]
# per operation and caller (~75 operations x 2 callers): about 30 s in CI; FUZZ_EXAMPLES=200
# for a longer hunt by hand
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
PROBLEM = "application/problem+json"


def _fuzz(
    raw: dict[str, Any], base_url: str, callers: dict[str, dict[str, str]], known: dict[str, str]
) -> tuple[Counter[int], list[str]]:
    """Run every operation's cases (blocking HTTP: called in a thread beside the server)."""
    schema = schemathesis.openapi.from_dict(raw)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    http = requests.Session()

    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the document itself is wrong at this operation
            raise AssertionError(f"OpenAPI document: {result.err()}")
        operation = result.ok()

        @hypothesis.given(case=operation.as_strategy(), real_ids=st.booleans())
        @hypothesis.settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        def call(case: schemathesis.Case, real_ids: bool, headers: dict[str, str]) -> None:
            if real_ids and case.path_parameters:
                for name in case.path_parameters:
                    if name in known:
                        case.path_parameters[name] = known[name]
            response = case.call(base_url=base_url, session=http, headers=dict(headers), timeout=30)
            statuses[response.status_code] += 1
            where = f"{case.method} {case.formatted_path} -> {response.status_code}"
            kind = response.headers.get("content-type", [""])[0].split(";")[0]
            if response.status_code >= 500:
                failures.append(f"{where}: server error {response.content[:200]!r}")
            elif response.status_code >= 400 and kind != PROBLEM:
                failures.append(f"{where}: error as {kind!r}, not problem+json")

        for headers in callers.values():
            call(headers=headers)
    return statuses, failures


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_schema_driven_fuzz_finds_no_server_error(
    identity_client: Client, session_ids: SessionIds, sign_in: SignIn
) -> None:
    """Cases generated from the OpenAPI document, sent as the administrator and as the chair
    (cookie, CSRF token, same-origin Origin): 4xx problem+json or success, never 5xx; the
    session's journal still verifies."""
    raw = await (await identity_client.get("/api/v1/openapi.json")).json()
    ids = session_ids
    chair = await sign_in(ids.session_id, ids.chair)
    (cookie,) = (c.value for c in chair.http.cookie_jar if c.key == PLAIN_COOKIE)
    callers = {
        "admin": ADMIN,
        "chair": {
            "Cookie": f"{PLAIN_COOKIE}={cookie}",
            "X-CSRF-Token": chair.csrf,
            "Origin": PUBLIC_ORIGIN,
        },
    }
    known = {
        "session_id": ids.session_id,
        "council_id": ids.council_id,
        "participant_id": ids.deputies[0],
    }
    base_url = str(identity_client.make_url("")).rstrip("/")
    statuses, failures = await asyncio.to_thread(_fuzz, raw, base_url, callers, known)
    total = sum(statuses.values())
    print(f"schemathesis: {total} cases, statuses {dict(sorted(statuses.items()))}")
    assert failures == []
    assert total >= 100
    r = await identity_client.get(f"/api/v1/sessions/{ids.session_id}/journal/verify")
    verified = await r.json()
    assert verified["ok"] is True, verified
