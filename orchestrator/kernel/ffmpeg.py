"""Which ffmpeg rada runs: the system one if present, else the binary that imageio-ffmpeg ships."""

from __future__ import annotations

import shutil
import subprocess


def ffmpeg_path(explicit: str = "") -> str:
    """``explicit`` (the recording settings' ``ffmpeg``, ``RADA_FFMPEG``) when given."""
    if explicit:
        return explicit
    found = shutil.which("ffmpeg")
    if found:
        return found
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def ffmpeg_version(path: str | None = None) -> str:
    """The first line of ``ffmpeg -version``."""
    out = subprocess.run(  # noqa: S603 - a fixed argument list, no shell
        [path or ffmpeg_path(), "-hide_banner", "-version"],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    )
    return out.stdout.splitlines()[0] if out.stdout else "unknown"
