"""A session's whole archive as one file: a ZIP of its archive folder (layout in
:mod:`orchestrator.protocol.archive`) under one top folder named by the session, which
``rada verify`` checks as it checks the folder (R9, R20).

Entries are stored, not compressed (the parts are compressed video already, and a stored entry
costs no CPU), ZIP64 where a file needs it, in path order, with the file's modification time.
The ZIP is written as a stream (each entry's sizes follow it), so the server sends it while it
reads the folder and keeps no copy. Synchronous file I/O: call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from orchestrator.protocol import archive

SUFFIX = ".zip"
CONTENT_TYPE = "application/zip"


class BadBundle(Exception):
    """Not a ZIP, an entry that would land outside the folder, or no journal in it."""


def bundle_name(session_id: str) -> str:
    return f"rada-{session_id}{SUFFIX}"


def files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(path in the archive, file) of every published file, in path order; hidden files (the
    folder's own bookkeeping) and half-written ``.tmp`` files are not published."""
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or any(p.startswith(".") for p in rel.parts):
            continue
        if path.name.endswith(".tmp"):
            continue
        yield rel.as_posix(), path


def write(folder: Path, out: BinaryIO, top: str) -> None:
    """Write the ZIP of ``folder`` to ``out`` (which need not seek), every entry under
    ``top/``."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for rel, path in files(folder):
            zf.write(path, f"{top}/{rel}")


def _safe_target(root: Path, name: str) -> Path:
    pure = PurePosixPath(name)
    if pure.is_absolute() or ".." in pure.parts or "\\" in name:
        raise BadBundle(f"{name}: an entry outside the archive")
    return root.joinpath(*pure.parts)


def extract(bundle: Path, into: Path) -> Path:
    """Unpack ``bundle`` into ``into`` and return the archive folder in it (the one folder
    holding ``journal.json``, at the top or one level down)."""
    if not zipfile.is_zipfile(bundle):
        raise BadBundle(f"{bundle.name}: not a ZIP file")
    with zipfile.ZipFile(bundle) as zf:
        for info in zf.infolist():
            target = _safe_target(into, info.filename)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, archive.CHUNK)
    if (into / archive.JOURNAL).is_file():
        return into
    found = [p.parent for p in into.glob(f"*/{archive.JOURNAL}")]
    if len(found) != 1:
        raise BadBundle(f"{bundle.name}: no single folder with {archive.JOURNAL}")
    return found[0]
