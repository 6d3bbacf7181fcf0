"""Personal links: unguessable, stored as a digest, expiring, revocable, single-purpose."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from identity import links
from identity.links import LinkState, Purpose, StoredLink

END = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
BEFORE = END - timedelta(hours=3)


def stored_for(issued: links.IssuedLink, **changes: object) -> StoredLink:
    base = StoredLink(
        digest=issued.digest,
        session_id=uuid4(),
        participant_id=uuid4(),
        purpose=Purpose.JOIN,
        expires_at=issued.expires_at,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_token_is_256_bits_url_safe_and_only_digest_kept() -> None:
    """The token is 43 URL-safe characters; the digest is its SHA-256, not the token."""
    issued = links.issue(END)
    assert links.looks_like_token(issued.token)
    assert issued.digest == links.digest(issued.token)
    assert issued.token.encode() not in issued.digest
    assert len(issued.digest) == 32


def test_tokens_do_not_repeat() -> None:
    """Each issue draws fresh randomness."""
    assert len({links.issue(END).token for _ in range(200)}) == 200


@pytest.mark.parametrize(
    ("now", "changes", "state"),
    [
        (BEFORE, {}, LinkState.VALID),
        (END, {}, LinkState.VALID),
        (END + links.EXPIRY_GRACE - timedelta(seconds=1), {}, LinkState.VALID),
        (END + links.EXPIRY_GRACE, {}, LinkState.EXPIRED),
        (BEFORE, {"revoked_at": BEFORE - timedelta(seconds=1)}, LinkState.REVOKED),
        (BEFORE, {"revoked_at": BEFORE}, LinkState.REVOKED),
        (BEFORE, {"revoked_at": BEFORE + timedelta(seconds=1)}, LinkState.VALID),
        (BEFORE, {"digest": b"\0" * 32}, LinkState.UNKNOWN),
    ],
)
def test_link_states(now: datetime, changes: dict[str, object], state: LinkState) -> None:
    """Valid until planned end plus grace, revoked from the moment of revocation."""
    issued = links.issue(END)
    assert links.check(stored_for(issued, **changes), issued.token, now) is state


def test_unknown_when_nothing_stored() -> None:
    """A token with no stored link is unknown."""
    assert links.check(None, links.issue(END).token, BEFORE) is LinkState.UNKNOWN


def test_another_token_does_not_match() -> None:
    """A different token presented against a stored link is unknown."""
    issued = links.issue(END)
    assert links.check(stored_for(issued), links.issue(END).token, BEFORE) is LinkState.UNKNOWN


@pytest.mark.parametrize("text", ["", "short", "x" * 43 + "y", "a" * 42 + "!", "../" * 14 + "a"])
def test_shape_check_refuses_non_tokens(text: str) -> None:
    """Anything that is not 43 URL-safe characters is refused before any lookup."""
    assert not links.looks_like_token(text)
