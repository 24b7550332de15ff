"""Code-mode warnings and non-finite values, from the recorded numbers."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.flow import ELEMENTWISE_BINARY, StepInfo, Update
from bptrace.codetrace.layers import Layer
from bptrace.codetrace.rate import read_update
from bptrace.pitfalls.saturated_units import THRESHOLDS


def implicit_learning_rate(ctx: CodeContext) -> list[Hit]:
    """Updates whose statement's scalar factors multiply to 1 (none, or lr = 1): step size 1. Read
    algebraically (rate.py), so ``W2 -= lr * A1.T @ dZ2`` and a 0-d ``lr = np.float32(0.3)`` count as
    learning rates."""
    raw = [u for u in ctx.structure.updates if not u.failed and u.gradient is not None and _raw_step(ctx, u)]
    if not raw:
        return []
    lines = sorted({ctx.sites[u.site].line for u in raw})
    first = min(raw, key=lambda u: u.node)
    names = ", ".join(dict.fromkeys(ctx.sites[u.site].target or "?" for u in raw))
    return [Hit(first.node, first.site, f"{names} updated with the raw gradient (step size 1) on line(s) "
                f"{', '.join(map(str, lines))}.")]


def _raw_step(ctx: CodeContext, update: Update) -> bool:
    rate = read_update(ctx, update, ctx.step_of(update.node).ydep) if update.node >= 0 else None
    return update.learning_rate == 1.0 if rate is None else rate.product == 1.0


def exp_overflow(ctx: CodeContext) -> list[Hit]:
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


def non_finite(ctx: CodeContext) -> list[Hit]:
    """The first named array (or update) holding NaN/inf; inf inside an expression that recovers is not one."""
    for node in ctx.nodes:
        if not (ctx.named(node.index) or node.inplace):
            continue
        value = np.asarray(node.value)
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            kinds = [k for k, bad in (("nan", np.isnan(value)), ("inf", np.isinf(value))) if np.any(bad)]
            return [Hit(node.index, ctx.site_of(node.index), f"{ctx.name(node.index)} contains {' and '.join(kinds)} "
                        "(the first non-finite array of the run).")]
    return []


def _units(ctx: CodeContext) -> tuple[int, int]:
    """(unit axis, sample axis) of a layer's arrays."""
    return (0, 1) if ctx.structure.columns else (1, 0)


def _layer_units(
    ctx: CodeContext, activations: tuple[str, ...], unit_test: Callable[[str, np.ndarray], np.ndarray], min_samples: int
) -> list[tuple[Layer, np.ndarray, np.ndarray, int]]:
    """(layer, z, units for which ``unit_test`` holds for every sample) in the first training step."""
    unit_axis, sample_axis = _units(ctx)
    found: list[tuple[Layer, np.ndarray, np.ndarray, int]] = []
    for layer in ctx.structure.steps[0].layers if ctx.structure.steps else []:
        z = ctx.value(layer.z)
        if layer.activation not in activations or z.ndim != 2 or z.shape[sample_axis] < min_samples:
            continue
        units = np.flatnonzero(np.all(unit_test(layer.activation, z), axis=sample_axis))
        if units.size:
            found.append((layer, z, units, z.shape[unit_axis]))
    return found


def saturated_units(ctx: CodeContext) -> list[Hit]:
    return [
        Hit(layer.a, ctx.site_of(layer.a), f"{units.size} of {total} {layer.activation} units of {ctx.name(layer.a)} "
            f"have |{ctx.name(layer.z)}| > {THRESHOLDS[layer.activation]:g} for every sample: their local derivative "
            "is below 0.01, so the gradient through them nearly vanishes.")
        for layer, _z, units, total in _layer_units(
            ctx, tuple(THRESHOLDS), lambda act, z: np.abs(z) > THRESHOLDS[act], min_samples=1)
    ]


def dead_relu(ctx: CodeContext) -> list[Hit]:
    # With one sample an inactive unit is just inactive, not dead.
    return [
        Hit(layer.a, ctx.site_of(layer.a), f"{units.size} of {total} ReLU units of {ctx.name(layer.a)} output 0 for "
            f"every sample (units {', '.join(map(str, units[:8]))}): their gradient is 0, so their incoming weights "
            "never change.")
        for layer, _z, units, total in _layer_units(ctx, ("relu",), lambda _act, z: z <= 0, min_samples=2)
    ]


def silent_broadcast(ctx: CodeContext) -> list[Hit]:
    """A gradient whose shape makes numpy broadcast it where it should not, earliest first:

    - an op of the loss or backward pass whose result outgrew both operands, (m,1) − (m,) → (m,m), unless
      the result has the shape of a parameter the step updates: ``error_term * x[:, None]`` is the outer
      product a weight gradient is, written by hand;
    - an accumulation or update ``D += G`` whose G has fewer entries than D (but more than one): every row
      of D receives the same numbers. A (n,) G into a (1, n) D has as many entries and lands right.
    """
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
                if parents[0] not in forward and parents[1] in step.ydep and 1 < int(np.prod(sizes[1])) < int(np.prod(out)):
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


DETECTORS = {
    "shape-broadcast": silent_broadcast,
    "non-finite": non_finite,
    "implicit-learning-rate": implicit_learning_rate,
    "exp-overflow": exp_overflow,
    "saturated-units": saturated_units,
    "dead-relu": dead_relu,
}
