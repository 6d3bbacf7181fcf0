"""``rada verify``: an untouched archive passes; one changed byte anywhere is named. The parts
here are synthetic boxes without pictures, so decoding is off (`tests/faults/test_verify_media.py`
decodes real parts)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from orchestrator.kernel.journal import events as ev
from orchestrator.protocol import archive, verify
from orchestrator.protocol.render import protocol_sha256
from tests.archive_seed import write_media
from tests.journal_builder import JournalBuilder, play_session

RECORDER_FILES = {
    "index.m3u8": b'#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MAP:URI="part-0001.mp4"\n',
    "chapters.vtt": b"WEBVTT\n",
}


@pytest.fixture
def played():
    return play_session(items=2, recorder_files=RECORDER_FILES)


@pytest.fixture
def media(tmp_path, played):
    """The recorder's media folder: manifest.json and parts/ as it writes them."""
    return write_media(tmp_path / "media", played)


@pytest.fixture
def folder(tmp_path, played, media):
    dest = tmp_path / "archive"
    archive.write_archive(dest, played.events, media_dir=media)
    return dest


def _flip(path: Path, at: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_archive_has_the_documented_layout(folder):
    """write_archive lays out the journal, media, protocol, chapters and open data."""
    for rel in (
        "journal.json",
        "manifest.json",
        "parts/part-0001.mp4",
        "parts/part-0002.mp4",
        "chapters.vtt",
        "chapters/part-0001.vtt",
        "chapters/part-0002.vtt",
        "recording/index.m3u8",
        "recording/chapters.vtt",
        "protocol.json",
        "protocol.html",
        "protocol.pdf",
        "opendata/motions.csv",
        "opendata/motions.json",
        "opendata/votings.csv",
        "opendata/votings.json",
    ):
        assert (folder / rel).is_file(), rel


def test_untouched_archive_passes(folder, capsys):
    """Nothing differs: exit status 0."""
    assert verify.verify_archive(folder, decode=False) == []
    assert verify.main(["verify", "--no-decode", str(folder)]) == 0
    assert "OK" in capsys.readouterr().out


def test_one_byte_of_one_part_changed_fails_naming_the_part(folder, capsys):
    """A flipped byte in part 2 is reported against that file."""
    _flip(folder / "parts" / "part-0002.mp4")
    differences = verify.verify_archive(folder, decode=False)
    assert [str(d) for d in differences] == [
        "parts/part-0002.mp4: SHA-256 differs from the manifest"
    ]
    assert verify.main(["verify", "--no-decode", str(folder)]) == 1
    assert "parts/part-0002.mp4" in capsys.readouterr().out


def test_changed_recorder_file_is_named(folder):
    """The recorder's playlist is pinned by the manifest's files list."""
    _flip(folder / "recording" / "index.m3u8", at=3)
    assert verify.verify_archive(folder, decode=False) == [
        verify.Difference("recording/index.m3u8", "SHA-256 differs from the manifest")
    ]


def test_one_journal_event_changed_fails_naming_the_event(folder):
    """Editing one event's payload in journal.json breaks its hash."""
    path = folder / "journal.json"
    events = json.loads(path.read_bytes())
    target = next(e for e in events if e["type"] == ev.BALLOT_RECORDED)
    target["payload"]["answer"] = "against" if target["payload"]["answer"] == "for" else "for"
    path.write_bytes(json.dumps(events, ensure_ascii=False).encode())
    differences = verify.verify_archive(folder, decode=False)
    assert (
        verify.Difference(
            f"journal event {target['seq']}", "hash does not match the event's content"
        )
        in differences
    )


def test_one_byte_of_the_journal_file_changed_fails(folder):
    """A single flipped byte inside an event's text is caught by the chain."""
    path = folder / "journal.json"
    text = path.read_text(encoding="utf-8")
    at = text.index("запис трансляції перервався")
    path.write_text(text[:at] + "З" + text[at + 1 :], encoding="utf-8")
    assert any(
        d.where.startswith("journal event") for d in verify.verify_archive(folder, decode=False)
    )


def test_changed_manifest_fails_against_archive_ready(folder):
    """The manifest is pinned by archive_ready's SHA-256."""
    path = folder / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b'"part": 2', b'"part":  2'))
    assert verify.Difference(
        "manifest.json", "SHA-256 differs from archive_ready"
    ) in verify.verify_archive(folder, decode=False)


def test_missing_part_is_named(folder):
    """A part listed in the manifest but absent from parts/ is reported missing."""
    (folder / "parts" / "part-0001.mp4").unlink()
    assert verify.Difference("parts/part-0001.mp4", "missing") in verify.verify_archive(
        folder, decode=False
    )


def test_consistently_forged_manifest_and_part_still_fail_against_the_journal(folder):
    """Replacing a part and rewriting the manifest to match is caught by part_closed."""
    part = folder / "parts" / "part-0001.mp4"
    part.write_bytes(b"forged media")
    manifest = json.loads((folder / "manifest.json").read_bytes())
    manifest["parts"][0].update(size=12, sha256=hashlib.sha256(b"forged media").hexdigest())
    (folder / "manifest.json").write_bytes(json.dumps(manifest).encode())
    reasons = {str(d) for d in verify.verify_archive(folder, decode=False)}
    assert "part 1: sha256 differs between manifest and journal" in reasons
    assert "manifest.json: SHA-256 differs from archive_ready" in reasons


def test_finalised_protocol_is_pinned_by_its_hash(tmp_path, played, media):
    """After protocol_finalised, a changed protocol.json is reported."""
    from orchestrator.protocol.model import build

    b = JournalBuilder(
        played.session_id, played.events[-1].at, played.events[-1].at - played.events[-2].at
    )
    b.events = list(played.events)
    b.add(
        ev.PROTOCOL_FINALISED,
        {"by": played.secretary, "protocol_sha256": protocol_sha256(build(played.events))},
    )
    dest = tmp_path / "signed"
    archive.write_archive(dest, b.events, media_dir=media)
    assert verify.verify_archive(dest, decode=False) == []
    doc = json.loads((dest / "protocol.json").read_bytes())
    doc["title"] = "Інша назва"
    (dest / "protocol.json").write_bytes(json.dumps(doc, ensure_ascii=False).encode())
    assert verify.Difference(
        "protocol.json", "SHA-256 differs from protocol_finalised"
    ) in verify.verify_archive(dest, decode=False)


def test_unreadable_archive_exits_2(tmp_path, capsys):
    """A folder without journal.json cannot be verified: exit status 2."""
    assert verify.main(["verify", "--no-decode", str(tmp_path)]) == 2
    assert "journal.json: missing" in capsys.readouterr().err
