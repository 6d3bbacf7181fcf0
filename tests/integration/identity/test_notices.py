"""Announcing a session mails each participant their link (R4, R12), read back from aiosmtpd."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import icalendar
import pytest
from aiohttp.test_utils import TestClient

from identity.api import SENDER
from identity.mail import DeliveryStatus
from tests.conftest import ADMIN, agenda, future, make_council
from tests.fixtures.signin import Browser, SessionIds, SignIn, convene
from tests.fixtures.smtp import Inbox

LINK = re.compile(r"http://rada\.test/join/([A-Za-z0-9_-]{43})")
DRAFT = b"%PDF-1.4 draft budget decision\n" + bytes(range(256))


@pytest.fixture
def smtp_port(inbox: tuple[Inbox, int]) -> int:
    """The app's mailer talks to the in-process SMTP server."""
    return inbox[1]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def contacts(client: TestClient[Any, Any], sid: str) -> dict[str, str]:
    body = await (await client.get(f"/api/v1/sessions/{sid}/contacts", headers=ADMIN)).json()
    rows = body["participants"] if isinstance(body, dict) else body
    return {r["email"].lower(): r["participant_id"] for r in rows}


async def test_each_participant_gets_their_own_working_link(
    identity_client: TestClient[Any, Any], inbox: tuple[Inbox, int]
) -> None:
    """One message per participant, to the listed address, with agenda, draft, .ics and a link
    that signs in exactly that participant."""
    handler, _ = inbox
    ids = await convene(identity_client, documents=[(0, "проєкт_бюджет.pdf", DRAFT)])
    results = await identity_client.app[SENDER].run_once()
    assert [r.status for r in results] == [DeliveryStatus.SENT] * 8
    by_email = await contacts(identity_client, ids.session_id)
    assert sorted(rcpts[0].lower() for rcpts, _ in handler.messages) == sorted(by_email)
    for rcpts, message in handler.messages:
        text = text_of(message)
        assert "Питання 1" in text
        assert "Питання 2" in text
        files = {p.get_filename(): p for p in message.iter_attachments()}
        assert files["проєкт_бюджет.pdf"].get_content() == DRAFT
        raw = files["invite.ics"].get_payload(decode=True)
        assert isinstance(raw, bytes)
        assert icalendar.Calendar.from_ical(raw).walk("VEVENT")
        [token] = LINK.findall(text)
        browser = Browser(identity_client)
        try:
            assert (await browser.open_link(token)).status == 303
            await browser.load_me()
            assert browser.participant_id == by_email[rcpts[0].lower()]
        finally:
            await browser.close()


async def test_deliveries_show_status_without_addresses(
    identity_client: TestClient[Any, Any], inbox: tuple[Inbox, int], sign_in: SignIn
) -> None:
    """The secretary sees sent/failed per participant; no e-mail address appears."""
    handler, _ = inbox
    handler.refuse = "550 5.1.1 No such mailbox"
    ids = await convene(identity_client)
    await identity_client.app[SENDER].run_once()
    secretary = await sign_in(ids.session_id, ids.secretary)
    r = await secretary.get(f"/api/v1/sessions/{ids.session_id}/deliveries")
    assert r.status == 200
    rows = (await r.json())["deliveries"]
    assert len(rows) == 8
    assert {row["status"] for row in rows} == {"failed"}
    assert all(row["last_error"].startswith("550") for row in rows)
    assert "@" not in await r.text()


async def test_reissue_kills_the_old_link_and_mails_a_new_one(
    identity_client: TestClient[Any, Any], inbox: tuple[Inbox, int], session_ids: SessionIds
) -> None:
    """POST …/links re-sends the notice with a fresh link; the old one stops; nothing secret
    comes back to the administrator."""
    handler, _ = inbox
    sender = identity_client.app[SENDER]
    await sender.run_once()
    deputy = session_ids.deputies[0]
    email_of = {
        pid: e for e, pid in (await contacts(identity_client, session_ids.session_id)).items()
    }
    old = next(
        LINK.findall(text_of(m))[0] for r, m in handler.messages if r[0].lower() == email_of[deputy]
    )
    r = await identity_client.post(
        f"/api/v1/sessions/{session_ids.session_id}/links",
        json={"participant_ids": [deputy]},
        headers=ADMIN,
    )
    assert r.status == 202, await r.text()
    assert await r.json() == {"queued": 1}
    assert [d.status for d in await sender.run_once()] == [DeliveryStatus.SENT]
    rcpts, message = handler.messages[-1]
    assert rcpts[0].lower() == email_of[deputy]
    [new] = LINK.findall(text_of(message))
    assert new != old
    assert (await identity_client.get(f"/join/{old}", allow_redirects=False)).status == 401
    assert (await identity_client.get(f"/join/{new}", allow_redirects=False)).status == 303


async def test_links_are_not_reissued_before_announcement(
    identity_client: TestClient[Any, Any],
) -> None:
    """Links go out with the convening notice: before announcing, re-issuing is 409."""
    from tests.conftest import make_council, make_session

    council = await make_council(identity_client)
    session = await make_session(identity_client, council)
    r = await identity_client.post(f"/api/v1/sessions/{session['id']}/links", headers=ADMIN)
    assert r.status == 409
    assert (await r.json())["code"] == "not_announced"


async def test_running_app_mails_notices_when_the_session_is_announced(
    settings: Any, clock: Any, inbox: tuple[Inbox, int]
) -> None:
    """With SMTP configured the app's own sender mails every notice after the announcement."""
    from dataclasses import replace

    from aiohttp.test_utils import TestServer

    from identity.api import configure
    from orchestrator.app import create_app
    from tests.fixtures.signin import jitsi_test_settings, smtp_test_settings

    handler, port = inbox
    settings = replace(settings, jitsi=jitsi_test_settings(), smtp=smtp_test_settings(port))
    setup = configure(send_notices=True)
    app = create_app(settings, clock=clock, extensions=[setup])
    async with TestClient(TestServer(app)) as client:
        ids = await convene(client)
        url = f"/api/v1/sessions/{ids.session_id}/deliveries"
        rows: list[dict[str, Any]] = []
        for _ in range(600):  # waits for delivery; asserts nothing about how long it takes
            rows = (await (await client.get(url, headers=ADMIN)).json())["deliveries"]
            if all(r["status"] == "sent" for r in rows):
                break
            await asyncio.sleep(0.05)
        assert len(handler.messages) == 8
        assert {r["status"] for r in rows} == {"sent"}


async def test_a_notice_that_cannot_be_composed_fails_alone(
    identity_client: TestClient[Any, Any], inbox: tuple[Inbox, int], sign_in: SignIn
) -> None:
    """A header-unsafe value already stored (a line break in a name) fails that notice alone,
    its error shown in deliveries; the rest of the batch is mailed and nothing stays sending."""
    handler, _ = inbox
    ids = await convene(identity_client)
    pool = identity_client.app[SENDER].pool
    await pool.execute(
        "UPDATE participants SET surname = 'Іваненко\nBcc: x@evil.test' "
        "WHERE session_id = $1 AND participant_id = $2",
        UUID(ids.session_id),
        UUID(ids.deputies[0]),
    )
    results = await identity_client.app[SENDER].run_once()
    assert sorted(r.status for r in results) == sorted(
        [DeliveryStatus.FAILED] + [DeliveryStatus.SENT] * 7
    )
    assert len(handler.messages) == 7
    assert await pool.fetchval("SELECT count(*) FROM notices WHERE status = 'sending'") == 0
    secretary = await sign_in(ids.session_id, ids.secretary)
    rows = (await (await secretary.get(f"/api/v1/sessions/{ids.session_id}/deliveries")).json())[
        "deliveries"
    ]
    failed = [d for d in rows if d["status"] == "failed"]
    assert [d["participant_id"] for d in failed] == [ids.deputies[0]]
    assert "could not be composed" in failed[0]["last_error"]
    assert "rada.test" not in str(rows) and "press.test" not in str(rows)  # no addresses
    assert await identity_client.app[SENDER].run_once() == []  # not claimed again


async def test_a_line_break_in_the_title_is_refused_at_convening(
    identity_client: TestClient[Any, Any],
) -> None:
    """The session title is checked when the session is convened (422), not when mailed."""
    council_id = await make_council(identity_client)
    r = await identity_client.post(
        f"/api/v1/councils/{council_id}/sessions",
        headers=ADMIN,
        json={"title": "Сесія\nBcc: all@example.org", "number": 1, "starts_at": future(),
              "agenda": agenda()},
    )  # fmt: skip
    assert r.status == 422
    assert (await r.json())["field"] == "title"
