from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    for step in steps:
        value = np.asarray(step.value)
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            kinds = [name for name, bad in (("nan", np.isnan(value)), ("inf", np.isinf(value))) if np.any(bad)]
            return [(step.index, f"{step.target} contains {' and '.join(kinds)} (first non-finite value of the trace).")]
    return []


PITFALL = Pitfall(
    id="non-finite",
    severity="error",
    title="NaN or inf",
    explanation="Once a NaN or inf appears it spreads through every later product and sum; the usual causes "
    "are log(0), division by 0 and exp overflow.",
    fix="Clip probabilities before log (np.clip(A, 1e-12, 1 - 1e-12)), use a stable sigmoid/softmax, "
    "or lower the learning rate if the weights diverged.",
    detect_reference=_detect,
)
