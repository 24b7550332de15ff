"""Saturated sigmoid/tanh units: one test of the numbers (``saturated``), read from recorded steps in reference
mode and from the learner's first training step in code mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit

# Beyond these |z| the local derivative is below about 0.01 (σ′(5) ≈ 0.0066, tanh′(3) ≈ 0.0099).
THRESHOLDS = {"sigmoid": 5.0, "tanh": 3.0}


def saturated(z: np.ndarray, activation: str, sample_axis: int) -> np.ndarray:
    """The units of a 2-D pre-activation whose |z| is beyond the activation's threshold for every sample."""
    if z.ndim != 2 or z.shape[sample_axis] < 1:
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(np.all(np.abs(z) > THRESHOLDS[activation], axis=sample_axis))


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
        if z is None:
            continue
        units = saturated(z, step.op, sample_axis)
        if units.size:
            seen.add(step.target)
            found.append(
                (
                    step.index,
                    f"{units.size} of {z.shape[1 - sample_axis]} {step.op} units in {step.target} have "
                    f"|{step.inputs[0]}| > {THRESHOLDS[step.op]:g} for every sample: their local derivative is "
                    "below 0.01, so the gradient through them nearly vanishes.",
                )
            )
    return found


def _detect_code(ctx: CodeContext) -> list[Hit]:
    from bptrace.codetrace.context import Hit

    sample_axis = ctx.sample_axis()
    hits: list[Hit] = []
    for layer, z in ctx.first_layers(tuple(THRESHOLDS)):
        units = saturated(z, layer.activation, sample_axis)
        if units.size:
            hits.append(Hit(layer.a, ctx.site_of(layer.a), f"{units.size} of {z.shape[1 - sample_axis]} "
                            f"{layer.activation} units of {ctx.name(layer.a)} have |{ctx.name(layer.z)}| > "
                            f"{THRESHOLDS[layer.activation]:g} for every sample: their local derivative is below "
                            "0.01, so the gradient through them nearly vanishes."))
    return hits


PITFALL = Pitfall(
    id="saturated-units",
    severity="warning",
    gallery="saturated_units",
    title="Saturated units",
    explanation="Sigmoid and tanh flatten out for large |z|; there the local derivative is close to 0 and "
    "multiplies every gradient that flows back through the unit.",
    fix="Scale the inputs, initialise weights smaller (e.g. Xavier: std 1/√fan_in), or use ReLU in hidden layers.",
    detect_reference=_detect,
    detect_code=_detect_code,
    names_upstream=False,
)
