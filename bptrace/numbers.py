"""How numbers read everywhere (CLI, TUI, notes): about 4 significant digits, shape always shown."""

from __future__ import annotations

import math

import numpy as np

from bptrace.elided import Array, grid

SIGNIFICANT = 4


def number(x: float, digits: int = SIGNIFICANT) -> str:
    x = float(x)
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    return text.replace("e-0", "e-").replace("e+0", "e+")


def shape_text(shape: tuple[int, ...]) -> str:
    """``3×1`` for matrices; NumPy's own ``(3,)`` for vectors, whose missing axis is what broadcasts."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "×".join(map(str, shape)) if shape else "scalar"


def array_summary(value: np.ndarray, limit: int = 6, digits: int = SIGNIFICANT) -> str:
    """A one-line preview: ``[0.1, -0.2, 0.3 … 0.5]`` for arrays, the number for scalars."""
    array = np.asarray(value)
    if array.ndim == 0:
        return number(float(array), digits)
    flat = array.ravel()
    if flat.size <= limit:
        return "[" + ", ".join(number(x, digits) for x in flat) + "]"
    head = ", ".join(number(x, digits) for x in flat[: limit - 1])
    return f"[{head} … {number(flat[-1], digits)}]"


def visible(n: int, limit: int) -> list[int | None]:
    """Indices to show along one axis of ``n``, at most ``limit`` places; None stands for the elided middle."""
    if n <= limit:
        return list(range(n))
    head = limit // 2
    return [*range(head), None, *range(n - (limit - head - 1), n)]


def matrix_rows(value: Array, max_rows: int = 8, max_cols: int = 8, digits: int = SIGNIFICANT) -> list[list[str]]:
    """Rows of formatted cells, eliding the middle with … beyond the limits (an elided array keeps them all)."""
    if np.ndim(value) == 0:
        return [[number(float(np.asarray(value)), digits)]]
    array = grid(value)  # code mode records any NumPy value: rows by the first axis, as the TUI shows them
    cols = visible(array.shape[1], max_cols)
    rows = []
    for i in visible(array.shape[0], max_rows):
        if i is None:
            rows.append(["⋮" if j is not None else "⋱" for j in cols])
            continue
        rows.append([number(array[i, j], digits) if j is not None else "…" for j in cols])
    return rows


BARS = "▁▂▃▄▅▆▇█"


def buckets(values: tuple[float, ...], width: int) -> list[tuple[int, int]]:
    """Split ``values`` into at most ``width`` consecutive (start, stop) ranges."""
    n = len(values)
    width = max(1, min(width, n))
    return [(n * k // width, n * (k + 1) // width) for k in range(width)]


def sparkline_cells(values: tuple[float, ...], width: int) -> list[tuple[int, int, str]]:
    """At most ``width`` cells ``(start, stop, bar)``: each the mean of values[start:stop] as a bar,
    ``✗`` where a value in it is not finite. Shared by the ``run`` report and the TUI's loss chart."""
    if not values:
        return []
    finite = [x for x in values if math.isfinite(x)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    cells = []
    for start, stop in buckets(values, width):
        chunk = values[start:stop]
        if not all(math.isfinite(x) for x in chunk):
            cells.append((start, stop, "✗"))
            continue
        mean = sum(chunk) / len(chunk)
        level = 0 if high == low else round((mean - low) / (high - low) * (len(BARS) - 1))
        cells.append((start, stop, BARS[level]))
    return cells
