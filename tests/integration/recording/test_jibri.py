"""Jibri control against a fake Jibri speaking Jibri's HTTP API and pushing real RTMP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from orchestrator.kernel.journal import events as ev
from recording.errors import JibriUnavailable
from recording.jibri.client import JibriLogin, JibriPool
from tests.fakes.fake_jibri import FakeJibri
from tests.integration.recording.conftest import MakeRecorder

LOGIN = JibriLogin("recorder.meet.jitsi", "recorder", "jibri-secret")
Serve = Callable[[FakeJibri], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    servers: list[TestServer] = []

    async def start(fake: FakeJibri) -> str:
        server = TestServer(fake.app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()


async def test_pool_moves_past_a_busy_jibri_streams_and_stops(
    make_recorder: MakeRecorder, serve: Serve
) -> None:
    """412 from the first Jibri → the second starts streaming to the session's ingest URL (the
    recording starts), health reports it busy, stopService ends the stream and the part."""
    recorder, sink = await make_recorder()
    busy, idle = FakeJibri(busy=True), FakeJibri()
    urls = [await serve(busy), await serve(idle)]
    async with aiohttp.ClientSession() as http:
        pool = JibriPool(http, urls, LOGIN)
        handle = await pool.start(
            session_id="s-1", call_base_url="https://meet.example.org", room="rada-1",
            stream_url=recorder.ingest_url(),
        )  # fmt: skip
        assert handle.base_url == urls[1]
        assert len(busy.requests) == 1 and len(idle.requests) == 1
        sent = idle.requests[0]
        assert sent["sinkType"] == "stream"
        assert sent["youTubeStreamKey"] == recorder.ingest_url()
        assert sent["callParams"]["callUrlInfo"] == {
            "baseUrl": "https://meet.example.org",
            "callName": "rada-1",
        }
        assert sent["callLoginParams"]["username"] == "recorder"
        await sink.wait_for(ev.RECORDING_STARTED)
        assert (await pool.health(urls[1])).busy_status == "BUSY"

        await pool.stop(handle)
        closed = await sink.wait_for(ev.PART_CLOSED)
        assert closed.payload["part"] == 1
        assert (await pool.health(urls[1])).busy_status == "IDLE"
    await recorder.close([])


async def test_jibri_dying_is_a_recording_loss(make_recorder: MakeRecorder, serve: Serve) -> None:
    """SIGKILL of the fake Jibri's ffmpeg (an outage) → recording_lost; all busy → refused."""
    recorder, sink = await make_recorder()
    fake = FakeJibri()
    url = await serve(fake)
    async with aiohttp.ClientSession() as http:
        pool = JibriPool(http, [url], LOGIN)
        await pool.start(
            session_id="s-2", call_base_url="https://meet.example.org", room="rada-2",
            stream_url=recorder.ingest_url(),
        )  # fmt: skip
        await sink.wait_for(ev.RECORDING_STARTED)
        with pytest.raises(JibriUnavailable):  # the only Jibri is busy with this call
            await pool.start(
                session_id="s-3", call_base_url="https://meet.example.org", room="rada-3",
                stream_url=recorder.ingest_url(),
            )  # fmt: skip
        await fake.die()
        lost = await sink.wait_for(ev.RECORDING_LOST)
        assert lost.payload["cause"] == "stall"
    await recorder.close([])
