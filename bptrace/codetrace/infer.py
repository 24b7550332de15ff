"""Which declared loss (and reduction) a script minimises, when the learner did not say.

First from the loss value the script computes itself (a scalar computed from the output and the
targets that equals one declared loss); then from the gradients it produces (the loss under which its
updates are right). The two are cross-checked, because scripts often print one loss (the mean squared
error) and differentiate another (½Σ(A−Y)²): the gradients decide, the printed value only breaks ties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.layers import node_parents
from bptrace.ops import LOSSES, REDUCTIONS
from bptrace.pitfalls import CATALOGUE

# Most common first: a tie (one output unit makes mse and sse agree) goes to the earlier one.
_ORDER = ("bce", "cross_entropy", "half_sse", "mse", "sse")
# When no loss fits, these say only that the gradient does not fit the loss tried ("the output delta does not
# fit the loss", "differs, unexplained"): under a guessed loss that blames the guess. A loss under which the
# mistake has a name of its own (a transpose, a derivative of the wrong input) explains the code better.
_UNNAMED = ("loss-output-mismatch", "gradient-mismatch")


@dataclass(frozen=True)
class Inferred:
    loss: str
    reduction: str
    note: str  # said in the report, the TUI and exports


def infer_loss(ctx: CodeContext, reduction: str | None) -> Inferred | None:
    """None when no training step has an output and targets to infer from."""
    from bptrace.codetrace.diagnose import check_step
    from bptrace.codetrace.truth import Truth, step_truth

    step = next((s for s in ctx.structure.steps if s.output is not None and s.target is not None), None)
    if step is None:
        return None
    reductions = (reduction,) if reduction else REDUCTIONS
    computed = _computed_losses(ctx, step)
    # (errors, preference, loss, reduction, line, unnamed: errors that name no mistake of the learner's own)
    fits: list[tuple[int, int, str, str, str | None, int]] = []
    values: dict[tuple[str, str], float] = {}
    for rank, loss in enumerate(_ORDER):
        if LOSSES[loss].needs == "softmax" and not _sums_to_one(ctx, step):
            continue
        for red in reductions:
            truth = step_truth(ctx, step, loss, red)
            if not isinstance(truth, Truth) or not math.isfinite(truth.loss):
                continue
            values[loss, red] = truth.loss
            hits = {fid: len(found) for fid, found in check_step(ctx, step, truth).hits.items()
                    if CATALOGUE[fid].severity == "error"}
            line = next((site_line for value, site_line in computed if _same(value, truth.loss)), None)
            fits.append((sum(hits.values()), rank, loss, red, line, sum(hits.get(fid, 0) for fid in _UNNAMED)))
    if not fits:
        return None
    clean = [f for f in fits if f[0] == 0]
    if clean:
        # Several losses fit the gradients (they differ by a factor the learning rate absorbs): the one
        # the script computes wins, else the most common.
        best = min(clean, key=lambda f: (f[4] is None, f[1]))
        how = _how(best[4], len(clean) > 1 and best[4] is None)
    else:
        said = [f for f in fits if f[4] is not None]
        best = min(said or fits, key=lambda f: (f[4] is None, f[0], f[5], f[1]))
        how = f"your line {best[4]} computes it" if best[4] is not None else \
            "the closest fit to your gradients, which none fits exactly: pass --loss to be sure"
    other = values.get((best[2], "mean" if best[3] == "sum" else "sum"))
    if other is not None and reduction is None and _close(other, values[best[2], best[3]]):
        how += "; sum and mean agree here: one sample per training step"
    return Inferred(best[2], best[3], f"Loss inferred: {best[2]}, {best[3]} ({how}).")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)


def _how(line: str | None, ambiguous: bool) -> str:
    if line is not None:
        return f"your line {line} computes it, and your gradients fit it"
    if ambiguous:
        return "your gradients fit it; losses that differ only by a constant factor fit equally: pass --loss to be sure"
    return "your gradients fit it"


def _same(value: float, loss: float) -> bool:
    return math.isfinite(value) and abs(value - loss) <= 1e-5 * max(abs(loss), 1e-12)


def _computed_losses(ctx: CodeContext, step: StepInfo) -> list[tuple[float, str]]:
    """Scalars the script computes from both the output and the targets: (value, line), the line naming its
    file when the program has several (a loss class in a module of its own)."""
    files = {site.file for site in ctx.sites}
    assert step.output is not None
    from_output = {step.output}
    found: list[tuple[float, str]] = []
    for node in ctx.nodes[step.output + 1 : step.end]:
        if not any(p in from_output for p in node_parents(node)):
            continue
        from_output.add(node.index)
        if node.index in step.ydep and np.size(node.value) == 1 and node.site >= 0:
            value = float(np.asarray(node.value, dtype=np.float64).reshape(()))
            site = ctx.sites[node.site]
            found.append((value, f"{site.line}" if len(files) == 1 else f"{site.line} of {site.file}"))
    return found


def _sums_to_one(ctx: CodeContext, step: StepInfo) -> bool:
    """Cross-entropy is declared with a softmax output: the outputs of each sample sum to 1."""
    assert step.output is not None
    out = np.asarray(ctx.nodes[step.output].value, dtype=np.float64)
    if out.ndim not in (1, 2) or out.size < 2:
        return False
    # A 1-D output is one sample's (per-sample loops): its classes are all of it.
    axis = None if out.ndim == 1 else 0 if ctx.structure.columns else 1
    return bool(np.allclose(out.sum(axis=axis), 1.0, atol=1e-4) and (out >= 0).all())
