"""Parameters moved up the gradient (code mode). ``_judge_code`` reads an update that descends along a
negative multiple of the true gradient; ``bptrace.codetrace.diagnose`` also judges, once an update's gradient
is known to be wrong, whether it is applied with the opposite sign to the program's other updates
(``against_convention``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import Hit
    from bptrace.codetrace.judged import Verdict


def _judge_code(v: Verdict) -> Hit | None:
    from bptrace.codetrace import scale
    from bptrace.codetrace.context import Hit

    ctx, update, name, k = v.ctx, v.j.update, v.j.name, v.j.factor
    if k is None or k >= 0:
        return None
    # The update moves uphill. The same step taken downhill: old − (new − old).
    downhill = 2 * ctx.value(update.old).astype(np.float64) - ctx.value(update.node) if update.node >= 0 else None
    size = "" if scale.same(k, -1.0) else f" (and {scale.cause(-k, v.truth.samples)})"
    return Hit(update.node if update.node >= 0 else v.j.node, update.site, f"{name} moved up its gradient: the "
               f"update adds lr·∂L/∂{name} instead of subtracting it{size} ({v.numbers}).", downhill)

def against_convention(v: Verdict) -> Hit | None:
    """A wrong gradient can still be applied with the wrong sign, an independent mistake: the update is
    judged against the learner's own array. The program's correct updates show its convention (arrays that
    are gradients, subtracted; or negated gradients, added); an update that applies its array the other way
    is ``update-sign``, whatever the array's own error (asked only once the array is known to be wrong)."""
    from bptrace.codetrace.context import Hit

    j = v.j
    conventions = {p.direction for p in v.judged if p is not j and p.right}  # close(p.effective, p.g), judged once
    if len(conventions) != 1 or j.direction in conventions or j.update.node < 0:
        return None
    return Hit(j.update.node, j.update.site, f"{j.name} moves up its gradient: the update applies its gradient "
               f"array with the opposite sign to the program's other updates ({v.numbers}).")


PITFALL = Pitfall(
    id="update-sign",
    severity="error",
    gallery="update_sign",
    title="Parameters moved up the gradient",
    explanation="Gradient descent subtracts lr·∂L/∂W; adding it climbs the loss.",
    judge_code=_judge_code,
    one_finding=True,
    fix="Use W -= lr * dW (or W += lr * delta only if delta is −∂L/∂W, e.g. computed from Y − A).",
)
