"""One played session and its protocol, shared by the protocol's unit tests."""

from __future__ import annotations

import pytest

from orchestrator.protocol.model import Protocol, build
from tests.journal_builder import PlayedSession, play_session


@pytest.fixture(scope="module")
def played() -> PlayedSession:
    return play_session()


@pytest.fixture(scope="module")
def proto(played: PlayedSession) -> Protocol:
    return build(played.events)
