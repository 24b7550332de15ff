"""Weight used without (or with) a transpose (code mode). ``_judge_code`` reads an update whose gradient is
the transpose of the true one; ``bptrace.codetrace.diagnose`` does when the shapes differ, and
``_explain_product`` at a matrix product of the first divergence (asked by ``bptrace.codetrace.explain``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.flow import StepInfo
    from bptrace.codetrace.judged import Product, Verdict


def _judge_code(v: Verdict) -> Hit | None:
    from bptrace.codetrace.compare import close, scales
    from bptrace.codetrace.context import Hit

    effective, g, m = v.j.effective, v.j.g, v.truth.samples
    if not (effective.ndim == 2 and any(close(effective.T, f * g) for f in scales(m))):
        return None
    first = _first_transposed(v.ctx, v.step, v.j.node, g, m)  # dW = dZ.T @ X, not a later dW += reg * W
    return Hit(first, v.ctx.site_of(first), f"{v.ctx.name(first)} is the transpose of ∂L/∂{v.j.name} ({v.numbers}).")


def _first_transposed(ctx: CodeContext, step: StepInfo, gradient: int, g: np.ndarray, m: int) -> int:
    """The gradient array as first computed, while its earlier in-place versions are still the transpose."""
    from bptrace.codetrace.compare import close, scales

    current = gradient
    while ctx.nodes[current].inplace:
        old = ctx.nodes[current].parents[0]
        if not (isinstance(old, int) and old in step.ydep):
            break
        value = ctx.value(old)
        if value.ndim != 2 or not any(close(value.T, f * g) for f in scales(m)):
            break
        current = old
    return current

def _explain_product(p: Product) -> Hit | None:
    """The product with one operand transposed (or the two swapped) is a true gradient."""
    from bptrace.codetrace.context import Hit
    from bptrace.numbers import array_summary

    ctx = p.ctx
    for swapped in _transposed_variants(ctx.value(p.upstream), ctx.value(p.other)):
        if p.matcher.match(swapped) is not None:
            return Hit(p.node, ctx.op_site(p.node), f"{ctx.name(p.node)} multiplies by {ctx.name(p.other)} where the "
                       f"chain rule needs its transpose (got {array_summary(ctx.value(p.node))}, expected "
                       f"{array_summary(swapped)}).", swapped)
    return None


def _transposed_variants(u: np.ndarray, o: np.ndarray) -> list[np.ndarray]:
    variants = []
    for left, right in ((u, o.T), (o.T, u), (u.T, o), (o, u.T)) if o.ndim == 2 else ():
        if left.ndim == 2 and right.ndim == 2 and left.shape[1] == right.shape[0]:
            variants.append(left @ right)
    return variants


PITFALL = Pitfall(
    id="transpose",
    severity="error",
    gallery="transpose",
    title="Weight used without (or with) a transpose",
    explanation=(
        "For Z = W·A the chain rule gives ∂L/∂A = Wᵀ·∂L/∂Z and ∂L/∂W = ∂L/∂Z·Aᵀ; swapping a transpose gives the right "
        "numbers in the wrong places (square matrices hide it)."
    ),
    judge_code=_judge_code,
    explain_product=_explain_product,
    one_finding=True,
    fix=(
        "Check each product against the forward one: columns dW = dZ @ A_prev.T, dA_prev = W.T @ dZ; rows dW = "
        "A_prev.T @ dZ, dA_prev = dZ @ W.T."
    ),
)
