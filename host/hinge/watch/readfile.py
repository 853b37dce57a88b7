"""A watch file read by its content (FIT or GPX), whatever its name says."""
from __future__ import annotations

from pathlib import Path

from . import fitread, gpxread
from .activity import Activity, WatchFileError


def load(path) -> Activity:
    """Read a watch file by its content: FIT (a ``.FIT`` header) or GPX (XML). Raises
    :class:`WatchFileError` (one line) for anything else or a damaged file."""
    path = Path(path)
    try:
        head = path.read_bytes()[:64]
    except OSError as e:
        raise WatchFileError(f"{path.name}: cannot read it ({e.strerror or e})") from None
    if len(head) >= 12 and head[8:12] == b".FIT":
        return fitread.read(path)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return gpxread.read(path)
    if path.suffix.lower() == ".fit":
        raise WatchFileError(f"{path.name}: damaged FIT file (no .FIT header: truncated or not a FIT file)")
    raise WatchFileError(f"{path.name}: not a FIT or GPX file")
