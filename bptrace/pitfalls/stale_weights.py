"""Gradient computed with weights already updated (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="stale-weights",
    severity="error",
    gallery="stale_weights",
    title="Gradient computed with weights already updated",
    explanation="Backpropagation needs the weights that produced this forward pass. Updating W2 before computing the delta of the layer below uses the new W2 and mixes two different networks.",
    fix="Compute all gradients first, then update all parameters.",
)
