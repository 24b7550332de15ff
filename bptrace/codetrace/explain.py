"""Name the cause at the first array that equals no true gradient.

The array's own expression is inspected with the numbers: a product of an
upstream gradient and a local factor (which derivative was it, at what?), or a
matrix product (stale weights, a missing transpose, a missing activation
derivative). What matches nothing is ``gradient-mismatch`` there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.codetrace.arguments import passed_at
from bptrace.codetrace.compare import close
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.flow import MATMUL, StepInfo
from bptrace.codetrace.judged import LocalFactor, Product
from bptrace.codetrace.label_delta import label_delta
from bptrace.codetrace.output_delta import declared, layer_of, output_delta, raw_output_gradient
from bptrace.codetrace.places import argument_site, diverging_call, handed_in, local_site, read_elsewhere
from bptrace.codetrace.probe import probe_helper
from bptrace.numbers import array_summary
from bptrace.ops import ACTIVATIONS
from bptrace.pitfalls import CATALOGUE

if TYPE_CHECKING:
    from bptrace.codetrace.matcher import Matcher
    from bptrace.codetrace.runtime import UserCall


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
    found = explain_cause(ctx, step, matcher, index)
    return found if found is not None else first_mismatch(ctx, matcher, index)


def explain_cause(ctx: CodeContext, step: StepInfo, matcher: Matcher, index: int) -> tuple[str, Hit] | None:
    """The catalogue's cause for the array's expression, or None when no known mistake fits."""
    for node in _expression(ctx, step, index):
        op = ctx.nodes[node].op
        found = _product(ctx, step, matcher, node) if op == "multiply" else None
        if found is None and op in MATMUL:
            found = _matrix_product(ctx, step, matcher, node)
        if found is None and op == "sum":
            found = _reduction(ctx, step, matcher, node)
        if found is not None:
            return found
    for node in _expression(ctx, step, index):
        found = raw_output_gradient(ctx, step, matcher, node)
        if found is not None:
            return found
    if step.first_loss_op is not None and step.first_loss_op in _expression(ctx, step, index):
        return output_delta(ctx, step, matcher, index)
    found = label_delta(ctx, step, index)  # integer labels: dscores[range(N), y] -= 1 on the wrong array
    if found is not None:
        return found
    return None


def first_mismatch(ctx: CodeContext, matcher: Matcher, index: int) -> tuple[str, Hit]:
    """``gradient-mismatch`` at the array's own line, no cause named."""
    # No reference here: the nearest true gradient is a guess at what the array was meant to be.
    expected = matcher.nearest(ctx.value(index))
    detail = ""
    if expected is not None:
        detail = (f" It is closest to ∂L/∂{ctx.name(expected)} = {array_summary(matcher.truth.grads[expected])}, "
                  f"got {array_summary(ctx.value(index))}.")
    return "gradient-mismatch", Hit(index, ctx.op_site(index), f"{ctx.name(index)} is the first array of the "
                                    f"backward pass that equals no true gradient.{detail}")


def _split(ctx: CodeContext, step: StepInfo, node: int) -> tuple[int, int] | None:
    """(upstream, other) operands of a binary op with exactly one gradient-carrying side."""
    parents = ctx.nodes[node].parents
    if len(parents) != 2 or not all(isinstance(p, int) for p in parents):
        return None
    a, b = parents
    if (a in step.ydep) == (b in step.ydep):
        return None
    return (a, b) if a in step.ydep else (b, a)  # type: ignore[return-value]


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
        matched = _layer_match(step, matcher, ctx.value(upstream))
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
    where = ctx.op_site(node)

    def same(expected: np.ndarray) -> bool:
        return expected.shape == lval.shape and close(lval[mask], expected[mask])

    layer = layer_of(step, a=target)
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
        local = LocalFactor(ctx, node, layer, z, a, same, helper, called, expected, meant,
                            lambda x, value: _handed(ctx, x, value, node, locals_))
        for pitfall in CATALOGUE.values():  # derivative-on-preactivation, then derivative-on-activation
            hit = pitfall.explain_local(local) if pitfall.explain_local is not None else None
            if hit is not None:
                return pitfall.id, hit
        # The local derivative itself is wrong: named where it was computed (a helper's body, not its call).
        chosen = diverging_call(
            ctx, range(step.start, step.end), node, lambda n: matcher.match(ctx.value(n)) is not None
        )
        routed = (
            f" The line that computes it ({ctx.sites[ctx.nodes[node].site].file}:"
            f"{ctx.sites[ctx.nodes[node].site].line}) "
            "is right for another layer in this step: this call leads this layer to it."
            if chosen is not None
            else ""
        )
        return "gradient-mismatch", Hit(node, chosen if chosen is not None else local_site(ctx, node, locals_),
            f"{ctx.name(node)} multiplies ∂L/∂{aname} by a local derivative that is not {layer.activation}′({zname}) "
            f"({expected}).{routed}", meant)
    if target == step.output and layer is None and not same(np.ones_like(lval)):
        # A linear output: ∂L/∂output already is the output delta; a local factor on it is an extra derivative.
        return "loss-output-mismatch", Hit(node, where, f"{ctx.name(upstream)} already is ∂L/∂{ctx.name(target)} "
            f"of a linear output, yet {ctx.name(node)} multiplies it by a local derivative {array_summary(lval)}: "
            "the output has no activation to differentiate.", factor * matcher.truth.grads[target],
            "A linear output has no activation derivative: the loss gradient alone is the output delta.")
    layer = layer_of(step, z=target)
    if layer is not None and layer.a == step.output:
        if handed_in(ctx, upstream, node):
            # A backward helper applies σ′ to the ∂L/∂A it is handed, as it should: the wrong op is the output
            # delta that was ∂L/∂Z already.
            site, shown = declared(ctx, upstream, node)
            return "loss-output-mismatch", Hit(upstream, site, f"{shown} is already ∂L/∂{ctx.name(layer.z)} (for "
                f"this loss with a {layer.activation} output), yet it is handed on as ∂L/∂{ctx.name(layer.a)}: "
                f"{ctx.name(node)} multiplies it by {layer.activation}′ again.",
                np.sign(factor) * matcher.truth.grads[layer.a] if layer.a in matcher.truth.grads else None)
        return "loss-output-mismatch", Hit(node, where, f"{ctx.name(upstream)} already is ∂L/∂{ctx.name(layer.z)} "
            f"(for this loss with a {layer.activation} output), yet {ctx.name(node)} multiplies it by another local "
            f"derivative {array_summary(lval)}: an extra {layer.activation}′.", factor * matcher.truth.grads[target])
    return None


def _handed(ctx: CodeContext, x: int, value: np.ndarray, node: int, locals_: list[int]) -> int | None:
    """An argument mistake is named where the array was handed over (the call, or the cache filled with it);
    the product's own line when it was computed inline."""
    uses = [i for i in locals_ if i < node] or [node]  # the helper that computed the local derivative
    holder = x if _computed_from(ctx, locals_, x) else value  # else a copy: `nonlin(np.dot(l0, syn0))`
    site = argument_site(ctx, holder, uses)
    if site is not None and isinstance(holder, int) and read_elsewhere(ctx, site, holder, uses, node):
        return ctx.op_site(node)
    return site or ctx.op_site(node)


def _computed_from(ctx: CodeContext, locals_: list[int], x: int) -> bool:
    """Was a local derivative computed from the node ``x`` itself?"""
    seen, stack = set(), list(locals_)
    while stack:
        index = stack.pop()
        if index == x:
            return True
        if index in seen or index < x:
            continue
        seen.add(index)
        stack.extend(p for p in ctx.nodes[index].parents if isinstance(p, int))
    return False


def _layer_match(step: StepInfo, matcher: Matcher, value: np.ndarray) -> tuple[int, float] | None:
    """Which true gradient an upstream array is, a layer's ∂L/∂A or ∂L/∂Z first, whatever the factor: −(Y − A)
    is ∂L/∂Z times −m as well as ∂L/∂(−Z) times m inside the sigmoid, and the layer is what the op is about."""
    for node in dict.fromkeys(n for la in step.layers for n in (la.a, la.z)):
        g = matcher.truth.grads.get(node)
        if g is not None and g.shape == np.shape(value):
            for factor in matcher.factors:
                if close(value, factor * g):
                    return node, factor
    return matcher.match(value)


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
    if split is None or matcher.match(ctx.value(node)) is not None:
        return None  # a product that is a true gradient is right: the mistake is in another op
    upstream, other = split
    product = Product(ctx, step, matcher, node, upstream, other)
    for pitfall in CATALOGUE.values():  # stale-weights, then transpose: the catalogue's order
        hit = pitfall.explain_product(product) if pitfall.explain_product is not None else None
        if hit is not None:
            return pitfall.id, hit
    return _missing_derivative(ctx, step, matcher, node, upstream)


def _missing_derivative(ctx: CodeContext, step: StepInfo, matcher: Matcher, node: int,
                        upstream: int) -> tuple[str, Hit] | None:
    """``node`` (a weight or bias gradient, ∂L/∂A handed on) is computed from a layer's ∂L/∂A where the
    chain rule needs its ∂L/∂Z: the activation's derivative was skipped."""
    matched = matcher.match(ctx.value(upstream))
    if matched is None:
        return None
    target, _factor = matched
    layer = layer_of(step, a=target)
    if layer is None or layer.activation == "linear":
        return None
    if target == step.output:
        return raw_output_gradient(ctx, step, matcher, node)
    # No new reference: the upstream array is right as ∂L/∂A (its step already shows that). Handed to a
    # helper that needs ∂L/∂Z (dense1.backward(dense2.dinputs)), the call that passed it is wrong; else the
    # missing f′ may belong on it or in a line not written.
    handed = argument_site(ctx, upstream, [node]) if handed_in(ctx, upstream, node) else None
    if handed is None:  # handed over through a call's argument (f4's rule, arguments.py)
        handed = passed_at(ctx, upstream, node)
    return "gradient-mismatch", Hit(upstream, handed if handed is not None else ctx.op_site(upstream),
        f"{ctx.name(upstream)} is ∂L/∂{ctx.name(target)} but {ctx.name(node)} needs ∂L/∂{ctx.name(layer.z)}: "
        f"multiply by {layer.activation}′({ctx.name(layer.z)}).")


def _reduction(ctx: CodeContext, step: StepInfo, matcher: Matcher, node: int) -> tuple[str, Hit] | None:
    """A bias gradient summed from ∂L/∂A instead of ∂L/∂Z."""
    parents = [p for p in ctx.nodes[node].parents if isinstance(p, int) and p in step.ydep]
    if len(parents) != 1 or matcher.match(ctx.value(node)) is not None:
        return None
    return _missing_derivative(ctx, step, matcher, node, parents[0])
