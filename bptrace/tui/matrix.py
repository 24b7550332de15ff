"""Matrices as styled text: aligned columns, elision with … and ⋮, highlighted entries.

The shape is always in the heading, because an elided matrix no longer shows it.
Styles are Textual theme variables, so the same text reads in light and dark themes.
"""

from __future__ import annotations

import math

import numpy as np
from textual.content import Content

from bptrace.elided import Array, Elided, grid
from bptrace.numbers import number, shape_text, visible

WRONG = "bold $error"
CHANGED = "bold $success"
ZERO = "$text-muted"


# Off from the reference beyond rounding: the one test that the entries' colour and the legend share.
ATOL, RTOL = 1e-12, 1e-6


def differs(value: Array, reference: Array) -> bool:
    """Does any entry differ from the reference (entry_style's test, over the whole arrays, no dtype copy)?

    Of arrays a trace keeps only the corners of, the kept entries: what is not there cannot be judged."""
    if isinstance(value, Elided) or isinstance(reference, Elided):
        if not (isinstance(value, Elided) and isinstance(reference, Elided)) or \
                (value.rows, value.cols) != (reference.rows, reference.cols):
            return False
        value, reference = value.block, reference.block
    value, reference = np.asarray(value), np.asarray(reference)
    if value.shape != reference.shape:
        return True
    try:
        with np.errstate(all="ignore"):
            return not bool(np.all(np.abs(value - reference) <= ATOL + RTOL * np.abs(reference)))
    except TypeError:  # values numpy cannot subtract (bool from bool, objects) are not the true numbers
        return True


def entry_style(value: float, reference: float | None, before: float | None) -> str:
    """Why an entry deserves a colour: wrong (differs from the reference or not finite), changed, or zero."""
    # Plain float arithmetic, as np.isclose's test: np.isclose on one pair of scalars costs ~20 µs,
    # and a step shows up to ~200 entries.
    if not math.isfinite(value) or (
        reference is not None and not abs(value - reference) <= ATOL + RTOL * abs(reference)
    ):
        return WRONG
    if before is not None and value != before:
        return CHANGED
    if value == 0:
        return ZERO
    return ""


def render_matrix(
    value: Array,
    *,
    max_rows: int = 8,
    max_cols: int = 6,
    full: bool = False,
    reference: Array | None = None,
    before: Array | None = None,
    mark: tuple[int, int] | None = None,
) -> Content:
    """``value`` as bracketed rows of numbers; ``reference``/``before`` must have its shape to be used.

    An elided array (``bptrace.elided``) keeps at least the entries shown here."""
    array = grid(value)
    if np.ndim(value) == 0:
        return Content.styled(_fmt(float(array[0, 0]), full), entry_style(float(array[0, 0]), None, None) or "bold")
    ref = grid(reference) if reference is not None and np.shape(reference) == np.shape(value) else None
    old = grid(before) if before is not None and np.shape(before) == np.shape(value) else None
    rows, cols = visible(array.shape[0], max_rows), visible(array.shape[1], max_cols)
    cells: list[list[tuple[str, str]]] = []
    for i in rows:
        line: list[tuple[str, str]] = []
        for j in cols:
            if i is None or j is None:
                line.append(("⋮" if i is None and j is not None else "⋱" if i is None else "…", ZERO))
                continue
            x = float(array[i, j])
            style = entry_style(x, None if ref is None else float(ref[i, j]), None if old is None else float(old[i, j]))
            if mark == (i, j):
                style = f"{style} reverse".strip()
            line.append((_fmt(x, full), style))
        cells.append(line)
    widths = [max(len(line[c][0]) for line in cells) for c in range(len(cols))]
    parts: list[Content | tuple[str, str] | str] = []
    for r, line in enumerate(cells):
        left, right = _brackets(r, len(cells))
        parts.append(left + " ")
        for c, (text, style) in enumerate(line):
            parts.append((text.rjust(widths[c]), style) if style else text.rjust(widths[c]))
            if c < len(line) - 1:
                parts.append("  ")
        parts.append(" " + right)
        if r < len(cells) - 1:
            parts.append("\n")
    return Content.assemble(*parts)


def _brackets(row: int, rows: int) -> tuple[str, str]:
    if rows == 1:
        return "[", "]"
    if row == 0:
        return "⎡", "⎤"
    if row == rows - 1:
        return "⎣", "⎦"
    return "⎢", "⎥"


def _fmt(x: float, full: bool) -> str:
    return repr(float(x)) if full else number(x)


def shape_label(value: Array) -> str:
    return shape_text(tuple(np.shape(value)))


__all__ = ["render_matrix", "shape_label"]
