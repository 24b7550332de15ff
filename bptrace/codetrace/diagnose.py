"""Check every gradient the learner's code produced against the truth; name the first divergence.

Per parameter update ``W -= lr * G`` the effective gradient G is compared with
the true ∂L/∂W. A wrong G is explained directly when the numbers say how
(sign, 1/m, transpose, bias axis, shape); otherwise its derivation is walked
in the order the code ran, to the first named array that equals no true
gradient, and ``explain`` names the cause there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.compare import close, fit, precision, scales
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.explain import explain, explain_cause
from bptrace.codetrace.flow import StepInfo, Update
from bptrace.codetrace.judged import Judged, Verdict
from bptrace.codetrace.matcher import Matcher
from bptrace.codetrace.rate import Rate, effective_gradient, read_update
from bptrace.codetrace.runtime import all_finite
from bptrace.codetrace.truth import Truth
from bptrace.numbers import array_summary
from bptrace.pitfalls import CATALOGUE
from bptrace.pitfalls.bias_sum_axis import wrong_axis
from bptrace.pitfalls.shape_broadcast import silent_broadcast
from bptrace.pitfalls.update_sign import against_convention


@dataclass
class StepCheck:
    """One training step's verdict: errors found, references per node, gradients both ways."""

    hits: dict[str, list[Hit]] = field(default_factory=dict)
    references: dict[int, np.ndarray] = field(default_factory=dict)
    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    true_gradients: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, finding_id: str, hit: Hit) -> None:
        self.hits.setdefault(finding_id, []).append(hit)
        if hit.expected is not None:  # the guilty step shows what it should have held
            self.references[hit.node] = hit.expected


def check_step(ctx: CodeContext, step: StepInfo, truth: Truth) -> StepCheck:
    """Judge one training step at the precision its parameters are kept in (float32 code, float32 tolerance)."""
    with precision(working_dtype(ctx, step)):
        return _check_step(ctx, step, truth)


def working_dtype(ctx: CodeContext, step: StepInfo) -> np.dtype:
    """The narrowest floating-point type among the step's parameters: what its arithmetic rounds to."""
    dtypes = [ctx.value(v).dtype for v in step.params.values()]
    floats = [d for d in dtypes if d.kind == "f"]
    return min(floats, key=lambda d: d.itemsize) if floats else np.dtype(np.float64)


def _check_step(ctx: CodeContext, step: StepInfo, truth: Truth) -> StepCheck:
    result = StepCheck()
    matcher = Matcher(ctx, step, truth)
    explained: set[int] = set()
    judged = [j for u in sorted(step.updates, key=lambda u: (u.gradient or 0)) if (j := _judge(ctx, step, truth, u))]
    for j in judged:
        if j.right and j.sign_of_node is not None:
            # ± the learner's own array passed ``close``, which no NaN or inf passes: the non-finite check
            # (pitfalls.non_finite) need not read this array again after the run.
            ctx.nodes[j.node].finite = True
        result.gradients[j.name] = j.effective
        result.true_gradients[j.name] = j.g
        reference = _reference(ctx, j)
        if reference is not None:
            result.references[j.node] = reference
    for j in judged:
        _check_parameter(ctx, step, truth, matcher, j, judged, result, explained)
    for pitfall in CATALOGUE.values():
        if pitfall.one_finding:
            _collapse(ctx, result, pitfall.id)
    if step.index == 0 or result.hits:  # every step of a long loop would cost more than it shows
        _reference_deltas(ctx, step, matcher, result)
    # A reference of another shape than the learner's array (bias summed over the wrong axis, a broadcast
    # delta) has no entry to compare with: the finding's message says the expected shape instead.
    result.references = {i: r for i, r in result.references.items() if np.shape(r) == np.shape(ctx.nodes[i].value)}
    result.gradients = dict(sorted(result.gradients.items(), key=_parameter_order))
    result.true_gradients = dict(sorted(result.true_gradients.items(), key=_parameter_order))
    return result


def _judge(ctx: CodeContext, step: StepInfo, truth: Truth, update: Update) -> Judged | None:
    root = ctx.structure.root.get(update.old, update.old)
    name = ctx.structure.names.get(root, ctx.name(update.old))
    version = step.params.get(root)
    if version is None or version not in truth.grads:
        return None
    g = truth.grads[version]
    # One pass (a finite sum) for the usual finite truth, max/min when the sum is not; no temporary either way.
    if not (g.size == 0 or all_finite(g) or (math.isfinite(g.max()) and math.isfinite(g.min()))):
        return None  # no verdict against a non-finite truth; non-finite values are their own finding
    learner = ctx.sites[update.site].target
    shown = name if learner in (None, name) else f"{name} ({learner})"
    rate = read_update(ctx, update, step.ydep)
    if rate is not None and rate.step is not None:
        effective, right, sign_of_node = _descended(ctx, update, rate, g, truth.samples)
        node = rate.gradient if rate.gradient is not None else rate.step
        direction = -(1.0 if ctx.nodes[update.node].op == "add" else -1.0) * (1.0 if rate.product >= 0 else -1.0)
    elif update.gradient is not None:
        got = np.asarray(ctx.value(update.gradient), dtype=np.float64)  # no copy: only read
        direction = -update.sign * (1.0 if update.learning_rate >= 0 else -1.0)
        effective, node, rate = (got if direction > 0 else -got), update.gradient, None
        right, sign_of_node = effective.shape == g.shape and close(effective, g), (1.0 if direction > 0 else -1.0)
    else:
        return None
    judged = Judged(update, name, shown, g, effective, node, rate, direction, right=right, sign_of_node=sign_of_node)
    if effective.shape == g.shape and not right:
        judged.factor = _factor(effective, g, truth.samples)
    return judged


def _factor(effective: np.ndarray, g: np.ndarray, samples: int) -> float | None:
    """effective ≈ factor·g: any factor for two or more entries; a single number is fitted by any factor,
    so for it only the usual ones count (the sign, m, 1/m, 2, ½)."""
    if g.size >= 2:
        return fit(effective, g)
    m = float(max(samples, 1))
    usual = (-1.0, 2.0, 0.5, m, 1 / m, -2.0, -0.5, -m, -1 / m) if m > 1 else (-1.0, 2.0, 0.5, -2.0, -0.5)
    return next((f for f in usual if close(effective, f * g)), None)


def _descended(
    ctx: CodeContext, update: Update, rate: Rate, g: np.ndarray, samples: int
) -> tuple[np.ndarray, bool, float | None]:
    """The gradient the update descends along, reading its scalars the way that fits: all of them as the
    learning rate (W -= lr * dW), a 1/m among them as the reduction (W += lr * del_w / n_records), or a
    quotient as a learning rate with the 1/m folded in (w - (eta / len(batch)) * nw). With it, whether it is
    close to ``g`` (already known here) and ``Judged.sign_of_node``."""
    sign: float | None = None
    if rate.gradient is None:
        whole = effective_gradient(ctx, update, rate)
        assert whole is not None
    else:
        assert rate.product != 0  # what effective_gradient asks (rate.step is known): not needed here, not computed
        # An array holds the gradient: the learner's own numbers, not their round trip through lr·dW / lr.
        sign = -(1.0 if ctx.nodes[update.node].op == "add" else -1.0) * (1.0 if rate.product >= 0 else -1.0)
        own = np.asarray(ctx.value(rate.gradient), dtype=np.float64)  # no copy: only read
        whole = own if sign > 0 else -own
    options = [whole]
    reduction = rate.reduction(samples)
    # A 1/m is read as the reduction only beside a learning rate: `W -= 0.5 * dW` with m = 2 is lr = 0.5.
    if reduction != 1.0 and len(rate.factors) > sum(1 for f in rate.factors if f == reduction):
        options.insert(0, whole * abs(reduction))
    if rate.fused and samples > 1:
        options.append(whole / samples)
    for option in options:
        if option.shape == g.shape:
            if close(option, g):
                return option, True, (sign if option is whole else None)
        elif option.size == g.size and close(option.reshape(g.shape), g):
            return option, False, None  # of another shape: close(option, g) is False
    # No option fits: options[0] was found not close above (or is of another shape, which close calls False).
    return options[0], False, (sign if options[0] is whole else None)


def _reference(ctx: CodeContext, j: Judged) -> np.ndarray | None:
    """What the learner's gradient array should have held: ±∂L/∂P, in its own sign and scale convention."""
    value = np.asarray(ctx.nodes[j.node].value, dtype=np.float64)
    if value.shape != j.g.shape or j.effective.shape != j.g.shape:
        return None
    with np.errstate(all="ignore"):
        if j.sign_of_node is not None and value.size:
            # effective = ±value exactly. fit's least-squares factor, computed as fit computes it; when it is
            # that sign, c·effective is value bit for bit, so fit's elementwise check (close(value, value),
            # every entry finite since the norm is) passes: the same answer without the full-array passes.
            e = j.effective.ravel()
            norm = float(e @ e)
            if not (math.isfinite(norm) and norm > 0):
                return None
            # The learner's own array as it is (float64, sign +1): value·e is e·e, so the quotient is 1.0 exactly.
            ratio = 1.0 if value is j.effective else float(value.ravel() @ e) / norm
            if ratio == j.sign_of_node:
                # 1.0·g is g bit for bit: no fresh W1-sized array every training step (about 0.5 ms each for W1).
                # Shared with true_gradients, both only ever read.
                return j.g if j.sign_of_node > 0 else -j.g
        c = fit(value, j.effective)
    return None if c is None else c * j.g


def _parameter_order(item: tuple[str, object]) -> tuple[int, str]:
    """W1, b1, W2, b2 … (layer number first)."""
    name = item[0]
    return (int(name[1:]) if name[1:].isdigit() else 1 << 20, name)


def _reference_deltas(ctx: CodeContext, step: StepInfo, matcher: Matcher, result: StepCheck) -> None:
    """Each named array of the backward pass that is a true gradient gets it as its reference."""
    start = step.first_loss_op or step.start
    for index in sorted(step.ydep):
        if index < start or index in result.references or not ctx.named(index):
            continue
        matched = matcher.match(ctx.value(index))
        if matched is not None:
            node, factor = matched
            result.references[index] = factor * matcher.truth.grads[node]


def _collapse(ctx: CodeContext, result: StepCheck, finding_id: str) -> None:
    """One finding for one habit: the first line, naming the others, not four copies."""
    hits = sorted(result.hits.get(finding_id, []), key=lambda h: h.node)
    if len(hits) < 2:
        return
    first_line = ctx.sites[hits[0].site].line if hits[0].site is not None else None
    lines = sorted({ctx.sites[h.site].line for h in hits[1:] if h.site is not None} - {first_line})
    also = f" The same at line(s) {', '.join(map(str, lines))}." if lines else ""
    first = hits[0]
    result.hits[finding_id] = [Hit(first.node, first.site, first.message + also, first.expected)]


def _check_parameter(
    ctx: CodeContext, step: StepInfo, truth: Truth, matcher: Matcher, j: Judged, judged: list[Judged],
    result: StepCheck, explained: set[int],
) -> None:
    name, effective, g, grad_node = j.name, j.effective, j.g, j.node
    if j.right:
        return
    numbers = f"expected ∂L/∂{j.shown} = {array_summary(g)}, got {array_summary(effective)}"
    if effective.shape != g.shape:
        _check_shape(ctx, step, truth, j, numbers, result, explained)
        return
    verdict = Verdict(ctx, step, truth, matcher, j, judged, numbers)
    for pitfall in CATALOGUE.values():  # update-sign, gradient-scale, bias-sum-axis, transpose: the catalogue's order
        hit = pitfall.judge_code(verdict) if pitfall.judge_code is not None else None
        if hit is not None:
            result.add(pitfall.id, hit)
            return
    uphill = against_convention(verdict)  # the sign of the update, whatever its gradient's own error
    if uphill is not None:
        result.add("update-sign", uphill)
    divergent = _first_divergence(ctx, step, matcher, grad_node)
    if divergent in explained:
        return
    explained.add(divergent)
    cause = explain_cause(ctx, step, matcher, divergent)
    if cause is not None or divergent != grad_node:
        result.add(*(cause or explain(ctx, step, matcher, divergent)))
    else:
        result.add("gradient-mismatch", Hit(grad_node, ctx.op_site(grad_node), f"{ctx.name(grad_node)} is not "
                                            f"∂L/∂{name} and no known mistake explains it ({numbers})."))


def _check_shape(ctx: CodeContext, step: StepInfo, truth: Truth, j: Judged, numbers: str, result: StepCheck,
                 explained: set[int]) -> None:
    update, name, effective, g, grad_node = j.update, j.name, j.effective, j.g, j.node
    got_site = ctx.op_site(grad_node)
    kept = update.node >= 0 and np.shape(ctx.nodes[update.node].value) == np.shape(ctx.nodes[update.old].value)
    if _after_broadcast(ctx, step, grad_node):
        pass  # reported where the broadcast happened (pitfalls.shape_broadcast.silent_broadcast)
    elif effective.size == g.size and close(effective.reshape(g.shape), g):
        if kept:
            return  # a (n,) gradient into a (1, n) bias, a scalar into a (1, 1) one: the update lands right
        result.add("shape-broadcast", Hit(grad_node, got_site, f"{ctx.name(grad_node)} has shape "
                   f"{effective.shape} but {name} has shape {g.shape}, so the update broadcast {name} to "
                   f"{np.shape(ctx.nodes[update.node].value) if update.node >= 0 else 'another shape'}."))
    elif name.startswith("b") and wrong_axis(ctx, step, truth, update, effective):
        result.add("bias-sum-axis", Hit(grad_node, got_site, f"{ctx.name(grad_node)} has shape "
                   f"{effective.shape}, {name} has shape {g.shape}: the bias gradient must sum ∂L/∂Z over the "
                   f"samples only ({numbers})."))
    elif effective.T.shape == g.shape and any(close(effective.T, f * g) for f in scales(truth.samples)):
        result.add(
            "transpose", Hit(grad_node, got_site, f"{ctx.name(grad_node)} is the transpose of ∂L/∂{name} ({numbers}).")
        )
    else:
        result.add("shape-broadcast", Hit(grad_node, got_site, f"{ctx.name(grad_node)} has shape {effective.shape} "
                   f"but {name} has shape {g.shape}: numpy broadcast them silently ({numbers})."))
    explained.add(grad_node)


def _first_divergence(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int) -> int:
    chain = ctx.structure.derivation(step, gradient)
    start = step.first_loss_op or 0
    for index in sorted(chain):
        if index < start:
            continue  # the targets and what the code derived from them alone
        if (index == gradient or ctx.named(index)) and matcher.match(ctx.value(index)) is None:
            return index
    return gradient


def _after_broadcast(ctx: CodeContext, step: StepInfo, gradient: int) -> bool:
    hits = silent_broadcast(ctx)
    if not hits:
        return False
    return hits[0].node in ctx.structure.derivation(step, gradient)
