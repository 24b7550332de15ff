"""The gradient check of a trace: per parameter, how far the traced gradient is from the true one.

Plain numbers (no rich, no sympy), so the ``run`` report and any exporter read the same verdicts.
The relative error is the classic gradient check's ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖): 0 when equal, 1 when
one of them is zero, about 2 when they point opposite ways; below ~1e-7 the two agree to rounding.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bptrace.codetrace.compare import close
from bptrace.trace import Trace

# A learner's name for a parameter is shown when the update assigns to a plain reference
# (``W1``, ``self.w_in``, ``params['W1']``); ``params[k] - lr * grads[k]`` is an expression, not a name.
_REFERENCE = re.compile(r"[A-Za-z_][\w.]*(\[[^\]\s]+\])?")


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


def learner_names(trace: Trace) -> dict[str, str]:
    """Canonical parameter name → the learner's, read from the steps that update it."""
    names: dict[str, str] = {}
    for step in trace.steps:
        parameter = step.meta.get("parameter") if step.phase == "update" else None
        if isinstance(parameter, str) and parameter not in names and _REFERENCE.fullmatch(step.target):
            names[parameter] = step.target
    return names


def check(trace: Trace) -> list[ParameterCheck]:
    """One row per parameter that has a true gradient at some recorded step (code mode)."""
    order: list[str] = []
    for truth in trace.reference_gradients:
        order.extend(name for name in truth if name not in order)
    names = learner_names(trace)
    rows = []
    for name in order:
        errors: list[float] = []
        agrees = True
        shape: tuple[int, ...] = ()
        for got_step, true_step in zip(trace.gradients, trace.reference_gradients, strict=False):
            if name not in true_step or name not in got_step:
                continue
            got, truth = got_step[name], true_step[name]
            shape = tuple(np.shape(truth))
            errors.append(relative_error(got, truth))
            agrees = agrees and close(got, truth)
        learner = names.get(name)
        rows.append(ParameterCheck(name, learner if learner != name else None, shape, tuple(errors), len(errors),
                                   agrees and bool(errors)))
    return rows
