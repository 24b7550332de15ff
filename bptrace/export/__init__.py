"""Exporters: small printers over the Trace, one format per module."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import IO, TextIO

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
    """Write ``text`` to ``path`` so that nothing is ever half-written. ``text`` is the content, or a
    writer that streams it into the file (the JSON of big traces).

    A regular file (or none yet) gets a temporary file beside it, renamed over it: a failed
    write (a full disk) leaves the old file as it was. A symlink is followed and its target
    replaced, keeping the link. The target's permission bits are kept. Anything that is not a
    regular file (``/dev/null``, a FIFO, a terminal) is written through: renaming over a
    device node would replace it with a regular file.
    """
    import os
    import stat
    import tempfile

    target = Path(os.path.realpath(path))
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise BadInput(str(path), "-o", f"cannot write there: {error.strerror}") from None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        _guarded(path, lambda: _write_and_close(open(target, "w", encoding="utf-8"), text))
        return
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise BadInput(str(path), "-o", f"cannot write there: {error.strerror}") from None
    try:
        _guarded(path, lambda: _write_and_close(os.fdopen(fd, "w", encoding="utf-8"), text))
        if existing is not None:
            mode = stat.S_IMODE(existing.st_mode)
        else:  # mkstemp makes 0600; a new export is an ordinary file
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(temp, mode)
        _guarded(path, lambda: os.replace(temp, target))
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _write_and_close(handle: IO[str], text: str | Callable[[TextIO], None]) -> None:
    with handle:  # a full disk may only say so when the buffer is flushed at close
        if isinstance(text, str):
            handle.write(text)
        else:
            text(handle)  # type: ignore[arg-type]


def _guarded(path: Path, write: Callable[[], object]) -> None:
    """Run ``write``; an OSError (full disk, no permission) becomes one line of bad output, exit 2."""
    try:
        write()
    except OSError as error:
        raise BadInput(str(path), "-o", f"cannot write: {error.strerror or error}") from None
