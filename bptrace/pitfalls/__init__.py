"""The catalogue of pitfalls: one small module per finding id.

Each module defines ``PITFALL``: the id, its explanation and fix, and the
detection beside them. Register a new one by adding its module to ``_MODULES``.
"""

from __future__ import annotations

from collections.abc import Sequence

from bptrace.pitfalls import (
    bias_sum_axis,
    dead_relu,
    derivative_on_activation,
    derivative_on_preactivation,
    exception,
    exp_overflow,
    gradient_mismatch,
    gradient_scale,
    implicit_learning_rate,
    loss_output_mismatch,
    non_finite,
    saturated_units,
    shape_broadcast,
    stale_weights,
    transpose,
    update_sign,
)
from bptrace.pitfalls.base import Pitfall
from bptrace.trace import Finding, ScenarioInfo, Step

_MODULES = (
    non_finite, saturated_units, dead_relu,
    # code mode: detected by bptrace.codetrace, the text lives here
    derivative_on_preactivation, derivative_on_activation, loss_output_mismatch, gradient_scale, bias_sum_axis,
    transpose, stale_weights, update_sign, shape_broadcast, gradient_mismatch, exception, implicit_learning_rate,
    exp_overflow,
)

CATALOGUE: dict[str, Pitfall] = {module.PITFALL.id: module.PITFALL for module in _MODULES}
SEVERITIES = {pitfall_id: pitfall.severity for pitfall_id, pitfall in CATALOGUE.items()}

__all__ = ["CATALOGUE", "SEVERITIES", "Pitfall", "detect_reference"]


def detect_reference(steps: Sequence[Step], info: ScenarioInfo) -> list[Finding]:
    """Run every reference-mode detector; return the findings, by step."""
    findings: list[Finding] = []
    for pitfall in CATALOGUE.values():
        if pitfall.detect_reference is None:
            continue
        for index, message in pitfall.detect_reference(steps, info):
            findings.append(Finding(pitfall.id, pitfall.severity, index, message, fix=pitfall.fix,
                                    explanation=pitfall.explanation))
    findings.sort(key=lambda f: (f.step if f.step is not None else -1))
    return findings
