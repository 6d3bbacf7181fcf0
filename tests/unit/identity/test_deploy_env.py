"""deploy/jitsi.env.example agrees with JitsiSettings and with what Prosody will check."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from identity.tokens import SessionWindow, TokenIssuer, TokenSubject, TokenVerifier, new_room_name
from orchestrator.kernel.settings import Settings, SettingsError
from orchestrator.kernel.settings.identity import JitsiSettings, SignInSettings
from orchestrator.kernel.web.auth import Role

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
REFERENCE = re.compile(r"\$\{(\w+)\}")


def parse_env(text: str) -> dict[str, str]:
    """KEY=VALUE lines as docker compose reads them, with ${VAR} expanded from earlier lines."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=VALUE: {line!r}"
        assert key not in values, f"{key} set twice"
        values[key] = REFERENCE.sub(lambda m: values[m.group(1)], value)
    return values


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return parse_env((DEPLOY / "jitsi.env.example").read_text())


@pytest.fixture(scope="module")
def raw() -> dict[str, str]:
    text = (DEPLOY / "jitsi.env.example").read_text()
    return dict(
        line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#")
    )


class Recording(Mapping[str, str]):
    """An environment that remembers which names the settings asked for."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = dict(values)
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self.values[key]

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return self.values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


def test_every_rada_jitsi_variable_is_documented_and_read(env: dict[str, str]) -> None:
    """The example sets exactly the RADA_JITSI_* variables that JitsiSettings reads."""
    recording = Recording(env)
    Settings.from_env(recording)
    read = {k for k in recording.asked if k.startswith("RADA_JITSI_")}
    documented = {k for k in env if k.startswith("RADA_JITSI_")}
    assert read == documented


@pytest.mark.parametrize(
    ("rada", "jitsi"),
    [
        ("RADA_JITSI_APP_ID", "JWT_APP_ID"),
        ("RADA_JITSI_APP_SECRET", "JWT_APP_SECRET"),
        ("RADA_JITSI_ACCEPTED_ISSUERS", "JWT_ACCEPTED_ISSUERS"),
        ("RADA_JITSI_ACCEPTED_AUDIENCES", "JWT_ACCEPTED_AUDIENCES"),
        ("RADA_JITSI_XMPP_DOMAIN", "XMPP_DOMAIN"),
        ("RADA_JITSI_EVENT_SECRET", "EVENT_SYNC_SECRET"),
    ],
)
def test_shared_values_are_one_variable(raw: dict[str, str], rada: str, jitsi: str) -> None:
    """Each value both sides need is written once and referenced by rada's variable."""
    assert raw[rada] == "${" + jitsi + "}"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENABLE_AUTH", "1"),
        ("AUTH_TYPE", "jwt"),
        ("ENABLE_GUESTS", "0"),
        ("ENABLE_AUTO_OWNER", "false"),
        ("WAIT_FOR_HOST_DISABLE_AUTO_OWNERS", "true"),
        ("JWT_ALLOW_EMPTY", "0"),
        ("ENABLE_RECORDING", "1"),
    ],
)
def test_jitsi_is_locked_down(env: dict[str, str], name: str, value: str) -> None:
    """Token auth on, no guests, no automatic moderators (DESIGN: Jitsi facts)."""
    assert env[name] == value


def test_token_affiliation_is_loaded(env: dict[str, str]) -> None:
    """Moderator rights come from context.user.affiliation through mod_token_affiliation."""
    assert "token_affiliation" in env["XMPP_MUC_MODULES"].split(",")


def test_domains_and_event_prefix_agree(env: dict[str, str]) -> None:
    """rada loads external_api.js from PUBLIC_URL's host and serves event_sync's api_prefix."""
    assert env["PUBLIC_URL"] == "https://" + env["RADA_JITSI_DOMAIN"]
    assert env["EVENT_SYNC_API_PREFIX"].endswith(env["RADA_JITSI_EVENTS_PREFIX"])
    assert env["EVENT_SYNC_API_PREFIX"].startswith("https://")


def test_rada_tokens_pass_prosodys_configuration(env: dict[str, str]) -> None:
    """A token rada issues from this file passes a verifier configured as Prosody is."""
    rada = Settings.from_env(env).jitsi
    prosody = JitsiSettings.from_env(
        {
            "RADA_JITSI_APP_ID": env["JWT_APP_ID"],
            "RADA_JITSI_APP_SECRET": env["JWT_APP_SECRET"],
            "RADA_JITSI_ACCEPTED_ISSUERS": env["JWT_ACCEPTED_ISSUERS"],
            "RADA_JITSI_ACCEPTED_AUDIENCES": env["JWT_ACCEPTED_AUDIENCES"],
            "RADA_JITSI_XMPP_DOMAIN": env["XMPP_DOMAIN"],
        }
    )
    now = datetime.now(UTC)
    room = new_room_name()
    subject = TokenSubject(uuid4(), "Бондар", "Ірина", "i.bondar@example.gov.ua", Role.DEPUTY)
    token = TokenIssuer(rada).issue(
        subject, room, SessionWindow(now, now + timedelta(hours=2)), now
    )
    TokenVerifier(prosody).verify(token, room=room, now=now)


def test_event_sync_template_uses_the_shared_variables(env: dict[str, str]) -> None:
    """The Prosody component snippet sends the same secret to the same prefix rada serves."""
    template = (DEPLOY / "prosody" / "event_sync.cfg.lua.tpl").read_text()
    assert '"event_sync_component"' in template
    assert 'api_prefix = "${EVENT_SYNC_API_PREFIX}"' in template
    assert '["Authorization"] = "Bearer ${EVENT_SYNC_SECRET}"' in template
    assert set(REFERENCE.findall(template)) <= set(env)


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", None, "203.0.113.9"),
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: the header is ignored
        ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
        ("10.0.0.2", "198.51.100.66, 198.51.100.1, 10.0.0.3", "198.51.100.1"),
        ("10.0.0.2", None, "10.0.0.2"),
        (None, None, "unknown"),
    ],
)
def test_client_address_trusts_only_configured_proxies(
    peer: str | None, forwarded: str | None, client: str
) -> None:
    """X-Forwarded-For counts only from a trusted proxy, and only its untrusted last hop."""
    settings = SignInSettings.from_env({"RADA_TRUSTED_PROXIES": "10.0.0.2, 10.0.0.3"})
    assert settings.client_address(peer, forwarded) == client


def test_trusted_proxies_must_be_addresses() -> None:
    """A host name in RADA_TRUSTED_PROXIES is refused at start-up."""
    with pytest.raises(SettingsError, match="RADA_TRUSTED_PROXIES"):
        SignInSettings.from_env({"RADA_TRUSTED_PROXIES": "proxy.local"})
