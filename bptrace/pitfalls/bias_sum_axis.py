"""Bias gradient summed over the wrong axis (code mode).

``wrong_axis`` reads the learner's whole bias gradient against ∂L/∂Z of the step; ``summed_in_pass`` looks
inside a gradient summed over per-sample passes (Nielsen's ``nabla_b = [nb + dnb …]``) for the one pass's
contribution that was summed wrongly, so the finding names that line, not the accumulation. ``_judge_code``
asks both of a wrong bias update; ``bptrace.codetrace.diagnose`` asks ``wrong_axis`` too when the bias
gradient's shape differs from the bias.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.flow import StepInfo, Update
    from bptrace.codetrace.judged import Verdict
    from bptrace.codetrace.truth import Truth


def _judge_code(v: Verdict) -> Hit | None:
    from bptrace.codetrace.context import Hit

    ctx, j = v.ctx, v.j
    if not j.name.startswith("b"):
        return None
    if wrong_axis(ctx, v.step, v.truth, j.update, j.effective):
        return Hit(j.node, ctx.op_site(j.node), f"{ctx.name(j.node)} sums ∂L/∂Z over the wrong axis ({v.numbers}).")
    inside = summed_in_pass(ctx, v.step, v.truth, j.update, j.node)
    if inside is not None:  # one sample's bias gradient, summed wrongly before the samples' are added up
        return Hit(inside, ctx.op_site(inside), f"{ctx.name(inside)} sums one sample's ∂L/∂Z over the wrong axis, "
                   f"and {ctx.name(j.node)} adds these up ({v.numbers}).")
    return None


def _bias_adds(ctx: CodeContext, step: StepInfo, truth: Truth, update: Update) -> list[int]:
    """The ``Z = … + b`` ops of the step that read this bias: one per pass, in run order."""
    version = step.params.get(ctx.structure.root.get(update.old, update.old))
    return [i for i in sorted(step.cone)
            if ctx.nodes[i].op == "add" and version in ctx.nodes[i].parents and i in truth.grads]


def summed_in_pass(ctx: CodeContext, step: StepInfo, truth: Truth, update: Update, gradient: int) -> int | None:
    """With per-sample passes summed into one bias gradient, the first array of its derivation that is one
    pass's ∂L/∂Z summed over another axis than that pass's right sum (to the bias's shape): asked only once
    the bias's update is known to be wrong."""
    from bptrace.codetrace.compare import close, scales
    from bptrace.codetrace.reverse import broadcasts_to, unbroadcast

    adds = _bias_adds(ctx, step, truth, update)
    if len(step.pairs) < 2 or len(adds) < 2:
        return None
    bias = np.shape(ctx.nodes[update.old].value)
    wrong: list[np.ndarray] = []
    for add in adds:
        gz = truth.grads[add]
        # The right bias gradient of this pass: ∂L/∂Z summed over the axes the bias was broadcast along.
        right = unbroadcast(gz, bias) if broadcasts_to(bias, gz.shape) else None
        for option in [gz.sum(axis=a, keepdims=k) for a in range(gz.ndim) for k in (True, False)] + [gz.sum()]:
            option = np.asarray(option)
            if right is None or option.size != right.size or not close(option.reshape(right.shape), right):
                wrong.append(option)
    start = step.first_loss_op or 0
    factors = scales(truth.samples)
    for index in sorted(ctx.structure.derivation(step, gradient)):
        if index < start:
            continue
        value = ctx.value(index)
        if value.dtype.kind != "f":
            continue
        if any(option.shape == value.shape and any(close(value, f * option) for f in factors) for option in wrong):
            return index
    return None


def wrong_axis(ctx: CodeContext, step: StepInfo, truth: Truth, update: Update, effective: np.ndarray) -> bool:
    """Does the learner's bias gradient equal ∂L/∂Z unsummed, or summed over another axis?"""
    from bptrace.codetrace.compare import close, scales, tolerance

    version = step.params.get(ctx.structure.root.get(update.old, update.old))
    for index in _bias_adds(ctx, step, truth, update):
        gz = truth.grads[index]
        options = [gz] + [gz.sum(axis=a, keepdims=k) for a in range(gz.ndim) for k in (True, False)]
        options += [gz.sum()]
        # A sum that cancels (softmax deltas sum to 0 over the classes) is rounding noise on both sides:
        # judged against the size of the summed terms, not against the noise itself.
        noise = 1e-9 * float(np.abs(gz).max(initial=0.0)) * max(gz.size, 1)
        for option in options:
            option = np.asarray(option)
            for factor in scales(truth.samples):
                if option.shape == effective.shape and (close(effective, factor * option) or (
                        float(np.abs(option).max(initial=0.0)) <= noise
                        and float(np.abs(effective).max(initial=0.0)) <= noise * abs(factor))):
                    return True  # callers ask only after the right sum (and its factors) failed
        if effective.size == 1 and truth.grads[version].size > 1:
            # np.sum(dZ) without an axis on a bias of several units: the total can be ≈ 0 (softmax with
            # cross-entropy sums to zero per sample), so it is compared at the scale of what was summed.
            rtol, _ = tolerance(effective)
            total, spread = float(gz.sum()), float(np.abs(gz).sum())
            got = float(np.asarray(effective, dtype=np.float64).reshape(()))
            if any(abs(got - f * total) <= 10 * rtol * abs(f) * spread for f in scales(truth.samples)):
                return True
    return False


PITFALL = Pitfall(
    id="bias-sum-axis",
    severity="error",
    gallery="bias_sum_axis",
    title="Bias gradient summed over the wrong axis",
    explanation=(
        "A bias is shared by every sample, so its gradient is ∂L/∂Z summed over the sample axis only: axis=1 "
        "(keepdims=True) in the columns layout, axis=0 in the rows layout."
    ),
    judge_code=_judge_code,
    one_finding=True,
    fix="Use np.sum(dZ, axis=1, keepdims=True) for columns (X is features×samples) or np.sum(dZ, axis=0) for rows.",
)
