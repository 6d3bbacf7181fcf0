"""HLS playlists over the parts of a session. Pure code.

ffmpeg writes one byte-range playlist per part (``part-NNNN.m3u8``: an ``EXT-X-MAP`` init
section and one segment per fragment, all in ``part-NNNN.mp4``). :func:`render` joins the parts
into the session's playlist: the live one (``EVENT``, growing) during the session, ended with
``EXT-X-ENDLIST`` at close so a player following it stops there, and the archive one (``VOD``
with ``EXT-X-ENDLIST``) at close. Every segment carries its
``EXT-X-PROGRAM-DATE-TIME`` (the part's wall-clock start plus the durations before it), and a
part that follows another begins with ``EXT-X-DISCONTINUITY`` (its timestamps restart and there
is a gap in the wall clock).

Every URI is the part's file name, relative to the playlist: the playlists work wherever they
sit beside the parts (the recorder's media folder, ``/recordings/<session>/``, and the archive's
``parts/`` folder, on disk, over HTTP and in a downloaded copy).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


@dataclass(frozen=True, slots=True)
class ByteRange:
    length: int
    offset: int

    def __str__(self) -> str:
        return f"{self.length}@{self.offset}"

    @property
    def end(self) -> int:
        return self.offset + self.length


@dataclass(frozen=True, slots=True)
class Segment:
    duration: float  # seconds
    uri: str
    byterange: ByteRange | None = None


@dataclass(frozen=True, slots=True)
class MediaPlaylist:
    """One part's playlist as ffmpeg wrote it."""

    map_uri: str | None
    map_range: ByteRange | None
    segments: tuple[Segment, ...]
    ended: bool

    @property
    def duration_ms(self) -> int:
        return round(sum(s.duration for s in self.segments) * 1000)


@dataclass(frozen=True, slots=True)
class PartTimeline:
    """A part as the session playlist needs it."""

    started_at: datetime
    playlist: MediaPlaylist


def _attributes(text: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for piece in _split_attributes(text):
        key, _, value = piece.partition("=")
        result[key.strip()] = value.strip().strip('"')
    return result


def _split_attributes(text: str) -> list[str]:
    pieces, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            pieces.append(current)
            current = ""
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def _byterange(text: str, previous_end: int) -> ByteRange:
    length, _, offset = text.partition("@")
    return ByteRange(int(length), int(offset) if offset else previous_end)


def parse(text: str) -> MediaPlaylist:
    """Parse a media playlist. Only complete lines count: a playlist being rewritten while we
    read it yields its complete prefix."""
    lines = text.split("\n")
    if lines and not text.endswith("\n"):
        lines = lines[:-1]
    map_uri: str | None = None
    map_range: ByteRange | None = None
    segments: list[Segment] = []
    duration: float | None = None
    pending_range: ByteRange | None = None
    previous_end = 0
    ended = False
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#EXT-X-MAP:"):
            attrs = _attributes(line.removeprefix("#EXT-X-MAP:"))
            map_uri = attrs.get("URI")
            if "BYTERANGE" in attrs:
                map_range = _byterange(attrs["BYTERANGE"], 0)
        elif line.startswith("#EXTINF:"):
            duration = float(line.removeprefix("#EXTINF:").split(",", 1)[0])
        elif line.startswith("#EXT-X-BYTERANGE:"):
            pending_range = _byterange(line.removeprefix("#EXT-X-BYTERANGE:"), previous_end)
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif not line.startswith("#") and duration is not None:
            segments.append(Segment(duration, line, pending_range))
            if pending_range is not None:
                previous_end = pending_range.end
            duration, pending_range = None, None
    return MediaPlaylist(map_uri, map_range, tuple(segments), ended)


def with_tail(playlist: MediaPlaylist, *, file_size: int, total_ms: int) -> MediaPlaylist:
    """A crashed part may hold one more complete fragment than its playlist lists (killed
    between writing the fragment and rewriting the playlist): add it as a last segment whose
    duration is the rest of the measured total."""
    if not playlist.segments or playlist.segments[-1].byterange is None:
        return playlist
    last = playlist.segments[-1]
    assert last.byterange is not None
    listed_ms = playlist.duration_ms
    if file_size <= last.byterange.end or total_ms <= listed_ms:
        return playlist
    tail = Segment(
        (total_ms - listed_ms) / 1000,
        last.uri,
        ByteRange(file_size - last.byterange.end, last.byterange.end),
    )
    return MediaPlaylist(
        playlist.map_uri, playlist.map_range, (*playlist.segments, tail), playlist.ended
    )


def within(playlist: MediaPlaylist, file_size: int) -> MediaPlaylist:
    """Only the segments the file really holds (a failed write leaves the playlist ahead of
    the file: ffmpeg's HLS muxer does not stop on write errors)."""
    kept = tuple(
        s for s in playlist.segments if s.byterange is None or s.byterange.end <= file_size
    )
    if len(kept) == len(playlist.segments):
        return playlist
    return MediaPlaylist(playlist.map_uri, playlist.map_range, kept, playlist.ended)


def program_date_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def render(parts: Sequence[PartTimeline], *, final: bool, ended: bool = False) -> str:
    """The session playlist over ``parts`` (in order): ``EVENT`` while live, ``VOD`` when
    ``final``; ``EXT-X-ENDLIST`` when ``final`` or ``ended`` (the live playlist at close)."""
    longest = max((s.duration for p in parts for s in p.playlist.segments), default=1.0)
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest - 1e-6))}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        f"#EXT-X-PLAYLIST-TYPE:{'VOD' if final else 'EVENT'}",
        "#EXT-X-INDEPENDENT-SEGMENTS",
    ]
    first = True
    for part in parts:
        if not part.playlist.segments:
            continue
        if not first:
            lines.append("#EXT-X-DISCONTINUITY")
        first = False
        if part.playlist.map_uri is not None:
            byterange = f',BYTERANGE="{part.playlist.map_range}"' if part.playlist.map_range else ""
            lines.append(f'#EXT-X-MAP:URI="{part.playlist.map_uri}"{byterange}')
        elapsed = 0.0
        for segment in part.playlist.segments:
            at = part.started_at + timedelta(seconds=elapsed)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{program_date_time(at)}")
            lines.append(f"#EXTINF:{segment.duration:.6f},")
            if segment.byterange is not None:
                lines.append(f"#EXT-X-BYTERANGE:{segment.byterange}")
            lines.append(segment.uri)
            elapsed += segment.duration
    if final or ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"
