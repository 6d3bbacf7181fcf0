"""The whole archive as one ZIP: written as a stream, checked by ``rada verify`` as the folder
is (R9, R20); a changed byte inside is named, an entry that would land outside is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from orchestrator.protocol import archive, bundle, verify
from tests.archive_seed import write_media
from tests.journal_builder import PlayedSession, play_session

RECORDER_FILES = {"index.m3u8": b'#EXTM3U\n#EXT-X-MAP:URI="part-0001.mp4"\n'}


class Unseekable(io.RawIOBase):
    """A sink like an HTTP response: write only, no tell, no seek."""

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk
        return len(chunk)


@pytest.fixture
def played() -> PlayedSession:
    return play_session(items=2, recorder_files=RECORDER_FILES)


@pytest.fixture
def folder(tmp_path: Path, played: PlayedSession) -> Path:
    dest = tmp_path / "archive" / str(played.session_id)
    media = write_media(tmp_path / "media", played)
    archive.write_archive(dest, played.events, media_dir=media)
    (dest / ".journal-head").write_text("42")  # the folder's bookkeeping is not published
    return dest


def zipped(folder: Path, target: Path) -> Path:
    sink = Unseekable()
    with io.BufferedWriter(sink) as buffered:
        bundle.write(folder, buffered, "rada-session")
        buffered.flush()
        target.write_bytes(bytes(sink.data))
    return target


def test_the_zip_holds_every_published_file_and_verifies(folder: Path, tmp_path: Path) -> None:
    """Every file of the folder, under one top folder, stored; `rada verify x.zip` exits 0."""
    path = zipped(folder, tmp_path / "session.zip")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_STORED}
    expected = [rel for rel, _ in bundle.files(folder)]
    assert names == [f"rada-session/{rel}" for rel in expected]
    assert "parts/index.m3u8" in expected and "parts/part-0002.mp4" in expected
    assert ".journal-head" not in expected
    assert verify.main(["verify", "--no-decode", str(path)]) == 0


def test_a_changed_byte_inside_the_zip_is_named(folder: Path, tmp_path: Path) -> None:
    """A part changed before zipping is named by its path in the archive: exit 1."""
    part = folder / "parts" / "part-0002.mp4"
    data = bytearray(part.read_bytes())
    data[100] ^= 1
    part.unlink()  # a hard link to the media folder: write a new file
    part.write_bytes(bytes(data))
    path = zipped(folder, tmp_path / "session.zip")
    assert verify.run(str(path), decode=False) == 1


def test_an_entry_outside_the_archive_is_refused(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A ZIP naming ../ or an absolute path cannot be verified (exit 2) and writes nothing
    outside its temporary folder."""
    for evil in ("../escaped.json", "/srv/escaped.json"):
        path = tmp_path / "evil.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(evil, b"[]")
        assert verify.run(str(path), decode=False) == 2
        assert "outside the archive" in capsys.readouterr().err
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"plain text")
    assert verify.run(str(not_zip), decode=False) == 2
