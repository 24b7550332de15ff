"""No learning rate (step size 1). Code mode reads it from the update's own expression; reference mode from
the scenario's learning rate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bptrace.pitfalls.base import Pitfall
from bptrace.trace import ScenarioInfo, Step

if TYPE_CHECKING:
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.flow import Update


def _detect(steps: Sequence[Step], info: ScenarioInfo) -> list[tuple[int, str]]:
    for step in steps:
        if step.phase == "update" and step.meta.get("learning_rate") == 1.0:
            return [(step.index, "Every parameter is updated with the raw gradient: learning_rate = 1.")]
    return []


def _detect_code(ctx: CodeContext) -> list[Hit]:
    """Updates whose statement's scalar factors multiply to 1 (none, or lr = 1): step size 1. Read
    algebraically (rate.py), so ``W2 -= lr * A1.T @ dZ2`` and a 0-d ``lr = np.float32(0.3)`` count as
    learning rates."""
    from bptrace.codetrace.context import Hit

    raw = [u for u in ctx.structure.updates if not u.failed and u.gradient is not None and _raw_step(ctx, u)]
    if not raw:
        return []
    lines = sorted({ctx.sites[u.site].line for u in raw})
    first = min(raw, key=lambda u: u.node)
    names = ", ".join(dict.fromkeys(ctx.sites[u.site].target or "?" for u in raw))
    return [Hit(first.node, first.site, f"{names} updated with the raw gradient (step size 1) on line(s) "
                f"{', '.join(map(str, lines))}.")]


def _raw_step(ctx: CodeContext, update: Update) -> bool:
    from bptrace.codetrace.rate import read_update

    rate = read_update(ctx, update, ctx.step_of(update.node).ydep) if update.node >= 0 else None
    return update.learning_rate == 1.0 if rate is None else rate.product == 1.0


PITFALL = Pitfall(
    id="implicit-learning-rate",
    severity="warning",
    gallery="implicit_learning_rate",
    title="No learning rate (step size 1)",
    explanation=(
        "The parameters are updated with the raw gradient: the step size is 1. That often overshoots, and it hides the "
        "learning rate from whoever reads the code."
    ),
    fix="Multiply by an explicit learning rate: W -= lr * dW with lr around 0.01–0.5.",
    detect_reference=_detect,
    detect_code=_detect_code,
    names_upstream=False,
)
