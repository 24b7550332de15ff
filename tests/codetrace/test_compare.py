"""The comparison every verdict rests on: close within 1e-6 relative, never across NaN or inf."""

from __future__ import annotations

import numpy as np

from bptrace.codetrace.compare import close


def test_close_within_tolerance_only() -> None:
    a = np.array([[1.0, -2.0], [3e-8, 4.0]])
    assert close(a, a.copy()) and close(a * (1 + 1e-8), a)
    assert not close(a + 1e-3, a) and not close(a.T, a) and not close(a[0], a)
    assert close(np.zeros(3), np.zeros(3)) and close(np.zeros(0), np.zeros(0))
    assert close(np.array([1, 0, 2]), np.array([1.0, 0.0, 2.0]))
    assert close(np.array(2.0), np.array(2.0)) and not close(np.array(2.0), np.array(2.1))  # 0-d: np.sum(dZ)  # integer arrays from integer inputs


def test_non_finite_values_are_never_close() -> None:
    a = np.array([1.0, 2.0])
    for bad in (np.array([np.nan, 2.0]), np.array([np.inf, 2.0]), np.array([-np.inf, 2.0])):
        assert not close(bad, a)  # the learner's value
        assert not close(a, bad)  # the truth
        assert not close(bad, bad)  # no verdict against a non-finite truth
