"""Comparing the learner's arrays with true gradients, allowing the usual conventions.

Tolerances follow the precision the learner's program computes in: float32 code carries about 1e-7 of
rounding per operation, which a float64 tolerance would call a wrong gradient. ``precision`` sets the
working precision for a block (a training step whose parameters are float32); ``close`` also loosens by
itself when either array it is handed is float32 or float16.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

RTOL = 1e-6
# (elementwise relative, relative to the array's largest entry) per floating-point width in bytes.
_TOLERANCES = {8: (RTOL, 1e-9), 4: (2e-4, 2e-5), 2: (2e-2, 2e-3)}
_working = [8]  # the precision the current block of judging assumes (a stack, for nesting)


@contextmanager
def precision(dtype: np.dtype | type | None) -> Iterator[None]:
    """Judge at ``dtype``'s precision inside the block (float64 if None or not a float type)."""
    width = np.dtype(dtype).itemsize if dtype is not None and np.dtype(dtype).kind == "f" else 8
    _working.append(min(width, 8))
    try:
        yield
    finally:
        _working.pop()


def _width(*arrays: np.ndarray) -> int:
    width = _working[-1]
    for array in arrays:
        dtype = np.asarray(array).dtype
        if dtype.kind == "f":
            width = min(width, dtype.itemsize)
    return width


def tolerance(*arrays: np.ndarray) -> tuple[float, float]:
    """(rtol, atol factor) for comparing these arrays at the working precision."""
    return _TOLERANCES.get(_width(*arrays), _TOLERANCES[2])


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype.kind not in "fiub":
        return False
    if not expected.size:
        return True
    width = _width(got, expected)
    rtol, scale = _TOLERANCES.get(width, _TOLERANCES[2])
    if width == 8 and _blockable(got, expected):
        verdict = _close_blocked(got, expected, rtol, scale)
        if verdict is not None:
            return verdict
    return _close_whole(got, expected, width, rtol, scale)


def _close_whole(got: np.ndarray, expected: np.ndarray, width: int, rtol: float, scale: float) -> bool:
    """``close`` on whole arrays (the rule itself; ``_close_blocked`` is a faster route to the same verdict)."""
    size = np.abs(expected)
    top = float(size.max())
    if not math.isfinite(top):  # a NaN or inf in the truth: no verdict (non-finite is its own finding)
        return False
    atol = scale * max(top, 1e-12)
    lines = _lines(size, top) if width == 8 else None  # before ``size`` is reused in place below
    # With the truth finite, a NaN or inf in ``got`` fails the comparison by itself: no separate isfinite
    # passes. In place, because a 784-128-10 network's W1 is checked every training step and each fresh
    # 800 kB temporary costs page faults.
    with np.errstate(all="ignore"):
        diff = np.subtract(got, expected, dtype=np.float64)
        if not isinstance(diff, np.ndarray):  # 0-d: NumPy hands back a scalar
            return bool(abs(diff) <= atol + rtol * top)
        np.abs(diff, out=diff)
        diff -= np.multiply(size, rtol, out=size if size.dtype == np.float64 else None)  # beyond the relative part
        worst = float(diff.max())
        if not worst <= atol:
            return False
        if lines is None:
            return True
        rows, cols = lines
        if worst <= scale * max(float(rows.min()), float(cols.min())):
            return True  # within every entry's line scale: the usual rounding of a right gradient
        # Within the scale of its row or of its column: max(r, c) without a full-size temporary.
        return bool((np.less_equal(diff, scale * rows) | np.less_equal(diff, scale * cols)).all())


# Rows of at most this many entries per block: two float64 blocks of 128 kB are reused from block to block and
# stay in cache, where each pass over whole-array temporaries goes to memory (a 784-128-10 network's W1 is
# 800 kB, compared every training step: 1.4x faster with code mode's heap settings (heap.py), 2.3x without,
# where each temporary is also a fresh mapping and about 360 page faults a call).
_BLOCK = 1 << 14


def _blockable(got: np.ndarray, expected: np.ndarray) -> bool:
    return (expected.ndim == 2 and expected.size > _BLOCK and min(expected.shape) >= 2
            and got.dtype == np.float64 and expected.dtype == np.float64)


def _close_blocked(got: np.ndarray, expected: np.ndarray, rtol: float, scale: float) -> bool | None:
    """``_close_whole``'s verdict for two float64 matrices, computed a block of rows at a time: the same
    elementwise operations, and maxima (exact, NaN-propagating) combined across blocks. None when the
    verdict needs the entry-by-entry line test (or blocks of one row would be too wide): the whole-array rule
    then decides."""
    n_rows, n_cols = expected.shape
    step = _BLOCK // n_cols
    if step < 1:
        return None
    size_buf, diff_buf = np.empty((step, n_cols)), np.empty((step, n_cols))
    tops = np.empty((n_rows + step - 1) // step)
    worsts = np.empty_like(tops)
    with np.errstate(all="ignore"):
        for k, start in enumerate(range(0, n_rows, step)):
            stop = min(start + step, n_rows)
            size = np.abs(expected[start:stop], out=size_buf[: stop - start])
            tops[k] = size.max()
            diff = np.subtract(got[start:stop], expected[start:stop], out=diff_buf[: stop - start])
            np.abs(diff, out=diff)
            diff -= np.multiply(size, rtol, out=size)
            worsts[k] = diff.max()
        top = float(tops.max())
        if not math.isfinite(top):
            return False
        worst = float(worsts.max())
        if not worst <= scale * max(top, 1e-12):
            return False
        if top <= 0.0:  # no line scales (see _lines): the whole array's
            return True
        floor = max(1e-6 * top, 1e-12)
        # Every line's scale is at least the floor: within it, within all of them (a right gradient's rounding,
        # usually below zero here), with no pass for the lines' own maxima.
        if worst <= scale * floor:
            return True
        row_top = np.empty((n_rows, 1))
        col_top = np.full((1, n_cols), -np.inf)
        for start in range(0, n_rows, step):
            stop = min(start + step, n_rows)
            size = np.abs(expected[start:stop], out=size_buf[: stop - start])
            np.max(size, axis=1, keepdims=True, out=row_top[start:stop])
            np.maximum(col_top, size.max(axis=0, keepdims=True), out=col_top)
        rows = np.maximum(row_top, floor)
        cols = np.maximum(col_top, floor)
        if worst <= scale * max(float(rows.min()), float(cols.min())):
            return True
    return None


def _lines(size: np.ndarray, top: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The magnitudes each entry of a float64 matrix is judged against for rounding noise: the largest entry
    of its row or of its column (the larger of the two), instead of the whole array's. One large entry (a
    sample whose delta for one class is huge) then no longer lends its tolerance to entries of other rows
    and columns, where a wrong small value would otherwise pass as noise.

    Not smaller than that: an entry can be a sum cancelled far below its terms (a constant feature's row is
    c·db; a saturated unit's column is (1 − σ)·…, whose rounding is that of the upstream gradient), so its
    own size, or its row's alone, says nothing of its noise; a row and a column both cancelled is what the
    whole-array scale could not absorb either. A floor of 1e-6 of the largest entry (and the whole-array
    rule's absolute 1e-12, under which values count as zero: a saturated output's 1 − σ is 0.0 in the
    learner's code and 1e-44 in the truth) keeps exact and underflowing zeros from asking the learner's
    rounding to vanish. float32 and narrower keep the whole array's scale: their margin over rounding
    (about 170 ulps at the largest entry) leaves no room for a line's. None for vectors, single rows or
    columns: the whole array is their scale."""
    if size.ndim < 2 or min(size.shape[-2:]) < 2 or top <= 0.0:
        return None
    floor = max(1e-6 * top, 1e-12)
    rows = np.maximum(size.max(axis=-1, keepdims=True), floor, dtype=np.float64)
    cols = np.maximum(size.max(axis=-2, keepdims=True), floor, dtype=np.float64)
    return rows, cols


def fit(got: np.ndarray, expected: np.ndarray) -> float | None:
    """The c with got ≈ c·expected at the working precision, or None when no single factor explains it.

    Least squares: c = ⟨got, expected⟩ / ⟨expected, expected⟩, then the fit is checked elementwise with
    ``close``, so a factor is only named when every entry agrees with it.
    """
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype.kind not in "fiub" or not expected.size:
        return None
    e = expected.astype(np.float64, copy=False).ravel()
    with np.errstate(all="ignore"):
        norm = float(e @ e)
        if not (math.isfinite(norm) and norm > 0):
            return None
        c = float(got.astype(np.float64, copy=False).ravel() @ e) / norm
    if not math.isfinite(c) or c == 0.0:
        return None
    return c if close(got, c * expected) else None


def scales(samples: int) -> tuple[float, ...]:
    """Factors by which an intermediate delta may legitimately differ: sign and 1/m placement."""
    if samples <= 1:
        return (1.0, -1.0)
    m = float(samples)
    return (1.0, -1.0, m, -m, 1.0 / m, -1.0 / m)


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    with np.errstate(all="ignore"):
        return float(np.max(np.abs(got - expected)) / max(float(np.max(np.abs(expected))), 1e-300))
