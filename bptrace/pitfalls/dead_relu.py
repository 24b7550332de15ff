from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    feature_axis = 0 if info.layout == "columns" else 1
    sample_axis = 1 - feature_axis
    for step in steps:
        if step.phase != "forward" or step.op != "relu" or step.target in seen:
            continue
        z = np.asarray(step.value)
        # With one sample an inactive unit is just inactive, not dead.
        if z.ndim != 2 or z.shape[sample_axis] < 2:
            continue
        dead = np.flatnonzero(np.all(z <= 0, axis=sample_axis))
        if dead.size:
            seen.add(step.target)
            units = ", ".join(str(int(u)) for u in dead[:8]) + (" …" if dead.size > 8 else "")
            found.append(
                (
                    step.index,
                    f"{dead.size} of {z.shape[feature_axis]} ReLU units in {step.target} output 0 for every "
                    f"sample (units {units}): their gradient is 0, so their incoming weights never change.",
                )
            )
    return found


PITFALL = Pitfall(
    id="dead-relu",
    severity="warning",
    title="Dead ReLU units",
    explanation="A ReLU unit whose pre-activation is ≤ 0 for every sample passes no gradient back: "
    "relu′(Z) = 0 there, so the weights feeding it stop learning.",
    fix="Initialise with smaller weights or a positive bias, lower the learning rate, or use leaky_relu.",
    detect_reference=_detect,
)
