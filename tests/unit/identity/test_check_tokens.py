"""The technical check's test token (P1 «Перевірка зв’язку», a short join): its claims pass
Prosody's token_verification for the participant's own test room and for no session room; no
moderator; two minutes; the test room's name never equals a session's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from identity.errors import TokenRefused
from identity.tokens import (
    TEST_TOKEN_LIFETIME,
    TokenIssuer,
    TokenSubject,
    check_claims,
    check_room_name,
    new_room_name,
    parse_check_room,
)
from orchestrator.kernel.settings.identity import JitsiSettings
from orchestrator.kernel.web.auth import Role
from tests.fakes.fake_jitsi_web import FakeJitsiWeb

SECRET = "t" * 48
NOW = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # days before the sitting: no session window
SESSION = UUID("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
CHAIR = TokenSubject(
    participant_id=UUID("11111111-2222-3333-4444-555555555555"),
    surname="Коваленко",
    given_name="Олена",
    email="o.kovalenko@rada.example.gov.ua",
    role=Role.CHAIR,
)


def settings() -> JitsiSettings:
    return JitsiSettings.from_env(
        {
            "RADA_JITSI_DOMAIN": "meet.rada.example",
            "RADA_JITSI_APP_ID": "rada",
            "RADA_JITSI_APP_SECRET": SECRET,
            "RADA_JITSI_ACCEPTED_AUDIENCES": "jitsi",
        }
    )


def prosody(at: datetime) -> FakeJitsiWeb:
    """An independent reading of Prosody's token_verification (HS256, the shared secret)."""
    return FakeJitsiWeb(SECRET, "meet.jitsi", ("rada",), ("jitsi",), clock=at.timestamp)


def test_test_token_passes_prosody_for_its_own_room_only() -> None:
    """P1: the token opens the participant's test room, as both Prosody's rules (the fake) and
    rada's verifier read them; a session room, another participant's test room: refused."""
    issuer = TokenIssuer(settings())
    claims = check_claims(settings(), CHAIR, SESSION, NOW)
    token = issuer.sign(claims)
    room = check_room_name(SESSION, CHAIR.participant_id)
    assert claims["room"] == room
    assert issuer.verifier().verify(token, room=room, now=NOW)["room"] == room
    assert prosody(NOW).verify(token, room)[1] is None
    for other in (new_room_name(), check_room_name(SESSION, uuid4())):
        with pytest.raises(TokenRefused) as refused:
            issuer.verifier().verify(token, room=other, now=NOW)
        assert refused.value.reason == "room"
        assert prosody(NOW).verify(token, other)[1] == "claim room"


def test_test_token_is_short_and_moderates_nothing() -> None:
    """No moderator even for the chair (affiliation member); no e-mail; two minutes: at exp
    Prosody and rada refuse it."""
    claims = check_claims(settings(), CHAIR, SESSION, NOW)
    assert claims["context"]["user"]["affiliation"] == "member"
    assert claims["context"]["user"]["email"] == ""
    assert claims["exp"] - claims["iat"] == TEST_TOKEN_LIFETIME == 120
    token = TokenIssuer(settings()).sign(claims)
    room = claims["room"]
    late = NOW + timedelta(seconds=TEST_TOKEN_LIFETIME)
    with pytest.raises(TokenRefused) as refused:
        TokenIssuer(settings()).verifier().verify(token, room=room, now=late)
    assert refused.value.reason == "expired"
    assert prosody(late).verify(token, room)[1] == "claim exp"


def test_a_wrong_secret_is_refused_by_prosody() -> None:
    token = TokenIssuer(settings()).sign(check_claims(settings(), CHAIR, SESSION, NOW))
    other = FakeJitsiWeb("x" * 48, "meet.jitsi", ("rada",), ("jitsi",), clock=NOW.timestamp)
    refused = other.verify(token, check_room_name(SESSION, CHAIR.participant_id))[1]
    assert refused is not None and refused.startswith("signature")


def test_test_rooms_never_equal_session_rooms_and_parse_back() -> None:
    session_room = re.compile(r"^rada-[0-9a-f]{32}$")
    for _ in range(50):
        sid, pid = uuid4(), uuid4()
        room = check_room_name(sid, pid)
        assert not session_room.match(room)
        assert room == room.lower()
        assert parse_check_room(room) == (sid, pid)
        assert parse_check_room(new_room_name()) is None
    for bad in (
        "radacheck-",
        "radacheck-" + "0" * 32,
        "radacheck-" + "g" * 32 + "-" + "0" * 32,
        "radacheck-" + "0" * 32 + "-" + "0" * 31,
        "radacheck-" + "0" * 32 + "-" + "0" * 32 + "-x",
        "radacheck-" + "A" * 32 + "-" + "0" * 32,
    ):
        assert parse_check_room(bad) is None, bad
