"""Gradient computed with weights already updated (code mode): a matrix product at the first divergence that
reads a weight this step has already updated (``_explain_product``, asked by ``bptrace.codetrace.explain``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.judged import Product
    from bptrace.codetrace.matcher import Matcher


def _explain_product(p: Product) -> Hit | None:
    from bptrace.codetrace.context import Hit
    from bptrace.numbers import array_summary

    ctx, node, other = p.ctx, p.node, p.other
    base = other
    if ctx.nodes[other].op == "transpose" and isinstance(ctx.nodes[other].parents[0], int):
        base = ctx.nodes[other].parents[0]
    updated = {u.node: u for u in p.step.updates}
    if base not in updated:
        return None
    old = updated[base].old
    return Hit(
        node,
        ctx.op_site(node),
        f"{ctx.name(node)} uses {ctx.name(base)} after this step's update (at line "
        f"{ctx.sites[updated[base].site].line}); the chain rule needs the weights the forward pass used: "
        f"compute every gradient before updating ({array_summary(ctx.value(old))} before, "
        f"{array_summary(ctx.value(base))} after).",
        _with_old_weights(ctx, p.matcher, node, other, base != other, old),
    )


def _with_old_weights(ctx: CodeContext, matcher: Matcher, node: int, other: int, transposed: bool,
                      old: int) -> np.ndarray | None:
    """The matrix product recomputed with the weights before the update, if that is a true gradient."""
    w = ctx.value(old).astype(np.float64)
    operands = [w.T if transposed and p == other else w if p == other else ctx.value(p).astype(np.float64)
                for p in ctx.nodes[node].parents]  # both parents are nodes (explain._split)
    try:
        value = np.asarray((np.matmul if ctx.nodes[node].op == "matmul" else np.dot)(*operands))
    except ValueError:
        return None
    return value if matcher.match(value) is not None else None

PITFALL = Pitfall(
    id="stale-weights",
    severity="error",
    gallery="stale_weights",
    title="Gradient computed with weights already updated",
    explanation=(
        "Backpropagation needs the weights that produced this forward pass. Updating W2 before computing the delta of "
        "the layer below uses the new W2 and mixes two different networks."
    ),
    explain_product=_explain_product,
    fix="Compute all gradients first, then update all parameters.",
)
