"""Exporters: small printers over the Trace, one format per module."""

from __future__ import annotations

from pathlib import Path

FORMATS = ("json", "markdown", "html")
_SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def format_for(out: Path, explicit: str | None) -> str | None:
    """The export format: the one asked for, else the one OUT's suffix names, else None."""
    if explicit:
        return explicit
    return _SUFFIXES.get(out.suffix.lower())


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename, so nothing is ever half-written."""
    import os
    import tempfile

    path = Path(path)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
