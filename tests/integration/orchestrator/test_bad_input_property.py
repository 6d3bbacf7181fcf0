"""Random bodies at every write endpoint: never a 500, and the journal still verifies."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ADMIN, make_council, make_session

Client = TestClient[Any, Any]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63), st.floats(), st.text(max_size=30)
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=12,
)
FIELDS = [
    "title",
    "number",
    "starts_at",
    "agenda",
    "guests",
    "chair_member_id",
    "chair_reason",
    "name",
    "convocation",
    "total_composition",
    "person",
    "reason",
    "category",
    "secret_ballot",
    "surname",
    "email",
    "phone",
    "role",
]
bodies = st.one_of(
    values,
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=8),
    st.binary(max_size=60).map(lambda b: b.decode("latin-1")),
)


async def test_random_bodies_never_break_anything(client: Client) -> None:
    """Hypothesis throws bodies at each write endpoint: 4xx only, and the journal verifies."""
    council = await make_council(client)
    s = await make_session(client, council)
    sid = s["id"]
    endpoints = [
        ("POST", "/api/v1/councils"),
        ("PUT", f"/api/v1/councils/{council}/roster"),
        ("POST", f"/api/v1/councils/{council}/sessions"),
        ("POST", f"/api/v1/sessions/{sid}/participants"),
        ("DELETE", f"/api/v1/sessions/{sid}/participants/{s['participants'][1]['participant_id']}"),
        ("POST", f"/api/v1/sessions/{sid}/items/0/documents?filename=x.txt"),
    ]
    seen: set[int] = set()

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(endpoint=st.sampled_from(endpoints), body=bodies, as_text=st.booleans())
    def run(endpoint: tuple[str, str], body: Any, as_text: bool) -> None:
        runs.append((endpoint, body, as_text))

    runs: list[tuple[tuple[str, str], Any, bool]] = []
    run()
    for (method, path), body, as_text in runs:
        if as_text or isinstance(body, str):
            raw = body if isinstance(body, str) else json.dumps(body)
            data = raw.encode("utf-8", "surrogatepass")
        else:
            data = json.dumps(body).encode()
        r = await client.request(
            method, path, data=data, headers={**ADMIN, "Content-Type": "application/json"}
        )
        seen.add(r.status)
        assert r.status < 500, (method, path, body, await r.text())
        if r.status >= 400:
            assert r.content_type == "application/problem+json"
    report = await (
        await client.get(f"/api/v1/sessions/{sid}/journal/verify", headers=ADMIN)
    ).json()
    assert report["ok"], report
    assert any(code >= 400 for code in seen)
