"""Gradient off by a constant factor (code mode): ``_judge_code`` reads an update that descends along k times
the true gradient, k a usual factor (the batch size, 2, a learning rate folded in), and names where k was
written."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.flow import StepInfo
    from bptrace.codetrace.judged import Verdict
    from bptrace.codetrace.matcher import Matcher


def _judge_code(v: Verdict) -> Hit | None:
    """The update descends along k·∂L/∂P, k a usual factor. Where was k written? A scalar op that scales a
    gradient by it; else, for a missing or extra 1/m, where this program's other parameters put theirs (their
    update line, or their gradient's line); else the output delta that carries k from the start. Anything
    else that multiplies by a near-constant (σ′ ≈ ¼ where every z ≈ 0) is no scale: None, and the caller
    localises it by derivative."""
    from bptrace.codetrace import scale
    from bptrace.codetrace.compare import tolerance
    from bptrace.codetrace.context import Hit

    ctx, step, matcher, j, judged, k, numbers = v.ctx, v.step, v.matcher, v.j, v.judged, v.j.factor, v.numbers
    rates = [p.rate.learning_rate(v.truth.samples) for p in judged if p.rate is not None]
    if k is None or not scale.usual(k, v.truth.samples, rates, tolerance(j.effective)[0] / 10):
        return None
    m = matcher.truth.samples
    grad_node = j.node
    origin = scale.introducer(ctx, step, matcher, grad_node, k)
    peers = [p for p in judged if p is not j and p.right]  # close(p.effective, p.g)
    if origin is None and peers and j.update.node >= 0 and any(
            p.rate is not None and (p.rate.reduction(m) != 1.0 or p.rate.fused) for p in peers):
        origin = j.update.node  # the others divide by m in their update line: this one does not
    if origin is None and m > 1 and scale.same(k, m) and len(step.pairs) > 1 and j.update.node >= 0:
        origin = j.update.node  # per-sample gradients summed, each right: the update misses the mean's 1/m
    if origin is None and not peers and len(judged) > 1:
        # Every parameter carries k: the output delta they share, when it carries k from the start. (With one
        # parameter there is no telling the delta's line from the gradient's: the gradient is named.)
        origin = scale.birth(ctx, step, matcher, grad_node, k)
    if origin is None:
        if not (m > 1 and (scale.same(k, m) or scale.same(k, 1.0 / m))):
            return None
        origin = _first_version(ctx, step, matcher, grad_node)
    site = j.update.site if origin == j.update.node else ctx.op_site(origin)
    where = "" if origin in (grad_node, j.update.node) or ctx.nodes[grad_node].inplace else \
        f"{ctx.name(origin)} carries the factor, so "
    source = scale.batch_source(ctx, origin, m)
    if source is not None:  # the op is right, the number it was handed is not: name where it was bound
        site, var, n = source
        where = (
            f"{var} = {n} (bound here) is used as the batch size at line {ctx.sites[ctx.nodes[origin].site].line}, "
            f"where the batch has {m} samples, so "
        )
    return Hit(origin, site, f"{where}{j.name} is updated along a multiple of the true ∂L/∂{j.name}, "
               f"{scale.cause(k, m)} ({numbers}).", _unscaled(matcher, ctx.value(origin), k)
               if origin not in (grad_node, j.update.node) else None)


def _first_version(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int) -> int:
    """The learner's gradient array as first computed, when later in-place additions (``dW += reg * W``) kept
    its factor: the line that wrote the scaled numbers, not the one that touched them last."""
    matched = matcher.match(ctx.value(gradient))
    current = gradient
    while matched is not None and ctx.nodes[current].inplace:
        old = ctx.nodes[current].parents[0]
        before = matcher.match(ctx.value(old)) if isinstance(old, int) and old in step.ydep else None
        if before is None or not np.isclose(abs(before[1]), abs(matched[1])):
            break
        current = old
    return current


def _unscaled(matcher: Matcher, value: np.ndarray, k: float) -> np.ndarray | None:
    """The array without the stray factor k, when it then is a true gradient."""
    with np.errstate(all="ignore"):
        fixed = np.asarray(value, dtype=np.float64) / k
    return fixed if matcher.match(fixed) is not None else None


PITFALL = Pitfall(
    id="gradient-scale",
    severity="error",
    gallery="gradient_scale",
    title="Gradient off by a constant factor",
    explanation="The update descends along c times the true gradient. The usual causes: the batch size (with "
    "reduction 'mean' the loss averages over m samples, so every gradient carries a 1/m; with 'sum' it does "
    "not), a 2 from Σ(ŷ−y)² kept or dropped against the declared loss, m read from another array than the "
    "batch, or the learning rate applied twice. A constant factor scales every step, as a wrong learning "
    "rate would, so training still runs and only the numbers tell.",
    judge_code=_judge_code,
    one_finding=True,
    fix="Divide by m once (usually at the output delta or at dW/db) when the loss is a mean, not at all when it "
    "is a sum; take m from the batch itself (m = Y.shape[-1] or len(X)); match the 2 to the loss you minimise.",
)
