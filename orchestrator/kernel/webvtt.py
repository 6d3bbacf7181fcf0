"""WebVTT cue text from titles people typed (R9, R20: the public player's chapters).

A WebVTT parser ends a cue at a blank line and reads any line holding ``-->`` as the timing of a
new cue, and ``<`` and ``&`` start markup, so a title with line breaks or arrows could add cues
of its own. Both chapter files (the recorder's per part and the protocol's joint timeline) pass
every title through :func:`cue_text`.
"""

from __future__ import annotations

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def cue_text(title: str) -> str:
    """One line of cue text: every run of whitespace or line breaks (CR, LF, U+2028…) becomes
    one space, ``-->`` an arrow, and ``&``, ``<``, ``>`` their character references."""
    line = " ".join(title.split()).replace("-->", "→")
    return line.translate(_ESCAPES) or "—"
