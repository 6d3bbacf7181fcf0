"""SRT ingest (``RADA_RECORDING_INGEST=srt``): the session's pool port, held over UDP.

With SRT there is no gate. Each part's ffmpeg listens on the session's public port itself
(``srt://HOST:PORT?mode=listener``), and the key check is SRT's own: the listener requires AES
encryption with a passphrase derived from the session's stream key (``enforced_encryption``),
so a caller with a wrong or no passphrase is refused in the SRT handshake, before ffmpeg reads a
byte; ffmpeg keeps listening for the rightful caller. What SRT does not give: a count of the
frames delivered (the gate counts RTMP frames; an SRT part has ``frames_received`` None), nor a
choice of the key length (the sender picks it; the URL asks for AES-256, a caller set to
AES-128 with the right passphrase is accepted).

Between two parts no ffmpeg holds the UDP port, so :class:`UdpPort` holds it for the session
(another recorder cannot take it) and lets go only while an ffmpeg runs.
"""

from __future__ import annotations

import errno
import hashlib
import socket
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

from recording.errors import NoIngestPort

PBKEYLEN = 32  # AES-256
PASSPHRASE_CHARS = 40  # SRT takes 10..79 characters (ffmpeg's libsrt checks 10..64)


def passphrase(key: str) -> str:
    """The session's SRT passphrase: derived from its stream key (hex, URL-safe, fixed length
    whatever the key's length)."""
    digest = hashlib.sha256(b"rada srt passphrase\x00" + key.encode()).hexdigest()
    return digest[:PASSPHRASE_CHARS]


def url(host: str, port: int, params: Mapping[str, object]) -> str:
    """``srt://host:port?…`` (the query form ffmpeg, OBS and srt-live-transmit read)."""
    return f"srt://{host}:{port}?{urlencode(params)}"


def caller_url(host: str, port: int, key: str) -> str:
    """What a caller (OBS, a hall encoder) pushes MPEG-TS to."""
    return url(host, port, {"mode": "caller", "passphrase": passphrase(key), "pbkeylen": PBKEYLEN})


class UdpPort:
    """The session's UDP port from the pool, bound by rada while no ffmpeg listens on it."""

    def __init__(self, host: str, ports: Sequence[int]) -> None:
        self._host = host
        self._ports = tuple(ports)
        self._socket: socket.socket | None = None
        self.port: int | None = None

    def take(self, taken: frozenset[int] = frozenset()) -> int:
        """Bind the first free port of the pool (skipping ``taken``); return it."""
        for port in self._ports:
            if port not in taken and self._bind(port):
                self.port = port
                return port
        raise NoIngestPort(f"no free SRT (UDP) port in the pool {list(self._ports)}")

    def release(self) -> None:
        """Let go for the ffmpeg about to bind it (or for good)."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def hold(self) -> bool:
        """Bind it again after an ffmpeg ended; False when something else took it meanwhile."""
        return self.port is not None and (self._socket is not None or self._bind(self.port))

    def _bind(self, port: int) -> bool:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self._host, port))
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
        self._socket = sock
        return True
