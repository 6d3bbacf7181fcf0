"""``rada verify`` checks the media, not only the hashes (R9, R10): a part whose last fragment
was cut short, and a stretch of the sitting with neither media nor a declared break, are named
(exit 1) even when every hash agrees."""

from __future__ import annotations

import hashlib
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.kernel.journal import events as ev
from orchestrator.kernel.journal.chain import format_time
from orchestrator.protocol import archive, verify
from tests.archive_seed import write_media
from tests.journal_builder import JournalBuilder, PartFile, play_session


@pytest.fixture(scope="module")
def real_part(ffmpeg_exe: str, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real fragmented MP4 (3 s, a fragment per keyframe) as the recorder writes parts."""
    path = tmp_path_factory.mktemp("fmp4") / "part.mp4"
    subprocess.run(
        [
            ffmpeg_exe, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=d=3:s=160x120:r=25",
            "-c:v", "libx264", "-preset", "ultrafast", "-g", "25",
            "-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", str(path),
        ],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def test_truncated_last_fragment_is_named_though_hashes_agree(
    tmp_path: Path, real_part: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """Real parts, the second cut short mid-fragment and hashed as cut (as a full disk left it
    before the recorder repaired parts): verify names that part and exits 1; whole parts
    pass."""
    contents: dict[str, bytes] = {}

    def writer(part: int, duration_ms: int) -> PartFile:
        data = real_part[: len(real_part) * 2 // 3] if part == 2 else real_part
        contents[f"part-{part:04d}.mp4"] = data
        return PartFile(f"part-{part:04d}.mp4", len(data), hashlib.sha256(data).hexdigest())

    played = play_session(items=2, part_writer=writer)
    played.part_contents = contents
    folder = tmp_path / "archive"
    archive.write_archive(folder, played.events, media_dir=write_media(tmp_path / "media", played))
    differences = [str(d) for d in verify.verify_archive(folder)]
    assert len(differences) == 1, differences
    assert differences[0].startswith("parts/part-0002.mp4: truncated last fragment")
    assert verify.main(["verify", str(folder)]) == 1
    assert "part-0002.mp4: truncated last fragment" in capsys.readouterr().out


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
