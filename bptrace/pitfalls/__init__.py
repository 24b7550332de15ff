"""The catalogue of pitfalls: one small module per finding id.

Each module defines ``PITFALL``: the id, its severity, explanation and fix, its gallery program
(scenarios/gallery/<gallery>.toml), and its detection: ``detect_reference`` for recorded scenario steps,
``detect_code`` for a learner's recorded code. Register a new one by adding its module to ``_MODULES``.
Importing the catalogue imports no code mode: a ``detect_code`` imports what it needs from
``bptrace.codetrace`` when it runs.
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

# The catalogue's order is the order ids are looked for in.
_MODULES = (
    # Found once over the whole run, by each unit's own detect_code (code mode) and detect_reference
    # (reference mode):
    shape_broadcast, non_finite, implicit_learning_rate, exp_overflow, saturated_units, dead_relu,
    # Code mode only. Each wrong update is asked of the units with a judge_code in this order (after
    # bptrace.codetrace.diagnose has checked the gradient's shape); when none answers, the first array that
    # equals no true gradient is explained by what its op does (bptrace.codetrace.explain): a matrix product
    # is asked of the units with an explain_product, a product by a wrong local derivative of those with an
    # explain_local, in this order. The rest of that chain (the output delta, a skipped activation
    # derivative, integer-label deltas) names loss-output-mismatch and gradient-mismatch from explain's own
    # walk (explain.py, output_delta.py, label_delta.py), as does diagnose for a gradient of the wrong shape.
    update_sign, gradient_scale, bias_sum_axis, stale_weights, transpose, derivative_on_preactivation,
    derivative_on_activation, loss_output_mismatch, gradient_mismatch,
    # The learner's code raised (bptrace.codetrace, from the run).
    exception,
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
