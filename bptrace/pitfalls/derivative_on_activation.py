"""Derivative helper given the activation instead of z (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="derivative-on-activation",
    severity="error",
    gallery="derivative_on_activation",
    title="Derivative helper given the activation instead of z",
    explanation="A helper written in terms of the pre-activation, like sigmoid_derivative(z) = σ(z)(1−σ(z)), applies σ once more when handed the activation a: it computes σ(a)(1−σ(a)), not σ′(z).",
    fix="Pass the layer's pre-activation Z (sigmoid_derivative(Z)), or use the activation form a*(1-a) when you have a.",
)
