"""NaN or inf: the first recorded step (reference mode) or the first named array of the run (code mode) that
holds one; one test of the numbers (``non_finite_kinds``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit


def non_finite_kinds(value: object) -> list[str]:
    """"nan" and/or "inf" when a floating-point array holds them; [] when it holds neither."""
    value = np.asarray(value)
    if value.dtype.kind not in "fc":
        return []
    # A NaN or inf entry makes the sum NaN or inf, so a finite sum clears the array in one pass with no
    # temporary (code mode asks this of every named array). A sum that overflowed from finite entries is
    # not finite either: then the entries themselves are looked at.
    with np.errstate(all="ignore"):
        if np.isfinite(np.add.reduce(value, axis=None)) or np.all(np.isfinite(value)):
            return []
    return [name for name, bad in (("nan", np.isnan(value)), ("inf", np.isinf(value))) if np.any(bad)]


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    for step in steps:
        kinds = non_finite_kinds(step.value)
        if kinds:
            return [
                (step.index, f"{step.target} contains {' and '.join(kinds)} (first non-finite value of the trace).")
            ]
    return []


def _detect_code(ctx: CodeContext) -> list[Hit]:
    """The first named array (or update) holding NaN/inf; inf inside an expression that recovers is not one."""
    from bptrace.codetrace.context import Hit

    for node in ctx.nodes:
        if node.finite or not (ctx.named(node.index) or node.inplace):
            continue  # the recorder found its kept copy all finite (runtime.Recorder.keep)
        kinds = non_finite_kinds(node.value)
        if kinds:
            return [Hit(node.index, ctx.site_of(node.index), f"{ctx.name(node.index)} contains {' and '.join(kinds)} "
                        "(the first non-finite array of the run).")]
    return []


PITFALL = Pitfall(
    id="non-finite",
    severity="error",
    gallery="non_finite",
    title="NaN or inf",
    explanation="Once a NaN or inf appears it spreads through every later product and sum; the usual causes "
    "are log(0), division by 0 and exp overflow.",
    fix="Clip probabilities before log (np.clip(A, 1e-12, 1 - 1e-12)), use a stable sigmoid/softmax, "
    "or lower the learning rate if the weights diverged.",
    detect_reference=_detect,
    detect_code=_detect_code,
    names_upstream=False,
    causes_later=False,
)
