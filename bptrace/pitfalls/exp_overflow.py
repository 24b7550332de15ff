"""np.exp overflowed (code mode: an exp op whose finite argument gave inf)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit


def _detect_code(ctx: CodeContext) -> list[Hit]:
    from bptrace.codetrace.context import Hit

    hits: list[Hit] = []
    seen: set[int] = set()
    for node in ctx.nodes:
        if node.op != "exp" or node.site in seen or not isinstance(node.parents[0], int):
            continue
        value, arg = np.asarray(node.value), ctx.value(node.parents[0])
        if value.dtype.kind == "f" and np.any(np.isinf(value) & np.isfinite(arg)):
            seen.add(node.site)
            worst = float(np.max(np.abs(arg[np.isfinite(arg)])))
            hits.append(Hit(node.index, ctx.site_of(node.index), f"np.exp overflowed to inf at {ctx.name(node.index)} "
                            f"(|argument| up to {worst:.4g}; float64 overflows above about 709)."))
    return hits


PITFALL = Pitfall(
    id="exp-overflow",
    severity="warning",
    gallery="exp_overflow",
    title="np.exp overflowed",
    explanation=(
        "np.exp of a number above about 709 is inf in float64; 1/(1+exp(−z)) still gives 0 but warns, and other forms "
        "turn into NaN."
    ),
    fix=(
        "Use a stable sigmoid (np.where on the sign of z, or scipy.special.expit), or np.clip(z, -500, 500) before "
        "np.exp."
    ),
    detect_code=_detect_code,
    names_upstream=False,
)
