"""What a publisher says on an RTMP connection, read from the client's side of the wire.

Pure code (no I/O): :class:`PublisherReader` is fed the bytes a client sends to the server and
returns the commands and media messages they carry. The gate (``gate.py``) uses it to refuse a
connection whose ``publish`` names the wrong stream key before ffmpeg ever sees the command, and
to count the video frames the publisher delivered (R9: the recording must hold everything the
conference sent).

Covers what Jibri's ffmpeg (and any RTMP publisher) sends: the plain handshake (C0 version 3, C1,
C2), chunk headers of all four formats with extended timestamps, ``Set Chunk Size``, AMF0
commands (type 20) and AMF3-wrapped AMF0 commands (type 17), audio (8) and video (9) messages,
including enhanced-RTMP video headers.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass, field
from typing import Any

HANDSHAKE_SIZE = 1536
RTMP_VERSION = 3
DEFAULT_CHUNK_SIZE = 128
MAX_CHUNK_SIZE = 0x7FFFFFFF
MAX_COMMAND_SIZE = 64 * 1024

MSG_SET_CHUNK_SIZE = 1
MSG_AUDIO = 8
MSG_VIDEO = 9
MSG_COMMAND_AMF3 = 17
MSG_COMMAND_AMF0 = 20

_FLV_CODEC_AVC = 7
_FLV_CODEC_HEVC = 12
_AVC_NALU = 1
_EX_CODED_FRAMES = 1
_EX_CODED_FRAMES_X = 3


class RtmpProtocolError(Exception):
    """The client's bytes are not RTMP this reader understands."""


@dataclass(frozen=True, slots=True)
class Command:
    """An AMF command from the client: ``connect``, ``releaseStream``, ``publish``, ``play``…"""

    name: str
    transaction: float
    args: tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class Media:
    """One complete audio or video message. ``frame`` is true for a coded video frame (not a
    sequence header or end-of-sequence marker)."""

    kind: str  # "audio" | "video"
    size: int
    frame: bool
    keyframe: bool


@dataclass(slots=True)
class _ChunkStream:
    timestamp_field: int = 0
    extended: bool = False
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    remaining: int = 0
    keep: bool = False
    payload: bytearray = field(default_factory=bytearray)
    head: bytes = b""


class PublisherReader:
    """Incremental parser of the client-to-server half of an RTMP connection."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._handshake_left = 1 + 2 * HANDSHAKE_SIZE
        self._chunk_size = DEFAULT_CHUNK_SIZE
        self._streams: dict[int, _ChunkStream] = {}

    def feed(self, data: bytes) -> list[Command | Media]:
        """Take the next bytes from the client; return the messages they complete."""
        self._buffer += data
        out: list[Command | Media] = []
        if self._handshake_left:
            fresh = self._handshake_left == 1 + 2 * HANDSHAKE_SIZE
            if fresh and self._buffer and self._buffer[0] != RTMP_VERSION:
                raise RtmpProtocolError(f"unsupported RTMP version {self._buffer[0]}")
            skip = min(self._handshake_left, len(self._buffer))
            del self._buffer[:skip]
            self._handshake_left -= skip
            if self._handshake_left:
                return out
        offset = 0  # consume by offset and compact once: no copy of the buffer per chunk
        while True:
            end, message = self._next_chunk(offset)
            if end == offset:
                break
            offset = end
            if message is not None:
                out.append(message)
        del self._buffer[:offset]
        return out

    def _next_chunk(self, start: int) -> tuple[int, Command | Media | None]:
        """Read the chunk at ``start``; return where it ends (``start`` if incomplete)."""
        buf = self._buffer
        size = len(buf)
        if size <= start:
            return start, None
        first = buf[start]
        fmt = first >> 6
        csid = first & 0x3F
        if fmt == 3 and csid > 1:  # fast path: the next slice of a media message in progress
            known = self._streams.get(csid)
            if known is not None and _skippable(known):
                run = self._skip_run(start, first, known)
                if run:
                    return run, None
                body = min(self._chunk_size, known.remaining)
                if size < start + 1 + body:
                    return start, None
                known.remaining -= body
                done = self._complete(known) if known.remaining == 0 else None
                return start + 1 + body, done
        pos = start + 1
        if csid == 0:
            if size < start + 2:
                return start, None
            csid = buf[start + 1] + 64
            pos = start + 2
        elif csid == 1:
            if size < start + 3:
                return start, None
            csid = buf[start + 1] + buf[start + 2] * 256 + 64
            pos = start + 3
        header_size = (11, 7, 3, 0)[fmt]
        if size < pos + header_size:
            return start, None
        stream = self._streams.get(csid)
        if stream is None:
            if fmt != 0:
                raise RtmpProtocolError(f"chunk stream {csid} starts without a full header")
            stream = _ChunkStream()
        if fmt <= 2:
            timestamp_field = int.from_bytes(buf[pos : pos + 3], "big")
            extended = timestamp_field == 0xFFFFFF
        else:
            timestamp_field, extended = stream.timestamp_field, stream.extended
        length, type_id, stream_id = stream.length, stream.type_id, stream.stream_id
        if fmt <= 1:
            length = int.from_bytes(buf[pos + 3 : pos + 6], "big")
            type_id = buf[pos + 6]
        if fmt == 0:
            stream_id = int.from_bytes(buf[pos + 7 : pos + 11], "little")
        pos += header_size + (4 if extended else 0)
        starting = stream.remaining == 0
        body = min(self._chunk_size, length if starting else stream.remaining)
        if size < pos + body:
            return start, None
        # The whole chunk is here: commit the header to the chunk stream's state.
        self._streams[csid] = stream
        stream.timestamp_field, stream.extended = timestamp_field, extended
        stream.length, stream.type_id, stream.stream_id = length, type_id, stream_id
        if starting:
            stream.remaining = length
            stream.keep = type_id in (MSG_SET_CHUNK_SIZE, MSG_COMMAND_AMF0, MSG_COMMAND_AMF3)
            if stream.keep and length > MAX_COMMAND_SIZE:
                raise RtmpProtocolError(f"command message of {length} bytes")
            stream.payload = bytearray()
            stream.head = b""
        if stream.keep:
            stream.payload += buf[pos : pos + body]
        elif len(stream.head) < 2:
            stream.head = (stream.head + buf[pos : pos + min(body, 2)])[:2]
        stream.remaining -= body
        message = self._complete(stream) if stream.remaining == 0 else None
        return pos + body, message

    def _skip_run(self, start: int, header: int, stream: _ChunkStream) -> int:
        """Skip, in one step, the full-size continuation chunks of ``stream``'s message that
        follow back to back from ``start`` (each a one-byte ``header`` then ``chunk_size``
        bytes), leaving its last chunk to the caller. Returns where the run ends (0: none).

        A publisher such as ffmpeg sends a message's chunks together, so a video frame's ~100
        chunks cost one strided comparison instead of a Python step each; a chunk of another
        chunk stream interleaved in between ends the run where it starts."""
        step = self._chunk_size + 1
        whole = (stream.remaining - 1) // self._chunk_size  # full chunks before the last one
        count = min(whole, (len(self._buffer) - start) // step)
        if count < 2:
            return 0
        headers = bytes(self._buffer[start : start + count * step : step])
        count -= len(headers.lstrip(bytes((header,))))
        stream.remaining -= count * self._chunk_size
        return start + count * step

    def _complete(self, stream: _ChunkStream) -> Command | Media | None:
        if stream.type_id == MSG_SET_CHUNK_SIZE:
            if len(stream.payload) < 4:
                raise RtmpProtocolError("short Set Chunk Size")
            size = int.from_bytes(stream.payload[:4], "big") & MAX_CHUNK_SIZE
            if size < 1:
                raise RtmpProtocolError("chunk size 0")
            self._chunk_size = size
            return None
        if stream.type_id == MSG_COMMAND_AMF0:
            return _command(bytes(stream.payload))
        if stream.type_id == MSG_COMMAND_AMF3:
            return _command(bytes(stream.payload[1:]))
        if stream.type_id == MSG_AUDIO:
            return Media("audio", stream.length, frame=True, keyframe=False)
        if stream.type_id == MSG_VIDEO:
            return _video(stream.head, stream.length)
        return None


def _skippable(stream: _ChunkStream) -> bool:
    """A media message in progress whose first bytes are known: its next chunk is skipped."""
    return (
        bool(stream.remaining) and not stream.keep and not stream.extended and len(stream.head) >= 2
    )


def _video(head: bytes, size: int) -> Media:
    if not head:
        return Media("video", size, frame=False, keyframe=False)
    first = head[0]
    keyframe = (first >> 4) & 0x07 == 1
    if first & 0x80:  # enhanced RTMP: the low nibble is the packet type
        frame = first & 0x0F in (_EX_CODED_FRAMES, _EX_CODED_FRAMES_X)
    elif first & 0x0F in (_FLV_CODEC_AVC, _FLV_CODEC_HEVC):
        frame = len(head) > 1 and head[1] == _AVC_NALU
    else:
        frame = True
    return Media("video", size, frame=frame, keyframe=keyframe)


def _command(payload: bytes) -> Command:
    values, _ = decode_amf0_values(payload)
    if len(values) < 2 or not isinstance(values[0], str):
        raise RtmpProtocolError("command without a name")
    transaction = values[1] if isinstance(values[1], int | float) else 0.0
    return Command(values[0], float(transaction), tuple(values[2:]))


def decode_amf0_values(data: bytes) -> tuple[list[Any], int]:
    """All AMF0 values in ``data`` (the body of a command message)."""
    values: list[Any] = []
    pos = 0
    while pos < len(data):
        value, pos = _amf0(data, pos)
        values.append(value)
    return values, pos


def _need(data: bytes, pos: int, size: int) -> None:
    if pos + size > len(data):
        raise RtmpProtocolError("truncated AMF0 value")


def _amf0(data: bytes, pos: int) -> tuple[Any, int]:
    _need(data, pos, 1)
    marker = data[pos]
    pos += 1
    if marker == 0x00:  # number
        _need(data, pos, 8)
        return struct.unpack(">d", data[pos : pos + 8])[0], pos + 8
    if marker == 0x01:  # boolean
        _need(data, pos, 1)
        return data[pos] != 0, pos + 1
    if marker == 0x02:  # string
        return _amf0_string(data, pos, 2)
    if marker == 0x0C:  # long string
        return _amf0_string(data, pos, 4)
    if marker in (0x03, 0x08):  # object, ECMA array (with a count hint we do not need)
        if marker == 0x08:
            _need(data, pos, 4)
            pos += 4
        return _amf0_properties(data, pos)
    if marker in (0x05, 0x06):  # null, undefined
        return None, pos
    if marker == 0x0A:  # strict array
        _need(data, pos, 4)
        count = int.from_bytes(data[pos : pos + 4], "big")
        pos += 4
        items = []
        for _ in range(count):
            item, pos = _amf0(data, pos)
            items.append(item)
        return items, pos
    if marker == 0x0B:  # date: double + time zone
        _need(data, pos, 10)
        return struct.unpack(">d", data[pos : pos + 8])[0], pos + 10
    raise RtmpProtocolError(f"unsupported AMF0 marker {marker:#x}")


def _amf0_string(data: bytes, pos: int, width: int) -> tuple[str, int]:
    _need(data, pos, width)
    size = int.from_bytes(data[pos : pos + width], "big")
    pos += width
    _need(data, pos, size)
    return data[pos : pos + size].decode("utf-8", errors="replace"), pos + size


def _amf0_properties(data: bytes, pos: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while True:
        _need(data, pos, 3)
        if data[pos : pos + 3] == b"\x00\x00\x09":
            return result, pos + 3
        key, pos = _amf0_string(data, pos, 2)
        result[key], pos = _amf0(data, pos)


def encode_amf0(*values: Any) -> bytes:
    """AMF0 bytes of strings, numbers, booleans, None and flat dicts (for tests and fakes)."""
    out = bytearray()
    for value in values:
        if value is None:
            out += b"\x05"
        elif isinstance(value, bool):
            out += b"\x01" + (b"\x01" if value else b"\x00")
        elif isinstance(value, int | float):
            out += b"\x00" + struct.pack(">d", float(value))
        elif isinstance(value, str):
            raw = value.encode()
            out += b"\x02" + len(raw).to_bytes(2, "big") + raw
        elif isinstance(value, dict):
            out += b"\x03"
            for key, item in value.items():
                raw = key.encode()
                out += len(raw).to_bytes(2, "big") + raw + encode_amf0(item)
            out += b"\x00\x00\x09"
        else:
            raise TypeError(f"cannot encode {type(value).__name__} as AMF0")
    return bytes(out)


@dataclass(frozen=True, slots=True)
class PublishCheck:
    """The verdict on a client's commands so far."""

    allowed: bool | None  # None: not decided yet (no publish seen)
    reason: str = ""
    app: str | None = None
    stream: str | None = None


def judge(commands: list[Command], *, app: str, key: str, previous_app: str | None) -> PublishCheck:
    """Decide whether a publisher may go on: ``connect`` must name ``app``, and ``publish`` the
    session's stream key (the part of the name before any ``?query``). ``play`` is refused: the
    ingest port only receives. ``previous_app`` is the app named by an earlier connect."""
    seen_app = previous_app
    for command in commands:
        if command.name == "connect":
            props = command.args[0] if command.args and isinstance(command.args[0], dict) else {}
            seen_app = str(props.get("app", "")).strip("/")
            if seen_app != app:
                return PublishCheck(False, "wrong_app", seen_app)
        elif command.name in ("play", "play2"):
            return PublishCheck(False, "play_refused", seen_app)
        elif command.name == "publish":
            names = [a for a in command.args if isinstance(a, str)]
            stream = names[0].split("?", 1)[0] if names else ""
            if seen_app != app:
                return PublishCheck(False, "wrong_app", seen_app, stream)
            if not hmac.compare_digest(stream.encode(), key.encode()):
                return PublishCheck(False, "wrong_key", seen_app, stream)
            return PublishCheck(True, "", seen_app, stream)
    return PublishCheck(None, "", seen_app)
