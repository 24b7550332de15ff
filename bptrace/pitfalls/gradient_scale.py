"""Gradient off by a constant factor (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="gradient-scale",
    severity="error",
    gallery="gradient_scale",
    title="Gradient off by a constant factor",
    explanation="The update descends along c times the true gradient. The usual causes: the batch size (with "
    "reduction 'mean' the loss averages over m samples, so every gradient carries a 1/m; with 'sum' it does "
    "not), a 2 from Σ(ŷ−y)² kept or dropped against the declared loss, m read from another array than the "
    "batch, or the learning rate applied twice. A constant factor scales every step, as a wrong learning "
    "rate would, so training still runs and only the numbers tell.",
    fix="Divide by m once (usually at the output delta or at dW/db) when the loss is a mean, not at all when it "
    "is a sum; take m from the batch itself (m = Y.shape[-1] or len(X)); match the 2 to the loss you minimise.",
)
