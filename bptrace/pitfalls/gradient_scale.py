"""Gradient off by the batch size (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="gradient-scale",
    severity="error",
    title="Gradient off by the batch size",
    explanation="With reduction 'mean' the loss averages over m samples, so every gradient carries a 1/m; with 'sum' it does not. A missing or extra 1/m scales the step by m.",
    fix="Divide by m once (usually at the output delta or at dW/db) when the loss is a mean; not at all when it is a sum.",
)
