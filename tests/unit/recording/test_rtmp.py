"""The RTMP reader the gate uses to check stream keys and count delivered frames."""

from __future__ import annotations

import pytest

from recording.media.rtmp import (
    Command,
    Media,
    PublisherReader,
    RtmpProtocolError,
    encode_amf0,
    judge,
)

HANDSHAKE = b"\x03" + bytes(1536) + bytes(1536)


def message(
    csid: int, type_id: int, payload: bytes, *, chunk_size: int = 128, ts: int = 0
) -> bytes:
    """One message as a client sends it: a type-0 header, then type-3 continuation chunks."""
    header = bytes([csid]) + ts.to_bytes(3, "big") + len(payload).to_bytes(3, "big")
    header += bytes([type_id]) + (1).to_bytes(4, "little")
    out = bytearray(header + payload[:chunk_size])
    for start in range(chunk_size, len(payload), chunk_size):
        out += bytes([0xC0 | csid]) + payload[start : start + chunk_size]
    return bytes(out)


def video_fmt1(csid: int, payload: bytes, delta: int = 40) -> bytes:
    """A video message with a type-1 header (same stream as the previous one on csid)."""
    return (
        bytes([0x40 | csid])
        + delta.to_bytes(3, "big")
        + len(payload).to_bytes(3, "big")
        + b"\x09"
        + payload
    )


CONNECT = encode_amf0(
    "connect",
    1,
    {
        "app": "live",
        "tcUrl": "rtmp://127.0.0.1:1935/live",
        "flashVer": "FMLE/3.0 (compatible; Lavf)",
        "x": "y" * 100,
    },
)
PUBLISH = encode_amf0("publish", 5, None, "k3y", "live")
AVC_CONFIG = b"\x17\x00" + bytes(30)
AVC_KEY = b"\x17\x01" + bytes(300)
AVC_INTER = b"\x27\x01" + bytes(200)


def publisher_bytes() -> bytes:
    chunk_size = 4096
    return (
        HANDSHAKE
        + message(3, 20, CONNECT)  # longer than 128: split into continuation chunks
        + message(2, 1, chunk_size.to_bytes(4, "big"))
        + message(3, 20, PUBLISH, chunk_size=chunk_size)
        + message(4, 18, encode_amf0("@setDataFrame", "onMetaData"), chunk_size=chunk_size)
        + message(6, 9, AVC_CONFIG, chunk_size=chunk_size)
        + video_fmt1(6, AVC_KEY)
        + message(7, 8, b"\xaf\x01" + bytes(100), chunk_size=chunk_size)
        + video_fmt1(6, AVC_INTER)
    )


def test_reads_commands_and_media_across_chunks_and_chunk_size_change() -> None:
    """connect split over 128-byte chunks, Set Chunk Size, publish, then media messages."""
    out = PublisherReader().feed(publisher_bytes())
    commands = [m for m in out if isinstance(m, Command)]
    assert [c.name for c in commands] == ["connect", "publish"]
    assert commands[0].args[0]["app"] == "live"
    assert commands[1].args == (None, "k3y", "live")
    media = [m for m in out if isinstance(m, Media)]
    assert [(m.kind, m.frame, m.keyframe) for m in media] == [
        ("video", False, True),  # AVC sequence header: not a frame
        ("video", True, True),
        ("audio", True, False),
        ("video", True, False),
    ]


def test_byte_by_byte_feeding_gives_the_same_messages() -> None:
    """The reader is incremental: any split of the stream yields the same messages."""
    data = publisher_bytes()
    reader = PublisherReader()
    out = [m for i in range(len(data)) for m in reader.feed(data[i : i + 1])]
    assert out == PublisherReader().feed(data)


def test_extended_timestamp_is_skipped() -> None:
    """A timestamp of 0xFFFFFF carries a 4-byte extended timestamp after the header."""
    payload = AVC_KEY
    header = bytes([6]) + b"\xff\xff\xff" + len(payload).to_bytes(3, "big") + b"\x09" + bytes(4)
    data = HANDSHAKE + header + (0x01020304).to_bytes(4, "big") + payload[:128]
    data += bytes([0xC6]) + (0x01020304).to_bytes(4, "big") + payload[128:256]
    data += bytes([0xC6]) + (0x01020304).to_bytes(4, "big") + payload[256:]
    (media,) = PublisherReader().feed(data)
    assert media == Media("video", len(payload), frame=True, keyframe=True)


@pytest.mark.parametrize(
    "data",
    [
        b"\x06" + bytes(3072),  # RTMPE (encrypted) handshake
        HANDSHAKE + b"\x43" + bytes(10),  # a continuation header on an unknown chunk stream
    ],
)
def test_malformed_streams_are_errors(data: bytes) -> None:
    """What the reader cannot follow is refused rather than relayed blindly."""
    with pytest.raises(RtmpProtocolError):
        PublisherReader().feed(data)


def connect(app: str) -> Command:
    return Command("connect", 1, ({"app": app},))


def publish(name: str) -> Command:
    return Command("publish", 5, (None, name, "live"))


@pytest.mark.parametrize(
    ("commands", "allowed", "reason"),
    [
        ([connect("live")], None, ""),
        ([connect("live"), publish("k3y")], True, ""),
        ([connect("live"), publish("k3y?token=x")], True, ""),
        ([connect("live/"), publish("k3y")], True, ""),
        ([connect("live"), publish("wrong")], False, "wrong_key"),
        ([connect("live"), publish("k3y-and-more")], False, "wrong_key"),
        ([connect("other"), publish("k3y")], False, "wrong_app"),
        ([publish("k3y")], False, "wrong_app"),
        ([connect("live"), Command("play", 4, (None, "k3y"))], False, "play_refused"),
    ],
)
def test_judge(commands: list[Command], allowed: bool | None, reason: str) -> None:
    """Only connect to app "live" followed by publish of the session's key is allowed."""
    verdict = judge(commands, app="live", key="k3y", previous_app=None)
    assert (verdict.allowed, verdict.reason) == (allowed, reason)


def test_interleaved_continuation_chunks() -> None:
    """A long video message in 128-byte chunks with an audio message between its chunks (RTMP
    interleaves chunk streams) gives both messages, whole."""
    video = message(6, 9, b"\x27\x01" + bytes(1000))
    first_chunk_end = 12 + 128
    audio = message(7, 8, b"\xaf\x01" + bytes(60))
    data = HANDSHAKE + message(3, 20, CONNECT) + video[:first_chunk_end] + audio
    data += video[first_chunk_end:]
    out = PublisherReader().feed(data)
    assert [(m.kind, m.size) for m in out if isinstance(m, Media)] == [
        ("audio", 62),
        ("video", 1002),
    ]


def test_runs_of_continuation_chunks_split_anywhere() -> None:
    """Long video messages skipped a run of chunks at a time (R9: every frame counted) give the
    same messages however the bytes arrive, with another chunk stream cutting into a run."""
    video = message(6, 9, b"\x27\x01" + bytes(128 * 20 + 5))
    cut = 12 + 128 + 9 * 129  # after the 10th chunk of the video message
    audio = message(7, 8, b"\xaf\x01" + bytes(60))
    data = HANDSHAKE + message(3, 20, CONNECT) + video[:cut] + audio + video[cut:] + video
    expected = [("audio", 62), ("video", 2567), ("video", 2567)]
    for size in (1, 7, 128, 129, 130, 1000, len(data)):
        reader = PublisherReader()
        out = [m for i in range(0, len(data), size) for m in reader.feed(data[i : i + size])]
        assert [(m.kind, m.size) for m in out if isinstance(m, Media)] == expected
