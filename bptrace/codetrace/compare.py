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


def tolerance(*arrays: np.ndarray) -> tuple[float, float]:
    """(rtol, atol factor) for comparing these arrays at the working precision."""
    width = _working[-1]
    for array in arrays:
        dtype = np.asarray(array).dtype
        if dtype.kind == "f":
            width = min(width, dtype.itemsize)
    return _TOLERANCES.get(width, _TOLERANCES[2])


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype.kind not in "fiub":
        return False
    if not expected.size:
        return True
    rtol, scale = tolerance(got, expected)
    size = np.abs(expected)
    top = float(size.max())
    if not math.isfinite(top):  # a NaN or inf in the truth: no verdict (non-finite is its own finding)
        return False
    atol = scale * max(top, 1e-12)
    # With the truth finite, a NaN or inf in ``got`` fails the comparison by itself: no separate isfinite
    # passes. In place, because a 784-128-10 network's W1 is checked every training step and each fresh
    # 800 kB temporary costs page faults.
    with np.errstate(all="ignore"):
        diff = np.subtract(got, expected, dtype=np.float64)
        if not isinstance(diff, np.ndarray):  # 0-d: NumPy hands back a scalar
            return bool(abs(diff) <= atol + rtol * top)
        np.abs(diff, out=diff)
        bound = np.multiply(size, rtol, out=size if size.dtype == np.float64 else None)
        bound += atol
        return bool(np.less_equal(diff, bound).all())


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
