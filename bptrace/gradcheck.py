"""The gradient check of a trace: per parameter, how far the traced gradient is from the true one.

Plain numbers (no rich, no sympy), so the ``run`` report and any exporter read the same verdicts.
The relative error is the classic gradient check's ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖): 0 when equal, 1 when
one of them is zero, about 2 when they point opposite ways; below ~1e-7 the two agree to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bptrace.codetrace.compare import close
from bptrace.trace import Trace, Verdict


@dataclass(frozen=True, slots=True)
class ParameterCheck:
    name: str  # canonical: W1, b1, …
    learner_name: str | None  # as the learner's code spells it, when that differs and is a plain name
    shape: tuple[int, ...]
    errors: tuple[float, ...]  # relative error per checked training step (nan: shapes differ or non-finite)
    checked: int  # training steps with a verdict
    agrees: bool  # equal to the truth (to rounding) at every checked step

    @property
    def worst(self) -> float:
        return max(self.errors, key=lambda e: math.inf if math.isnan(e) else e) if self.errors else math.nan

    @property
    def median(self) -> float:
        return float(np.median(self.errors)) if self.errors else math.nan


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """‖got − expected‖ / (‖got‖ + ‖expected‖); nan when the shapes differ or a value is not finite."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape:
        return math.nan
    with np.errstate(all="ignore"):
        scale = float(np.linalg.norm(got) + np.linalg.norm(expected))
        if scale == 0.0:
            return 0.0
        return float(np.linalg.norm(got - expected)) / scale


def verdict(got: np.ndarray, truth: np.ndarray) -> Verdict:
    """One parameter's gradient check: the relative error, and whether the arrays agree as code mode judges."""
    return Verdict(relative_error(got, truth), close(got, truth))


def learner_names(trace: Trace) -> dict[str, str]:
    """Canonical parameter name → the learner's, read from the steps that update it."""
    names: dict[str, str] = {}
    for step in trace.steps:
        # Shown when the update assigns to a name (``W1``, ``self.w_in``, ``params['W1']``), not an expression.
        if step.kind == "update" and step.parameter and step.learner_name and step.parameter not in names:
            names[step.parameter] = step.learner_name
    return names


def step_verdicts(trace: Trace) -> list[dict[str, Verdict]]:
    """Per training step, each checked parameter's verdict: from the arrays where the trace has both,
    else as stored (a JSON export keeps verdicts for every step, arrays for some)."""
    out = []
    for i in range(trace.train_steps):
        got = trace.gradients[i] if i < len(trace.gradients) else {}
        true = trace.reference_gradients[i] if i < len(trace.reference_gradients) else {}
        stored = trace.verdicts[i] if i < len(trace.verdicts) else {}
        verdicts = {name: verdict(got[name], truth) for name, truth in true.items() if name in got}
        out.append(verdicts | {name: v for name, v in stored.items() if name not in verdicts})
    return out


def check(trace: Trace) -> list[ParameterCheck]:
    """One row per parameter that has a verdict at some recorded training step (code mode)."""
    per_step = step_verdicts(trace)
    order: list[str] = []
    for verdicts in per_step:
        order.extend(name for name in verdicts if name not in order)
    names = learner_names(trace)
    rows = []
    for name in order:
        found = [verdicts[name] for verdicts in per_step if name in verdicts]
        shapes = [np.shape(truth[name]) for truth in trace.reference_gradients if name in truth]
        shape = tuple(shapes[0]) if shapes else tuple(np.shape(trace.parameters.get(name, ())))
        learner = names.get(name)
        rows.append(ParameterCheck(name, learner if learner != name else None, shape,
                                   tuple(v.relative_error for v in found), len(found),
                                   bool(found) and all(v.agrees for v in found)))
    return rows
