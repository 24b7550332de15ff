from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step

# Beyond these |z| the local derivative is below about 0.01 (σ′(5) ≈ 0.0066, tanh′(3) ≈ 0.0099).
THRESHOLDS = {"sigmoid": 5.0, "tanh": 3.0}


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    sample_axis = 1 if info.layout == "columns" else 0
    pre: dict[str, np.ndarray] = {}
    for step in steps:
        if step.kind == "affine":
            pre[step.target] = step.value
        if step.phase != "forward" or step.op not in THRESHOLDS or step.target in seen:
            continue
        z = pre.get(step.inputs[0]) if step.inputs else None
        if z is None or z.ndim != 2:
            continue
        limit = THRESHOLDS[step.op]
        saturated = np.flatnonzero(np.all(np.abs(z) > limit, axis=sample_axis))
        if saturated.size:
            seen.add(step.target)
            found.append(
                (
                    step.index,
                    f"{saturated.size} of {z.shape[1 - sample_axis]} {step.op} units in {step.target} have "
                    f"|{step.inputs[0]}| > {limit:g} for every sample: their local derivative is below 0.01, "
                    "so the gradient through them nearly vanishes.",
                )
            )
    return found


PITFALL = Pitfall(
    id="saturated-units",
    severity="warning",
    title="Saturated units",
    explanation="Sigmoid and tanh flatten out for large |z|; there the local derivative is close to 0 and "
    "multiplies every gradient that flows back through the unit.",
    fix="Scale the inputs, initialise weights smaller (e.g. Xavier: std 1/√fan_in), or use ReLU in hidden layers.",
    detect_reference=_detect,
)
