"""Comparing the learner's arrays with true gradients, allowing the usual conventions."""

from __future__ import annotations

import numpy as np

RTOL = 1e-6


def close(got: np.ndarray, expected: np.ndarray) -> bool:
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape or got.dtype.kind not in "fiub":
        return False
    if not (np.all(np.isfinite(expected)) and np.all(np.isfinite(got))):
        return False
    if not expected.size:
        return True
    size = np.abs(expected)
    atol = 1e-9 * max(float(size.max()), 1e-12)
    with np.errstate(all="ignore"):
        return bool((np.abs(got - expected) <= atol + RTOL * size).all())


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
