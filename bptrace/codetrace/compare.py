"""Comparing the learner's arrays with true gradients, allowing the usual conventions."""

from __future__ import annotations

import math

import numpy as np

RTOL = 1e-6


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype.kind not in "fiub":
        return False
    if not expected.size:
        return True
    size = np.abs(expected)
    top = float(size.max())
    if not math.isfinite(top):  # a NaN or inf in the truth: no verdict (non-finite is its own finding)
        return False
    atol = 1e-9 * max(top, 1e-12)
    # With the truth finite, a NaN or inf in ``got`` fails the comparison by itself: no separate isfinite
    # passes. In place, because a 784-128-10 network's W1 is checked every training step and each fresh
    # 800 kB temporary costs page faults.
    with np.errstate(all="ignore"):
        diff = np.subtract(got, expected, dtype=np.float64)
        if not isinstance(diff, np.ndarray):  # 0-d: NumPy hands back a scalar
            return bool(abs(diff) <= atol + RTOL * top)
        np.abs(diff, out=diff)
        bound = np.multiply(size, RTOL, out=size if size.dtype == np.float64 else None)
        bound += atol
        return bool(np.less_equal(diff, bound).all())


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
