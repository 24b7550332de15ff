"""Bias gradient summed over the wrong axis (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="bias-sum-axis",
    severity="error",
    gallery="bias_sum_axis",
    title="Bias gradient summed over the wrong axis",
    explanation="A bias is shared by every sample, so its gradient is ∂L/∂Z summed over the sample axis only: axis=1 (keepdims=True) in the columns layout, axis=0 in the rows layout.",
    fix="Use np.sum(dZ, axis=1, keepdims=True) for columns (X is features×samples) or np.sum(dZ, axis=0) for rows.",
)
