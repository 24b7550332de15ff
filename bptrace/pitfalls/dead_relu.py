"""Dead ReLU units: one test of the numbers (``dead_units``), read from recorded steps in reference mode and
from the learner's first training step in code mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit


def dead_units(z: np.ndarray, sample_axis: int) -> np.ndarray:
    """The units of a 2-D array (a ReLU's input or output) that are ≤ 0 for every sample. None with fewer
    than two samples: with one sample an inactive unit is just inactive, not dead."""
    if z.ndim != 2 or z.shape[sample_axis] < 2:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.all(z <= 0, axis=sample_axis))


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    feature_axis = 0 if info.layout == "columns" else 1
    sample_axis = 1 - feature_axis
    for step in steps:
        if step.phase != "forward" or step.op != "relu" or step.target in seen:
            continue
        z = np.asarray(step.value)
        dead = dead_units(z, sample_axis)
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


def _detect_code(ctx: CodeContext) -> list[Hit]:
    from bptrace.codetrace.context import Hit

    sample_axis = ctx.sample_axis()
    hits: list[Hit] = []
    for layer, z in ctx.first_layers(("relu",)):
        units = dead_units(z, sample_axis)
        if units.size:
            hits.append(Hit(layer.a, ctx.site_of(layer.a), f"{units.size} of {z.shape[1 - sample_axis]} ReLU units of "
                            f"{ctx.name(layer.a)} output 0 for every sample (units {', '.join(map(str, units[:8]))}): "
                            "their gradient is 0, so their incoming weights never change."))
    return hits


PITFALL = Pitfall(
    id="dead-relu",
    severity="warning",
    gallery="dead_relu",
    title="Dead ReLU units",
    explanation="A ReLU unit whose pre-activation is ≤ 0 for every sample passes no gradient back: "
    "relu′(Z) = 0 there, so the weights feeding it stop learning.",
    fix="Initialise with smaller weights or a positive bias, lower the learning rate, or use leaky_relu.",
    detect_reference=_detect,
    detect_code=_detect_code,
    names_upstream=False,
)
