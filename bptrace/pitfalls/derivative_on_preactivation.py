"""Derivative helper given z instead of the activation (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="derivative-on-preactivation",
    severity="error",
    gallery="derivative_on_preactivation",
    title="Derivative helper given z instead of the activation",
    explanation="A helper written in terms of the activation, like sigmoid_derivative(x) = x*(1-x), equals σ′ only when x is the activation a = σ(z). Handed the pre-activation z it returns z(1−z), a different number, and every gradient below that layer is silently wrong.",
    fix="Pass the layer's activation A (sigmoid_derivative(A); for tanh, 1 - A**2), or rewrite the helper to take z: s = sigmoid(z); return s*(1-s).",
)
