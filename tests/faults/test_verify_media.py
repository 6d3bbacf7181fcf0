"""``rada verify`` checks the media, not only the hashes (R9, R10): a part whose last fragment
was cut short, and a stretch of the sitting with neither media nor a declared break, are named
(exit 1) even when every hash agrees."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import format_time
from orchestrator.protocol import archive, verify
from tests.archive_seed import write_media
from tests.journal_builder import JournalBuilder, PartFile, play_session

RealMedia = Callable[[int], bytes]


@pytest.fixture(scope="module")
def real_media(ffmpeg_exe: str, tmp_path_factory: pytest.TempPathFactory) -> RealMedia:
    """Real fragmented MP4s of a given length (small and at 2 frames a second, so minutes
    encode and decode in about a second), a fragment per keyframe, as the recorder writes
    parts."""
    folder = tmp_path_factory.mktemp("fmp4")
    made: dict[int, bytes] = {}

    def make(duration_ms: int) -> bytes:
        if duration_ms not in made:
            path = folder / f"{duration_ms}.mp4"
            source = f"testsrc=d={duration_ms / 1000}:s=160x120:r=2"
            subprocess.run(
                [
                    ffmpeg_exe, "-v", "error", "-y", "-f", "lavfi", "-i", source,
                    "-c:v", "libx264", "-preset", "ultrafast", "-g", "2",
                    "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4",
                    str(path),
                ],
                check=True,
            )  # fmt: skip
            made[duration_ms] = path.read_bytes()
        return made[duration_ms]

    return make


def _archive(tmp_path: Path, real_media: RealMedia, damage: Callable[[bytes, int], bytes]) -> Path:
    """A played session's archive whose part 2 is real media passed through ``damage``
    (given the media and the part's journaled duration) and hashed as damaged, so every hash
    agrees; part 1 is whole."""
    contents: dict[str, bytes] = {}

    def writer(part: int, duration_ms: int) -> PartFile:
        data = real_media(duration_ms)
        if part == 2:
            data = damage(data, duration_ms)
        contents[f"part-{part:04d}.mp4"] = data
        return PartFile(f"part-{part:04d}.mp4", len(data), hashlib.sha256(data).hexdigest())

    played = play_session(items=2, part_writer=writer)
    played.part_contents = contents
    folder = tmp_path / "archive"
    archive.write_archive(folder, played.events, media_dir=write_media(tmp_path / "media", played))
    return folder


def test_truncated_last_fragment_is_named_though_hashes_agree(
    tmp_path: Path, real_media: RealMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real parts, the second cut short mid-fragment and hashed as cut (as a full disk left it
    before the recorder repaired parts): verify names that part and exits 1; whole parts
    pass, decoded to their last frame."""
    folder = _archive(tmp_path, real_media, lambda data, _ms: data[: len(data) * 2 // 3])
    differences = [str(d) for d in verify.verify_archive(folder)]
    assert len(differences) == 1, differences
    assert differences[0].startswith("parts/part-0002.mp4: truncated last fragment")
    assert verify.main(["verify", str(folder)]) == 1
    assert "part-0002.mp4: truncated last fragment" in capsys.readouterr().out


def _garbled(data: bytes, _duration_ms: int) -> bytes:
    """Every ``mdat`` payload overwritten from its 40th byte with a pattern: the boxes stay
    whole (the structure check passes), the pictures do not decode."""
    out = bytearray(data)
    offset = 0
    while offset + 8 <= len(out):
        length = int.from_bytes(out[offset : offset + 4], "big")
        if out[offset + 4 : offset + 8] == b"mdat" and length > 48:
            pattern = bytes(range(7, 256, 13)) * (length // 19 + 1)
            out[offset + 48 : offset + length] = pattern[: length - 48]
        offset += max(length, 8)
    return bytes(out)


def test_media_that_does_not_decode_is_named_though_boxes_and_hashes_agree(
    tmp_path: Path, real_media: RealMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    """R9: part 2's pictures garbled inside whole boxes, hashed as garbled: the box walk and
    every hash pass, the decoder does not; verify names the part (exit 1). ``--no-decode``
    skips exactly that check."""
    folder = _archive(tmp_path, real_media, _garbled)
    differences = [str(d) for d in verify.verify_archive(folder)]
    assert len(differences) == 1, differences
    assert differences[0].startswith("parts/part-0002.mp4: does not decode: "), differences
    assert verify.verify_archive(folder, decode=False) == []
    assert verify.main(["verify", str(folder)]) == 1
    assert verify.main(["verify", "--no-decode", str(folder)]) == 0
    assert "part-0002.mp4: does not decode" in capsys.readouterr().out


def test_media_shorter_than_its_manifest_is_named(tmp_path: Path, real_media: RealMedia) -> None:
    """R9: part 2 holds whole, decodable media of a minute less than its journaled and listed
    duration: the recording does not cover what the manifest claims, so verify names it."""
    folder = _archive(tmp_path, real_media, lambda _data, ms: real_media(ms - 60_000))
    differences = [str(d) for d in verify.verify_archive(folder)]
    assert len(differences) == 1, differences
    assert differences[0].startswith("parts/part-0002.mp4: decodes to "), differences


def _sitting(*, declared: bool) -> list:
    """Opened at 10:00, part 1 10:00–10:01, a ballot at 10:01:40, part 2 from 10:02, closed
    10:03; with ``declared`` a break from 10:01:05 to 10:02:05."""
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    b = JournalBuilder(uuid.uuid4(), start, timedelta(seconds=1))
    b.add(ev.SESSION_OPENED, {"by": "chair"}, at=start)

    def part(n: int, begins: datetime, seconds: int) -> None:
        entry = {"part": n, "file": f"part-{n:04d}.mp4", "started_at": format_time(begins),
                 "duration_ms": seconds * 1000, "size": 1, "sha256": "0" * 64}  # fmt: skip
        b.add(ev.PART_CLOSED, entry, at=begins + timedelta(seconds=seconds))

    part(1, start, 60)
    if declared:
        b.add(ev.BREAK_DECLARED, {"cause": "recording_lost"}, at=start + timedelta(seconds=65))
    b.add(ev.BALLOT_RECORDED, {"vote_id": "0"}, at=start + timedelta(seconds=100))
    if declared:
        b.add(ev.BREAK_ENDED, {"by": "chair"}, at=start + timedelta(seconds=125))
    b.add(ev.SESSION_CLOSED, {"by": "chair"}, at=start + timedelta(seconds=180))
    part(2, start + timedelta(seconds=120), 61)
    return b.events


def test_undeclared_gap_is_named_and_a_declared_break_is_not() -> None:
    """60 s without media and without a break in the sitting is an undeclared gap (with the
    acts taken in it); the same stretch inside a declared break is not."""
    gaps = verify.check_coverage(_sitting(declared=False))
    assert [d.where for d in gaps] == ["recording"]
    assert "undeclared gap" in gaps[0].reason and "(60 s)" in gaps[0].reason
    assert "1 act(s)" in gaps[0].reason
    assert verify.check_coverage(_sitting(declared=True)) == []
