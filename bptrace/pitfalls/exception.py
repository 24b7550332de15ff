"""The code raised (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="exception",
    severity="error",
    gallery="exception",
    title="The code raised",
    explanation="Your code raised an exception; the trace stops at that line, with every step recorded before it.",
    fix="Read the exception message; shape errors usually mean a missing transpose or keepdims.",
    names_upstream=False,
    causes_later=False,
)
