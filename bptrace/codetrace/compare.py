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
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    with np.errstate(all="ignore"):
        return bool(np.allclose(got, expected, rtol=RTOL, atol=1e-9 * max(scale, 1e-12)))


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
