"""Name the cause at the first array that equals no true gradient.

The array's own expression is inspected with the numbers: a product of an
upstream gradient and a local factor (which derivative was it, at what?), or a
matrix product (stale weights, a missing transpose, a missing activation
derivative). What matches nothing is ``gradient-mismatch`` there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.codetrace.compare import close
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.probe import probe_helper
from bptrace.codetrace.structure import MATMUL, Layer, StepInfo
from bptrace.codetrace.targets import label_delta
from bptrace.numbers import array_summary
from bptrace.ops import ACTIVATIONS

if TYPE_CHECKING:
    from bptrace.codetrace.diagnose import Matcher
    from bptrace.codetrace.runtime import UserCall

_FORMS = {"sigmoid": ("x·(1−x)", "σ(x)·(1−σ(x))"), "tanh": ("1−x²", "1−tanh(x)²")}
_ACTIVATION_FORM = {"sigmoid": "{a} * (1 - {a})", "tanh": "1 - {a}**2"}


def _expression(ctx: CodeContext, step: StepInfo, index: int) -> list[int]:
    """The node and the unnamed gradient-carrying nodes of the same statement it is built from."""
    stmt = ctx.sites[ctx.nodes[index].site].stmt if ctx.nodes[index].site >= 0 else None
    found, stack = [], [index]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.append(current)
        for parent in ctx.nodes[current].parents:
            if not isinstance(parent, int) or parent not in step.ydep or ctx.named(parent):
                continue
            site = ctx.nodes[parent].site
            if site >= 0 and ctx.sites[site].stmt == stmt:
                stack.append(parent)
    return found


def explain(ctx: CodeContext, step: StepInfo, matcher: Matcher, index: int) -> tuple[str, Hit]:
    for node in _expression(ctx, step, index):
        op = ctx.nodes[node].op
        found = _product(ctx, step, matcher, node) if op == "multiply" else None
        if found is None and op in MATMUL:
            found = _matrix_product(ctx, step, matcher, node)
        if found is not None:
            return found
    for node in _expression(ctx, step, index):
        found = _raw_output_gradient(ctx, step, matcher, node)
        if found is not None:
            return found
    if step.first_loss_op is not None and step.first_loss_op in _expression(ctx, step, index):
        return _output_delta(ctx, step, matcher, index)
    found = label_delta(ctx, step, index)  # integer labels: dscores[range(N), y] -= 1 on the wrong array
    if found is not None:
        return found
    # No reference here: the nearest true gradient is a guess at what the array was meant to be.
    expected = matcher.nearest(ctx.value(index))
    detail = ""
    if expected is not None:
        detail = (f" It is closest to ∂L/∂{ctx.name(expected)} = {array_summary(matcher.truth.grads[expected])}, "
                  f"got {array_summary(ctx.value(index))}.")
    return "gradient-mismatch", Hit(index, ctx.site_of(index), f"{ctx.name(index)} is the first array of the "
                                    f"backward pass that equals no true gradient.{detail}")


def _output_delta(ctx: CodeContext, step: StepInfo, matcher: Matcher, index: int) -> tuple[str, Hit]:
    """The learner's output delta (built from output and targets) equals neither ∂L/∂A nor ∂L/∂Z.
    No reference: which of the two it was meant to be is not known."""
    assert step.output is not None
    layer = _layer(step, a=step.output)
    grads = matcher.truth.grads
    options = [f"∂L/∂{ctx.name(step.output)} = {array_summary(grads[step.output])}"]
    if layer is not None and layer.z in grads:
        options.append(f"∂L/∂{ctx.name(layer.z)} = {array_summary(grads[layer.z])}")
    output = f"a {layer.activation} output" if layer is not None else "this output"
    return "loss-output-mismatch", Hit(index, ctx.site_of(index), f"the output delta {ctx.name(index)} = "
        f"{array_summary(ctx.value(index))} fits neither {' nor '.join(options)} for the declared loss with "
        f"{output} (a constant factor such as mse's 2/k, or a different loss, explains it).")


def _split(ctx: CodeContext, step: StepInfo, node: int) -> tuple[int, int] | None:
    """(upstream, other) operands of a binary op with exactly one gradient-carrying side."""
    parents = ctx.nodes[node].parents
    if len(parents) != 2 or not all(isinstance(p, int) for p in parents):
        return None
    a, b = parents
    if (a in step.ydep) == (b in step.ydep):
        return None
    return (a, b) if a in step.ydep else (b, a)  # type: ignore[return-value]


def _layer(step: StepInfo, *, a: int | None = None, z: int | None = None) -> Layer | None:
    for layer in step.layers:
        if (a is not None and layer.a == a) or (z is not None and layer.z == z):
            return layer
    return None


def _product(ctx: CodeContext, step: StepInfo, matcher: Matcher, node: int) -> tuple[str, Hit] | None:
    """D = U ⊙ L1 ⊙ L2 … with U a true gradient: which local derivative do the L's make together?"""
    locals_: list[int] = []
    current = node
    while True:
        split = _split(ctx, step, current)
        if split is None or ctx.nodes[current].op != "multiply":
            return None
        upstream, local = split
        locals_.append(local)
        matched = matcher.match(ctx.value(upstream))
        if matched is not None:
            break
        if ctx.named(upstream):
            return None
        current = upstream
    target, factor = matched
    u = ctx.value(upstream).astype(np.float64)
    mask = np.abs(u) > 0
    if not mask.any() or u.shape != np.shape(ctx.nodes[node].value):
        return None
    with np.errstate(all="ignore"):
        lval = np.where(mask, ctx.value(node).astype(np.float64) / np.where(mask, u, 1.0), 0.0)
    where = ctx.site_of(node)

    def same(expected: np.ndarray) -> bool:
        return expected.shape == lval.shape and close(lval[mask], expected[mask])

    layer = _layer(step, a=target)
    if layer is not None and ACTIVATIONS[layer.activation].elementwise:
        act = ACTIVATIONS[layer.activation]
        z, a = ctx.value(layer.z).astype(np.float64), ctx.value(layer.a).astype(np.float64)
        right = act.derivative(z, a)
        if same(right):
            return None
        # The node is U ⊙ (local derivatives) with U = factor·∂L/∂A: it is meant to be factor·∂L/∂A ⊙ f′(Z).
        meant = factor * matcher.truth.grads[target] * right
        zname, aname = ctx.name(layer.z), ctx.name(layer.a)
        call = next((c for c in ctx.calls if c.result in locals_), None)  # the learner's derivative helper
        helper = _helper_text(ctx, call, layer.activation)
        expected = f"expected {layer.activation}′({zname}) = {array_summary(right)}, got {array_summary(lval)}"
        called = _helper_name(ctx, call)
        if layer.activation in _FORMS and same(act.derivative(z, z)):
            fix = (f"Pass the activation: {called}({aname}), not {called}({zname}); or rewrite the helper to take z."
                   if called else None)
            return "derivative-on-preactivation", Hit(node, where, f"{helper}the local derivative was computed as "
                f"{_FORMS[layer.activation][0]} with x = {zname}, a pre-activation; that form expects the activation "
                f"{aname} ({expected}).", meant, fix)
        if layer.activation in _FORMS and same(act.derivative(a, act.forward(a, 0))):
            fix = (f"Pass the pre-activation: {called}({zname}), not {called}({aname}); or use the activation form "
                   f"{_ACTIVATION_FORM[layer.activation].format(a=aname)}." if called else None)
            return "derivative-on-activation", Hit(node, where, f"{helper}the local derivative was computed as "
                f"{_FORMS[layer.activation][1]} with x = {aname}, an activation; that form expects the pre-activation "
                f"{zname} ({expected}).", meant, fix)
        return "gradient-mismatch", Hit(node, where, f"{ctx.name(node)} multiplies ∂L/∂{aname} by a local derivative "
                                        f"that is not {layer.activation}′({zname}) ({expected}).", meant)
    layer = _layer(step, z=target)
    if layer is not None and layer.a == step.output and _handed_down(ctx, upstream, node):
        # A generic helper (sigmoid_backward(dA, cache)) is right for what it expects, ∂L/∂A: the line that
        # handed it ∂L/∂Z instead is the mistake.
        site, shown = _declared(ctx, upstream, node)
        return "loss-output-mismatch", Hit(upstream, site, f"{shown} already is ∂L/∂{ctx.name(layer.z)} (for this "
            f"loss with a {layer.activation} output), yet it is passed on as ∂L/∂{ctx.name(layer.a)}, and "
            f"{ctx.name(node)} multiplies it by {layer.activation}′ again: the output delta should be "
            f"∂L/∂{ctx.name(layer.a)} here.", factor * matcher.truth.grads[layer.a])
    if layer is not None and layer.a == step.output:
        return "loss-output-mismatch", Hit(node, where, f"{ctx.name(upstream)} already is ∂L/∂{ctx.name(layer.z)} "
            f"(for this loss with a {layer.activation} output), yet {ctx.name(node)} multiplies it by another local "
            f"derivative {array_summary(lval)}: an extra {layer.activation}′.", factor * matcher.truth.grads[target])
    if target == step.output and _layer(step, a=target) is None and not same(np.ones_like(lval)):
        # A linear output: ∂L/∂output is the output delta itself; a ReLU mask or σ′ on it is one too many.
        return "loss-output-mismatch", Hit(node, where, f"{ctx.name(upstream)} already is ∂L/∂"
            f"{ctx.name(step.output)}, the delta of a linear output, yet {ctx.name(node)} multiplies it by a local "
            f"derivative {array_summary(lval)} the output layer does not have.", factor * matcher.truth.grads[target])
    return None


def _handed_down(ctx: CodeContext, upstream: int, node: int) -> bool:
    """Was the learner's array ``upstream`` handed to a helper of theirs that computed ``node`` from it?"""
    return ctx.named(upstream) and any(
        upstream in call.arg_nodes and call.result is not None and call.start <= node <= call.result
        for call in ctx.calls)


def _helper_name(ctx: CodeContext, call: UserCall | None) -> str | None:
    """The learner's derivative helper as their code calls it (``sigmoid_derivative``, ``self.sigmoid_derivative``)."""
    if call is None:
        return None
    text = ctx.sites[call.site].text if call.site >= 0 else ""
    callee = text.split("(", 1)[0].strip() if text.endswith(")") else ""
    return callee if callee.replace(".", "").replace("_", "").isalnum() else getattr(call.func, "__name__", None)


def _helper_text(ctx: CodeContext, call: UserCall | None, activation: str) -> str:
    if call is None:
        return ""
    name = getattr(call.func, "__name__", "helper")
    kind = probe_helper(ctx.recorder, call.func, activation) if ctx.recorder is not None else None
    if kind is None:
        return f"{name}(…): "
    return f"{name}(x) expects {'an activation' if kind == 'activation' else 'a pre-activation'} (probed); "


def _matrix_product(ctx: CodeContext, step: StepInfo, matcher: Matcher, node: int) -> tuple[str, Hit] | None:
    split = _split(ctx, step, node)
    if split is None:
        return None
    upstream, other = split
    base = other
    if ctx.nodes[other].op == "transpose" and isinstance(ctx.nodes[other].parents[0], int):
        base = ctx.nodes[other].parents[0]
    updated = {u.node: u for u in step.updates}
    if base in updated:
        old = updated[base].old
        return "stale-weights", Hit(node, ctx.site_of(node), f"{ctx.name(node)} uses {ctx.name(base)} after this "
            f"step's update (at line {ctx.sites[updated[base].site].line}); the chain rule needs the weights the "
            f"forward pass used: compute every gradient before updating ({array_summary(ctx.value(old))} before, "
            f"{array_summary(ctx.value(base))} after).", _with_old_weights(ctx, matcher, node, other, base != other, old))
    u, o = ctx.value(upstream), ctx.value(other)
    for swapped in _transposed_variants(u, o):
        if matcher.match(swapped) is not None:
            return "transpose", Hit(node, ctx.site_of(node), f"{ctx.name(node)} multiplies by {ctx.name(other)} "
                                    f"where the chain rule needs its transpose (got {array_summary(ctx.value(node))}, "
                                    f"expected {array_summary(swapped)}).", swapped)
    matched = matcher.match(u)
    if matched is None:
        return None
    target, _factor = matched
    layer = _layer(step, a=target)
    if layer is None or layer.activation == "linear":
        return None
    if target == step.output:
        return _raw_output_gradient(ctx, step, matcher, node)
    # No new reference: the upstream array is right as ∂L/∂A (its step already shows that); the missing
    # f′ may belong on it or in a line not written.
    return "gradient-mismatch", Hit(upstream, ctx.site_of(upstream), f"{ctx.name(upstream)} is ∂L/∂{ctx.name(target)}"
        f" but {ctx.name(node)} needs ∂L/∂{ctx.name(layer.z)}: multiply by {layer.activation}′({ctx.name(layer.z)}).")


def _raw_output_gradient(ctx: CodeContext, step: StepInfo, matcher: Matcher, node: int) -> tuple[str, Hit] | None:
    """An operand equal to ∂L/∂(output activation) used as if it were ∂L/∂Z of the output layer."""
    layer = _layer(step, a=step.output)
    if layer is None or not ACTIVATIONS[layer.activation].elementwise:
        return None
    for parent in ctx.nodes[node].parents:
        if not isinstance(parent, int) or parent not in step.ydep:
            continue
        matched = matcher.match(ctx.value(parent))
        if matched is not None and matched[0] == step.output:
            site, shown = _declared(ctx, parent, node)
            # It is used as the output delta, so it should have been factor·∂L/∂A ⊙ f′(Z) of the output layer.
            z, a = ctx.value(layer.z).astype(np.float64), ctx.value(layer.a).astype(np.float64)
            delta = matched[1] * matcher.truth.grads[step.output] * ACTIVATIONS[layer.activation].derivative(z, a)
            return "loss-output-mismatch", Hit(parent, site, f"{shown} is "
                f"∂L/∂{ctx.name(step.output)}, not ∂L/∂{ctx.name(layer.z)}: with this loss and a {layer.activation} "
                f"output the output delta needs {layer.activation}′({ctx.name(layer.z)}); {ctx.name(node)} uses it "
                "as if it had it.", delta)
    return None


def _declared(ctx: CodeContext, index: int, use: int) -> tuple[int | None, str]:
    """Where ``use`` got the array from: the last alias bound in the same function before it
    (``self.delta2 = self.error`` is the statement that calls A−Y a delta), else where it was made."""
    binds = [site for site, count in ctx.nodes[index].binds if count <= use]
    if len(binds) > 1:
        first = ctx.sites[binds[0]]
        later = [s for s in binds[1:] if ctx.sites[s].depth == first.depth and len(ctx.sites[s].names) == 1
                 and ctx.sites[s].names[0] != first.names[0]]
        if later:
            return later[-1], f"{ctx.sites[later[-1]].names[0]} (= {ctx.name(index)})"
    return ctx.site_of(index), ctx.name(index)


def _with_old_weights(ctx: CodeContext, matcher: Matcher, node: int, other: int, transposed: bool,
                      old: int) -> np.ndarray | None:
    """The matrix product recomputed with the weights before the update, if that is a true gradient."""
    w = ctx.value(old).astype(np.float64)
    operands = [w.T if transposed and p == other else w if p == other else ctx.value(p).astype(np.float64)
                for p in ctx.nodes[node].parents]  # _split: both parents are nodes
    try:
        value = np.asarray((np.matmul if ctx.nodes[node].op == "matmul" else np.dot)(*operands))
    except ValueError:
        return None
    return value if matcher.match(value) is not None else None


def _transposed_variants(u: np.ndarray, o: np.ndarray) -> list[np.ndarray]:
    variants = []
    for left, right in ((u, o.T), (o.T, u), (u.T, o), (o, u.T)) if o.ndim == 2 else ():
        if left.ndim == 2 and right.ndim == 2 and left.shape[1] == right.shape[0]:
            variants.append(left @ right)
    return variants
