"""HLS: ffmpeg's per-part playlists joined into the live and archive playlists."""

from __future__ import annotations

from datetime import UTC, datetime

from recording.media.hls import (
    ByteRange,
    MediaPlaylist,
    PartTimeline,
    Segment,
    parse,
    render,
    with_tail,
    within,
)

PART1 = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:EVENT
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="part-0001.mp4",BYTERANGE="1354@0"
#EXTINF:2.000000,
#EXT-X-BYTERANGE:14245@1354
part-0001.mp4
#EXTINF:1.500000,
#EXT-X-BYTERANGE:9000
part-0001.mp4
#EXT-X-ENDLIST
"""


def test_parse_byterange_playlist() -> None:
    """MAP, durations, explicit and implicit byte-range offsets, ENDLIST."""
    playlist = parse(PART1)
    assert playlist.map_uri == "part-0001.mp4"
    assert playlist.map_range == ByteRange(1354, 0)
    assert playlist.segments == (
        Segment(2.0, "part-0001.mp4", ByteRange(14245, 1354)),
        Segment(1.5, "part-0001.mp4", ByteRange(9000, 15599)),
    )
    assert playlist.ended and playlist.duration_ms == 3500


def test_parse_ignores_an_incomplete_last_line() -> None:
    """A playlist caught mid-write yields its complete prefix."""
    cut = PART1[: PART1.index("#EXTINF:1.5")] + "#EXTINF:1.5000"
    assert len(parse(cut).segments) == 1


def test_render_live_and_archive() -> None:
    """Each part has its MAP and program date-times; a discontinuity before the second part;
    the archive is VOD with ENDLIST, the live one an EVENT without it."""
    part2 = PART1.replace("part-0001", "part-0002").replace("#EXTINF:2.000000", "#EXTINF:2.400000")
    parts = [
        PartTimeline(datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC), parse(PART1)),
        PartTimeline(datetime(2026, 11, 23, 10, 1, 0, 250000, tzinfo=UTC), parse(part2)),
    ]
    archive = render(parts, final=True)
    assert archive.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:3",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="part-0001.mp4",BYTERANGE="1354@0"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T10:00:00.000Z",
        "#EXTINF:2.000000,",
        "#EXT-X-BYTERANGE:14245@1354",
        "part-0001.mp4",
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T10:00:02.000Z",
        "#EXTINF:1.500000,",
        "#EXT-X-BYTERANGE:9000@15599",
        "part-0001.mp4",
        "#EXT-X-DISCONTINUITY",
        '#EXT-X-MAP:URI="part-0002.mp4",BYTERANGE="1354@0"',
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T10:01:00.250Z",
        "#EXTINF:2.400000,",
        "#EXT-X-BYTERANGE:14245@1354",
        "part-0002.mp4",
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-23T10:01:02.650Z",
        "#EXTINF:1.500000,",
        "#EXT-X-BYTERANGE:9000@15599",
        "part-0002.mp4",
        "#EXT-X-ENDLIST",
    ]
    live = render(parts[:1], final=False)
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in live and "ENDLIST" not in live
    assert "DISCONTINUITY" not in live
    ended = render(parts, final=False, ended=True)
    assert ended.splitlines()[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-PLAYLIST-TYPE:EVENT" in ended and ended.count("#EXT-X-DISCONTINUITY") == 1
    # everything but the type and the end is the archive's: a follower sees the same stream
    assert ended.replace("EVENT", "VOD") == archive


def test_render_skips_parts_without_segments() -> None:
    """A part whose playlist lists nothing yet adds neither MAP nor discontinuity."""
    empty = PartTimeline(datetime(2026, 1, 1, tzinfo=UTC), MediaPlaylist(None, None, (), False))
    text = render([empty, PartTimeline(datetime(2026, 1, 1, tzinfo=UTC), parse(PART1))], final=True)
    assert "DISCONTINUITY" not in text and text.count("#EXT-X-MAP") == 1


def test_tail_of_a_crashed_part() -> None:
    """A complete fragment written after the playlist's last rewrite becomes a last segment."""
    playlist = parse(PART1)
    extended = with_tail(playlist, file_size=30_000, total_ms=4_700)
    assert extended.segments[-1] == Segment(
        1.2, "part-0001.mp4", ByteRange(30_000 - 24_599, 24_599)
    )
    assert with_tail(playlist, file_size=24_599, total_ms=4_700) == playlist


def test_within_drops_segments_the_file_does_not_hold() -> None:
    """After failed writes the playlist lists bytes the file lacks: they are not archived."""
    playlist = parse(PART1)
    assert within(playlist, 24_599) == playlist
    assert [s.byterange for s in within(playlist, 24_598).segments] == [ByteRange(14245, 1354)]
    assert within(playlist, 0).segments == ()
