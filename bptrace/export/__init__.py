"""Exporters: small printers over the Trace, one format per module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from bptrace.errors import BadInput
from bptrace.trace import Trace

FORMATS = ("json", "markdown", "html")
_SUFFIXES = {".json": "json", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}


def format_for(out: Path, explicit: str | None) -> str | None:
    """The export format: the one asked for, else the one OUT's suffix names, else None."""
    if explicit:
        return explicit
    return _SUFFIXES.get(out.suffix.lower())


def export_trace(trace: Trace, out: Path, fmt: str | None = None, detail: str | None = None) -> str:
    """Write ``trace`` to ``out`` in ``fmt`` (or the format OUT's suffix names); return the format.

    Both the CLI and the TUI's export key come through here. Formulas are
    filled in first (sympy), so a freshly recorded trace and a loaded one export alike.
    """
    import importlib

    from bptrace import symbolic

    out = Path(out)
    chosen = format_for(out, fmt)
    if chosen is None:
        raise BadInput(str(out), "-o", "cannot tell the format from the suffix; use .json, .md or .html, or --format")
    if not out.parent.exists():
        raise BadInput(str(out), "-o", f"the folder {out.parent} does not exist")
    if out.is_dir():
        raise BadInput(str(out), "-o", "is a folder; expected a file name to write")
    writer = importlib.import_module(f"bptrace.export.{chosen}_format")
    write_atomic(out, writer.render(symbolic.with_formulas(trace), detail=detail))
    return chosen


def write_atomic(path: Path, text: str | Callable[[TextIO], None]) -> None:
    """Write to a temporary file beside ``path`` and rename, so nothing is ever half-written.
    ``text`` is the content, or a writer that streams it into the file (JSON of big traces)."""
    import os
    import tempfile

    path = Path(path)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    except OSError as error:
        raise BadInput(str(path), "-o", f"cannot write there: {error.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if isinstance(text, str):
                handle.write(text)
            else:
                text(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; an export is an ordinary file
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
