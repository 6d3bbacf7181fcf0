"""Jitsi tokens: what rada issues passes Prosody's rules; anything altered is refused."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.errors import OutsideSessionWindow, TokenRefused
from identity.tokens import (
    FEATURES,
    SessionWindow,
    TokenIssuer,
    TokenSubject,
    build_claims,
    key_file_name,
    new_room_name,
)
from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.identity import JitsiSettings
from orchestrator.kernel.web.auth import Role

SECRET = "s" * 48
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WINDOW = SessionWindow(starts_at=NOW, planned_end=NOW + timedelta(hours=3))
ROOM = "rada-0123456789abcdef0123456789abcdef"
DEPUTY = TokenSubject(
    participant_id=UUID("11111111-2222-3333-4444-555555555555"),
    surname="Шевченко",
    given_name="Тарас",
    email="t.shevchenko@rada.example.gov.ua",
    role=Role.DEPUTY,
)
MISSING = object()


def hs_settings(**overrides: Any) -> JitsiSettings:
    env = {
        "RADA_JITSI_DOMAIN": "meet.rada.example",
        "RADA_JITSI_APP_ID": "rada",
        "RADA_JITSI_APP_SECRET": SECRET,
        "RADA_JITSI_ACCEPTED_AUDIENCES": "jitsi",
    }
    env.update(overrides)
    return JitsiSettings.from_env(env)


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def raw_hs256(claims: dict[str, Any], secret: str = SECRET) -> str:
    """Sign without pyjwt's encode-time checks, so mistyped claims reach the verifier."""
    signing_input = f"{b64({'typ': 'JWT', 'alg': 'HS256'})}.{b64(claims)}"
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()


def set_path(claims: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    altered = copy.deepcopy(claims)
    *parents, leaf = path.split(".")
    target = altered
    for name in parents:
        target = target[name]
    if value is MISSING:
        del target[leaf]
    else:
        target[leaf] = value
    return altered


def claim_paths(claims: dict[str, Any], prefix: str = "") -> set[str]:
    paths = set()
    for name, value in claims.items():
        path = prefix + name
        paths.add(path)
        if isinstance(value, dict) and path != "context.features":
            paths |= claim_paths(value, path + ".")
    return paths


# (claim path, replacement, reason Prosody's rules give). Every claim rada writes appears
# here at least once as missing and once as mistyped: test_table_covers_every_claim checks it.
CASES: list[tuple[str, object, str]] = [
    ("iss", MISSING, "iss"),
    ("iss", 7, "iss"),
    ("iss", "someone-else", "iss"),
    ("aud", MISSING, "aud"),
    ("aud", ["jitsi"], "aud"),
    ("aud", "other-server", "aud"),
    ("sub", MISSING, "sub"),
    ("sub", 1, "sub"),
    ("sub", "other.domain", "sub"),
    ("room", MISSING, "room"),
    ("room", 5, "room"),
    ("room", "rada-ffffffffffffffffffffffffffffffff", "room"),
    ("room", ROOM.upper(), "room"),
    ("exp", MISSING, "exp"),
    ("exp", str(int((NOW + timedelta(hours=1)).timestamp())), "exp"),
    ("exp", True, "exp"),
    ("exp", int(NOW.timestamp()), "expired"),
    ("nbf", MISSING, "nbf"),
    ("nbf", "0", "nbf"),
    ("nbf", int(NOW.timestamp()) + 1, "not_yet_valid"),
    ("iat", MISSING, None),  # optional for Prosody: its absence is accepted
    ("iat", "now", "iat"),
    ("context", MISSING, "context"),
    ("context", "user", "context"),
    ("context.user", MISSING, "context.user"),
    ("context.user", ["id"], "context.user"),
    ("context.user.id", MISSING, "context.user.id"),
    ("context.user.id", 42, "context.user.id"),
    ("context.user.id", None, "context.user.id"),
    ("context.user.name", MISSING, "context.user.name"),
    ("context.user.name", 1, "context.user.name"),
    ("context.user.email", MISSING, "context.user.email"),
    ("context.user.email", None, "context.user.email"),
    ("context.user.affiliation", MISSING, "context.user.affiliation"),
    ("context.user.affiliation", 1, "context.user.affiliation"),
    ("context.user.affiliation", "admin", "context.user.affiliation"),
    ("context.user.avatar", 3, "context.user.avatar"),
    ("context.features", MISSING, "context.features"),
    ("context.features", {"recording": 1}, "context.features"),
    ("context.features", [], "context.features"),
]


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer(hs_settings())


@pytest.fixture(scope="module")
def claims() -> dict[str, Any]:
    return build_claims(hs_settings(), DEPUTY, ROOM, WINDOW, NOW)


def test_issued_token_verifies(issuer: TokenIssuer) -> None:
    """A token rada issues passes every rule and names the participant."""
    token = issuer.issue(DEPUTY, ROOM, WINDOW, NOW)
    got = issuer.verifier().verify(token, room=ROOM, now=NOW)
    assert got["context"]["user"] == {
        "id": str(DEPUTY.participant_id),
        "name": "Шевченко Тарас",
        "email": "",  # RADA_JITSI_TOKEN_EMAIL is off by default
        "affiliation": "member",
    }
    assert (got["iss"], got["aud"], got["sub"], got["room"]) == (
        "rada",
        "jitsi",
        "meet.jitsi",
        ROOM,
    )


def test_header_is_typ_jwt_and_configured_alg(issuer: TokenIssuer) -> None:
    """The header carries typ JWT and exactly the configured algorithm."""
    header = json.loads(
        base64.urlsafe_b64decode(issuer.issue(DEPUTY, ROOM, WINDOW, NOW).split(".")[0] + "==")
    )
    assert header == {"typ": "JWT", "alg": "HS256"}


def test_times_are_numbers_bounded_by_the_window(claims: dict[str, Any]) -> None:
    """nbf lies a little in the past; exp is the token lifetime away (15 minutes by default,
    not the planned end plus the margin: a revoked token dies within minutes), both integers."""
    settings = hs_settings()
    assert type(claims["nbf"]) is int
    assert type(claims["exp"]) is int
    assert claims["nbf"] == int(NOW.timestamp()) - settings.not_before_leeway
    assert (
        claims["exp"]
        == int(NOW.timestamp()) + 900
        == int(NOW.timestamp()) + (settings.token_lifetime)
    )


def test_token_never_outlives_the_window_of_a_session_not_yet_open() -> None:
    """Near the window's end a session not opened gets a token that ends with the window."""
    settings = hs_settings(RADA_JITSI_TOKEN_LIFETIME="3600")
    closes = WINDOW.planned_end + timedelta(seconds=settings.end_margin)
    at = closes - timedelta(minutes=5)
    claims = build_claims(settings, DEPUTY, ROOM, WINDOW, at)
    assert claims["exp"] == int(closes.timestamp())
    with pytest.raises(OutsideSessionWindow):
        build_claims(settings, DEPUTY, ROOM, WINDOW, closes)


def test_a_sitting_in_progress_gets_tokens_past_its_planned_end() -> None:
    """Once open, the session may overrun: tokens keep coming, each short-lived."""
    settings = hs_settings()
    late = WINDOW.planned_end + timedelta(seconds=settings.end_margin, hours=2)
    running = SessionWindow(WINDOW.starts_at, WINDOW.planned_end, in_progress=True)
    claims = build_claims(settings, DEPUTY, ROOM, running, late)
    assert claims["exp"] == int(late.timestamp()) + settings.token_lifetime


@pytest.mark.parametrize("value", ["0", "60", "86401", "x"])
def test_token_lifetime_is_bounded(value: str) -> None:
    """RADA_JITSI_TOKEN_LIFETIME is 120..86400 seconds."""
    with pytest.raises(SettingsError, match="RADA_JITSI_TOKEN_LIFETIME"):
        hs_settings(RADA_JITSI_TOKEN_LIFETIME=value)


@pytest.mark.parametrize(
    ("role", "affiliation"),
    [
        (Role.CHAIR, "owner"),
        (Role.SECRETARY, "owner"),
        (Role.DEPUTY, "member"),
        (Role.GUEST, "member"),
    ],
)
def test_affiliation_by_role(role: Role, affiliation: str) -> None:
    """Chair and secretary are owners (moderators); deputies and guests members."""
    subject = TokenSubject(DEPUTY.participant_id, "Б", "А", "a@b.c", role)
    assert (
        build_claims(hs_settings(), subject, ROOM, WINDOW, NOW)["context"]["user"]["affiliation"]
        == affiliation
    )


def test_features_grant_nothing_but_the_call(claims: dict[str, Any]) -> None:
    """Recording, streaming, transcription and calls out are all refused as strings."""
    assert claims["context"]["features"] == FEATURES
    assert set(FEATURES.values()) == {"false"}
    assert {"recording", "livestreaming"} <= set(FEATURES)


def test_table_covers_every_claim(claims: dict[str, Any]) -> None:
    """Each claim rada writes has a missing case and a mistyped case in the refusal table."""
    paths = claim_paths(claims) | {"context.user.avatar"}
    missing = {p for p, v, _ in CASES if v is MISSING}
    mistyped = {p for p, v, _ in CASES if v is not MISSING}
    assert paths - {"context.user.avatar"} <= missing
    assert paths <= mistyped


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    CASES,
    ids=[f"{p}={v!r}" if v is not MISSING else f"{p}:missing" for p, v, _ in CASES],
)
def test_altered_claim_is_refused(
    issuer: TokenIssuer, claims: dict[str, Any], path: str, value: object, reason: str | None
) -> None:
    """A validly signed token with one claim missing, mistyped or altered is refused."""
    token = raw_hs256(set_path(claims, path, value))
    if reason is None:
        issuer.verifier().verify(token, room=ROOM, now=NOW)
        return
    with pytest.raises(TokenRefused) as refused:
        issuer.verifier().verify(token, room=ROOM, now=NOW)
    assert refused.value.reason == reason


def test_forged_signature_is_refused(claims: dict[str, Any], issuer: TokenIssuer) -> None:
    """A token signed with another secret is refused."""
    forger = TokenIssuer(hs_settings(RADA_JITSI_APP_SECRET="f" * 48))
    with pytest.raises(TokenRefused, match="signature"):
        issuer.verifier().verify(forger.sign(claims), room=ROOM, now=NOW)


def test_tampered_payload_is_refused(issuer: TokenIssuer) -> None:
    """Changing the payload of a signed token breaks the signature."""
    head, _, sig = issuer.issue(DEPUTY, ROOM, WINDOW, NOW).split(".")
    evil = build_claims(hs_settings(), DEPUTY, ROOM, WINDOW, NOW)
    evil["context"]["user"]["affiliation"] = "owner"
    with pytest.raises(TokenRefused, match="signature"):
        issuer.verifier().verify(f"{head}.{b64(evil)}.{sig}", room=ROOM, now=NOW)


def test_expired_and_not_yet_valid_are_refused(issuer: TokenIssuer, claims: dict[str, Any]) -> None:
    """At exp the token is dead; before nbf it is not yet valid (no clock skew)."""
    token = issuer.sign(claims)
    verifier = issuer.verifier()
    with pytest.raises(TokenRefused, match="expired"):
        verifier.verify(token, room=ROOM, now=datetime.fromtimestamp(claims["exp"], UTC))
    verifier.verify(token, room=ROOM, now=datetime.fromtimestamp(claims["exp"] - 1, UTC))
    verifier.verify(token, room=ROOM, now=datetime.fromtimestamp(claims["nbf"], UTC))
    with pytest.raises(TokenRefused, match="not_yet_valid"):
        verifier.verify(token, room=ROOM, now=datetime.fromtimestamp(claims["nbf"] - 1, UTC))


def test_wrong_room_is_refused(issuer: TokenIssuer) -> None:
    """A token for one session's room does not open another's."""
    token = issuer.issue(DEPUTY, ROOM, WINDOW, NOW)
    with pytest.raises(TokenRefused, match="room"):
        issuer.verifier().verify(token, room=new_room_name(), now=NOW)


def test_wildcard_room_is_accepted_as_prosody_does(
    issuer: TokenIssuer, claims: dict[str, Any]
) -> None:
    """Prosody accepts room "*"; rada's verifier follows it (rada never issues one)."""
    issuer.verifier().verify(issuer.sign(set_path(claims, "room", "*")), room=ROOM, now=NOW)


def test_wrong_audience_is_refused(claims: dict[str, Any]) -> None:
    """A token for another audience is refused by a verifier that accepts only its own."""
    other = TokenIssuer(hs_settings(RADA_JITSI_ACCEPTED_AUDIENCES="elsewhere"))
    with pytest.raises(TokenRefused, match="aud"):
        TokenIssuer(hs_settings()).verifier().verify(
            other.issue(DEPUTY, ROOM, WINDOW, NOW), room=ROOM, now=NOW
        )


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ({"alg": "none", "typ": "JWT"}, "alg"),
        ({"alg": "HS512", "typ": "JWT"}, "alg"),
        ({"alg": "HS256"}, "typ"),
        ({"alg": "HS256", "typ": "JWS"}, "typ"),
    ],
)
def test_bad_header_is_refused(claims: dict[str, Any], header: dict[str, str], reason: str) -> None:
    """alg none, another alg, a missing or wrong typ: refused before the signature."""
    token = f"{b64(header)}.{b64(claims)}."
    with pytest.raises(TokenRefused) as refused:
        TokenIssuer(hs_settings()).verifier().verify(token, room=ROOM, now=NOW)
    assert refused.value.reason == reason


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "...."])
def test_garbage_is_refused(garbage: str) -> None:
    """Strings that are not JWTs are refused, not crashed on."""
    with pytest.raises(TokenRefused, match="malformed"):
        TokenIssuer(hs_settings()).verifier().verify(garbage, room=ROOM, now=NOW)


@pytest.mark.parametrize(
    "now",
    [
        WINDOW.starts_at - timedelta(hours=2),
        WINDOW.planned_end + timedelta(hours=4),
    ],
)
def test_no_token_outside_the_window(now: datetime) -> None:
    """Before the early-join time or after the end margin rada issues nothing."""
    with pytest.raises(OutsideSessionWindow):
        build_claims(hs_settings(), DEPUTY, ROOM, WINDOW, now)


def test_rooms_are_unguessable_and_lower_case() -> None:
    """Each room is rada- followed by 128 random bits in lower-case hex."""
    rooms = {new_room_name() for _ in range(50)}
    assert len(rooms) == 50
    for room in rooms:
        assert room == room.lower()
        assert room.startswith("rada-")
        assert len(room) == 5 + 32
        int(room[5:], 16)


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def rs_settings(tmp: str = "/nonexistent.pem") -> JitsiSettings:
    return JitsiSettings.from_env(
        {
            "RADA_JITSI_APP_ID": "rada",
            "RADA_JITSI_ALG": "RS256",
            "RADA_JITSI_KID": "rada/key-1",
            "RADA_JITSI_PRIVATE_KEY_PATH": tmp,
        }
    )


def test_rs256_token_carries_kid_and_verifies(rsa_key: rsa.RSAPrivateKey) -> None:
    """RS256 tokens name their kid and verify with the public key rada serves."""
    issuer = TokenIssuer(rs_settings(), private_key=rsa_key)
    token = issuer.issue(DEPUTY, ROOM, WINDOW, NOW)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"typ": "JWT", "alg": "RS256", "kid": "rada/key-1"}
    assert issuer.public_key_pem() is not None
    issuer.verifier().verify(token, room=ROOM, now=NOW)


def test_rs256_refuses_hs256_signed_with_the_public_key(
    rsa_key: rsa.RSAPrivateKey, claims: dict[str, Any]
) -> None:
    """Algorithm confusion (HS256 keyed with the public PEM) is refused by alg."""
    issuer = TokenIssuer(rs_settings(), private_key=rsa_key)
    signing_input = f"{b64({'typ': 'JWT', 'alg': 'HS256', 'kid': 'rada/key-1'})}.{b64(claims)}"
    sig = hmac.new(issuer.public_key_pem() or b"", signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(sig).rstrip(b"=").decode()
    with pytest.raises(TokenRefused, match="alg"):
        issuer.verifier().verify(token, room=ROOM, now=NOW)


@pytest.mark.parametrize("kid", [None, "other-key"])
def test_rs256_unknown_or_missing_kid_is_refused(
    rsa_key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str | None
) -> None:
    """An RS256 token whose kid rada does not serve is refused."""
    issuer = TokenIssuer(rs_settings(), private_key=rsa_key)
    headers = {"typ": "JWT"} | ({"kid": kid} if kid else {})
    token = jwt.encode(claims, rsa_key, algorithm="RS256", headers=headers)
    with pytest.raises(TokenRefused, match="kid"):
        issuer.verifier().verify(token, room=ROOM, now=NOW)


def test_key_file_name_is_hex_sha256_of_kid() -> None:
    """Prosody fetches <asap_key_server>/<hex sha256(kid)>.pem."""
    assert (
        key_file_name("abc")
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.pem"
    )


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"RADA_JITSI_APP_SECRET": "short"}, "RADA_JITSI_APP_SECRET"),
        ({"RADA_JITSI_ALG": "none"}, "RADA_JITSI_ALG"),
        ({"RADA_JITSI_ACCEPTED_ISSUERS": "someone"}, "RADA_JITSI_ACCEPTED_ISSUERS"),
        ({"RADA_JITSI_ALG": "RS256"}, "RADA_JITSI_KID"),
    ],
)
def test_settings_refuse_unsafe_configuration(env: dict[str, str], field: str) -> None:
    """A short secret, alg none, an app id not accepted, RS256 without key: refused at start."""
    with pytest.raises(SettingsError, match=field):
        hs_settings(**env)


def test_email_is_kept_out_of_the_call_by_default() -> None:
    """By default the token carries an empty e-mail (Prosody shows token user fields to every
    occupant, press included) and still verifies; RADA_JITSI_TOKEN_EMAIL=true puts it in."""
    for settings, email in (
        (hs_settings(), ""),
        (hs_settings(RADA_JITSI_TOKEN_EMAIL="true"), DEPUTY.email),
    ):
        issuer = TokenIssuer(settings)
        token = issuer.issue(DEPUTY, ROOM, WINDOW, NOW)
        claims = issuer.verifier().verify(token, room=ROOM, now=NOW)
        assert claims["context"]["user"]["email"] == email
    with pytest.raises(SettingsError, match="RADA_JITSI_TOKEN_EMAIL"):
        hs_settings(RADA_JITSI_TOKEN_EMAIL="maybe")


def test_secret_not_in_repr() -> None:
    """Secrets never appear in the settings' repr (logs)."""
    text = repr(hs_settings(RADA_JITSI_EVENT_SECRET="e" * 40))
    assert SECRET not in text
    assert "e" * 40 not in text
