"""Parameters moved up the gradient (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="update-sign",
    severity="error",
    gallery="update_sign",
    title="Parameters moved up the gradient",
    explanation="Gradient descent subtracts lr·∂L/∂W; adding it climbs the loss.",
    fix="Use W -= lr * dW (or W += lr * delta only if delta is −∂L/∂W, e.g. computed from Y − A).",
)
