"""The true loss and gradients of one training step, from the learner's own forward pass."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.reverse import Unsupported, reverse_from
from bptrace.ops import LOSSES


@dataclass
class Truth:
    loss: float
    samples: int
    grads: dict[int, np.ndarray] = field(default_factory=dict)  # ∂L/∂node for every forward node


def _as_2d(value: np.ndarray, columns: bool) -> np.ndarray:
    if value.ndim >= 2:
        return value
    if value.ndim == 0:
        return value.reshape(1, 1)
    # A 1-D output is one sample's features (W @ x or x @ W with a vector x).
    return value.reshape(-1, 1) if columns else value.reshape(1, -1)


def step_truth(ctx: CodeContext, step: StepInfo, loss_name: str, reduction: str) -> Truth | str:
    """The truth for ``step``, or why it cannot be derived."""
    if step.output is None or step.target is None:
        return "bptrace could not find the network's output and targets (an elementwise op of the output with Y)"
    columns = ctx.structure.columns
    feature_axis, sample_axis = (0, 1) if columns else (1, 0)
    loss = LOSSES[loss_name]
    passes = step.pairs or [(step.first_loss_op or 0, step.output, step.target)]
    shaped = []
    for _op, output, target in passes:
        out = np.asarray(ctx.nodes[output].value, dtype=np.float64)
        a = _as_2d(out, columns)
        # Integer labels: the one-hot targets built for them (targets.py; one pass per step).
        y = step.target_value if step.target_value is not None and len(passes) == 1 else ctx.nodes[target].value
        shaped.append((output, out.shape, a, np.asarray(y, dtype=np.float64).reshape(a.shape)))
    # Per-sample backprop summed over a mini-batch: one loss over every sample of every pass.
    samples = sum(a.shape[sample_axis] for _o, _s, a, _y in shaped)
    scale = 1.0 / samples if reduction == "mean" else 1.0
    value = 0.0
    seeds: dict[int, np.ndarray] = {}
    with np.errstate(all="ignore"):
        for output, shape, a, y in shaped:
            value += float(np.sum(loss.per_sample(a, y, feature_axis)) * scale)
            seeds[output] = (loss.gradient(a, y, feature_axis) * scale).reshape(shape)
    try:
        grads = reverse_from(ctx.nodes, step.cone, seeds)
    except Unsupported as error:
        site = ctx.sites[error.node.site] if error.node.site >= 0 else None
        where = f" at {site.file}:{site.line}" if site else ""
        return f"bptrace has no derivative rule for `{error.node.op}`{where}, so it cannot derive the true gradients"
    return Truth(value, samples, grads)
