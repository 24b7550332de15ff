"""Gradient shape differs from its parameter (silent broadcast) (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="shape-broadcast",
    severity="error",
    title="Gradient shape differs from its parameter (silent broadcast)",
    explanation="NumPy broadcasts mismatched shapes instead of failing: (m,1) − (m,) is an (m,m) matrix, and a (3,) bias gradient against a (3,1) bias spreads over a (3,3) array.",
    fix="Keep targets and outputs the same shape (y.reshape(-1, 1)), use keepdims=True, and assert dW.shape == W.shape.",
)
