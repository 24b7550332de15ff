"""No learning rate (step size 1). Code mode detects it from the update's own expression
(``bptrace.codetrace.warn``); reference mode from the scenario's learning rate."""

from __future__ import annotations

from collections.abc import Sequence

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    for step in steps:
        if step.phase == "update" and step.meta.get("learning_rate") == 1.0:
            return [(step.index, "Every parameter is updated with the raw gradient: learning_rate = 1.")]
    return []


PITFALL = Pitfall(
    id="implicit-learning-rate",
    severity="warning",
    title="No learning rate (step size 1)",
    explanation="The parameters are updated with the raw gradient: the step size is 1. That often overshoots, and it hides the learning rate from whoever reads the code.",
    fix="Multiply by an explicit learning rate: W -= lr * dW with lr around 0.01–0.5.",
    detect_reference=_detect,
)
