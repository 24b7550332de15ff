"""No learning rate (step size 1) (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="implicit-learning-rate",
    title="No learning rate (step size 1)",
    explanation="The parameters are updated with the raw gradient: the step size is 1. That often overshoots, and it hides the learning rate from whoever reads the code.",
    fix="Multiply by an explicit learning rate: W -= lr * dW with lr around 0.01–0.5.",
)
