"""Gradient differs from the true one (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="gradient-mismatch",
    severity="error",
    gallery="gradient_mismatch",
    title="Gradient differs from the true one",
    explanation=(
        "The array differs from the true gradient and none of the known mistakes explains the numbers; this is where "
        "it first diverges."
    ),
    fix=(
        "Re-derive this line with the chain rule: the upstream gradient times the local derivative of the op it came "
        "through."
    ),
    names_upstream=False,
)
