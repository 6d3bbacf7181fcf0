"""Part numbering and records, crash repair of fragmented MP4, the manifest, the settings."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest

from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.recording import RecordingSettings, parse_ports
from recording.manifest import build
from recording.media.parts import Box, PartRecord, next_part_number, playable_length, walk_boxes

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([], 1),
        (["live.m3u8", "manifest.json"], 1),
        (["part-0001.mp4", "part-0001.json", "part-0002.m3u8"], 3),
        (["part-0009.json"], 10),
        (["part-10000.mp4", "part-0003.mp4"], 10001),
        (["part-0001.mp4.tmp", "xpart-0004.mp4"], 1),
    ],
)
def test_next_part_number_continues_from_disk(names: list[str], expected: int) -> None:
    """A new part never reuses a number any part file on disk already has."""
    assert next_part_number(names) == expected


def test_record_round_trip_and_payload() -> None:
    """The record survives JSON; its payload is the part_closed vocabulary."""
    record = PartRecord(3, T0).close(duration_ms=61_500, size=1234, sha256="ab" * 32)
    assert PartRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    assert record.closed_payload() == {
        "part": 3,
        "file": "part-0003.mp4",
        "started_at": "2026-11-23T10:00:00.000000Z",
        "duration_ms": 61_500,
        "size": 1234,
        "sha256": "ab" * 32,
        "recovered": False,
    }


def box(kind: str, size: int) -> bytes:
    return size.to_bytes(4, "big") + kind.encode() + bytes(size - 8)


def boxes_of(data: bytes) -> list[Box]:
    return list(walk_boxes(lambda offset: data[offset : offset + 16], len(data)))


def test_playable_length_cuts_an_unfinished_fragment() -> None:
    """A crash mid-write leaves a partial box or a moof without its mdat: keep what precedes."""
    init = box("ftyp", 24) + box("moov", 100)
    fragment = box("sidx", 52) + box("moof", 60) + box("mdat", 500)
    whole = init + fragment + fragment
    assert playable_length(boxes_of(whole)) == len(whole)
    assert playable_length(boxes_of(whole[:-10])) == len(init + fragment)
    assert playable_length(boxes_of(init + fragment + box("sidx", 52) + box("moof", 60))) == len(
        init + fragment
    )
    assert playable_length(boxes_of(box("ftyp", 24))) == 0


def test_manifest_lists_parts_and_files_and_hashes_itself() -> None:
    """Canonical JSON of the parts (in order) and archive files; its sha256 is of its bytes."""
    parts = [
        PartRecord(2, T0).close(duration_ms=2000, size=20, sha256="2" * 64),
        PartRecord(1, T0).close(duration_ms=1000, size=10, sha256="1" * 64),
    ]
    session = uuid.UUID(int=7)
    result = build(session, parts, {"index.m3u8": b"#EXTM3U\n"}, generated_at=T0)
    document = json.loads(result.body)
    assert result.sha256 == hashlib.sha256(result.body).hexdigest()
    assert (result.duration_ms, result.parts) == (3000, 2)
    assert [p["file"] for p in document["parts"]] == ["part-0001.mp4", "part-0002.mp4"]
    assert document["files"] == [
        {"file": "index.m3u8", "size": 8, "sha256": hashlib.sha256(b"#EXTM3U\n").hexdigest()}
    ]
    assert build(session, parts, {"index.m3u8": b"#EXTM3U\n"}, generated_at=T0) == result
    with pytest.raises(ValueError, match="closed"):
        build(session, [PartRecord(3, T0)], {}, generated_at=T0)


def test_settings_from_environment() -> None:
    """RADA_RECORDING_* variables, with defaults for the unset ones."""
    settings = RecordingSettings.from_env(
        {
            "RADA_RECORDING_PORTS": "19350-19352,19360",
            "RADA_RECORDING_STALL_SECONDS": "2.5",
            "RADA_RECORDING_JIBRI_URLS": "http://jibri-1:2222/, http://jibri-2:2222",
            "RADA_RECORDING_JIBRI_PASSWORD": "s3cret",
        }
    )
    assert settings.ports == (19350, 19351, 19352, 19360)
    assert settings.stall_seconds == 2.5
    assert settings.jibri_urls == ("http://jibri-1:2222", "http://jibri-2:2222")
    assert "s3cret" not in repr(settings)
    assert RecordingSettings.from_env({}).stall_seconds == 5.0


@pytest.mark.parametrize(
    "environ",
    [
        {"RADA_RECORDING_PORTS": "19352-19350"},
        {"RADA_RECORDING_PORTS": "70000"},
        {"RADA_RECORDING_STALL_SECONDS": "0"},
        {"RADA_RECORDING_STALL_SECONDS": "soon"},
        {"RADA_RECORDING_BITRATE_KBPS": "-1"},
    ],
)
def test_bad_settings_are_refused(environ: dict[str, str]) -> None:
    """Invalid values stop start-up with the variable named."""
    with pytest.raises(SettingsError):
        RecordingSettings.from_env(environ)


def test_parse_ports_deduplicates() -> None:
    """Overlapping ranges give each port once, in order."""
    assert parse_ports("5,3-5") == (5, 3, 4)
