"""Gradient shape differs from its parameter (silent broadcast).

Code mode finds it twice: here, where an op of the loss or backward pass broadcast (``silent_broadcast``,
run once over the run), and in ``bptrace.codetrace.diagnose`` where a gradient's shape does not fit its
parameter's update (which then defers to this finding when the broadcast came earlier).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.flow import StepInfo


def silent_broadcast(ctx: CodeContext) -> list[Hit]:
    """A gradient whose shape makes numpy broadcast it where it should not, earliest first:

    - an op of the loss or backward pass whose result outgrew both operands, (m,1) − (m,) → (m,m), unless
      the result has the shape of a parameter the step updates: ``error_term * x[:, None]`` is the outer
      product a weight gradient is, written by hand;
    - an accumulation or update ``D += G`` whose G has fewer entries than D (but more than one): every row
      of D receives the same numbers. A (n,) G into a (1, n) D has as many entries and lands right.
    """
    from bptrace.codetrace.context import Hit
    from bptrace.codetrace.flow import ELEMENTWISE_BINARY

    hits: list[Hit] = []
    for step in ctx.structure.steps:
        chains: dict[int, set[int]] = {}
        forward = set(step.params.values())
        for index in sorted(step.ydep):
            node = ctx.nodes[index]
            parents = [p for p in node.parents if isinstance(p, int)]
            if node.op not in ELEMENTWISE_BINARY or len(parents) != 2:
                continue
            sizes = [np.shape(ctx.nodes[p].value) for p in parents]
            out = np.shape(node.value)
            a, b = (ctx.name(p) for p in parents)
            if node.inplace or node.rebind:
                # A parameter's own update is judged against its gradient (diagnose); this is for the arrays
                # that collect gradients (del_w += …), which no forward pass reads.
                if (
                    parents[0] not in forward
                    and parents[1] in step.ydep
                    and 1 < int(np.prod(sizes[1])) < int(np.prod(out))
                ):
                    hits.append(Hit(index, ctx.site_of(index), f"{ctx.name(index)} {sizes[0]} receives {b} "
                                    f"{sizes[1]}: numpy broadcast the smaller gradient, so every row gets the same "
                                    "numbers."))
                continue
            if all(int(np.prod(s)) < int(np.prod(out)) for s in sizes) and not _outer_product(ctx, step, index, chains):
                hits.append(Hit(index, ctx.site_of(index), f"{ctx.name(index)} broadcasts {a} {sizes[0]} against "
                                f"{b} {sizes[1]} into {out}: every element meets every other, so every gradient "
                                "after this line is a different array."))
        if hits:
            return hits[:1]
    return []


def _outer_product(ctx: CodeContext, step: StepInfo, index: int, chains: dict[int, set[int]]) -> bool:
    """`error_term * x[:, None]`: one sample's weight gradient as an outer product, of the shape of the
    parameter whose update it feeds. Wrong numbers there are judged with that parameter's update."""
    shape = np.shape(ctx.nodes[index].value)
    for u in step.updates:
        if u.gradient is None or np.shape(ctx.nodes[u.old].value) != shape:
            continue
        if u.gradient not in chains:
            chains[u.gradient] = ctx.structure.derivation(step, u.gradient)
        if index in chains[u.gradient]:
            return True
    return False


PITFALL = Pitfall(
    id="shape-broadcast",
    severity="error",
    gallery="shape_broadcast",
    title="Gradient shape differs from its parameter (silent broadcast)",
    explanation=(
        "NumPy broadcasts mismatched shapes instead of failing: (m,1) − (m,) is an (m,m) matrix, and a (3,) bias "
        "gradient against a (3,1) bias spreads over a (3,3) array."
    ),
    fix=(
        "Keep targets and outputs the same shape (y.reshape(-1, 1)), use keepdims=True, and assert dW.shape == "
        "W.shape."
    ),
    detect_code=silent_broadcast,
    one_finding=True,
)
