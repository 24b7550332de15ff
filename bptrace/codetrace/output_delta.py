"""Output-delta units of the catalogue: the array built from the output and the targets, and ∂L/∂A of the
output used where ∂L/∂Z is needed (loss-output-mismatch), each named at the op that computed the wrong delta."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.codetrace.compare import close
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.layers import Layer
from bptrace.numbers import array_summary
from bptrace.ops import ACTIVATIONS

if TYPE_CHECKING:
    from bptrace.codetrace.matcher import Matcher


def output_delta(ctx: CodeContext, step: StepInfo, matcher: Matcher, index: int) -> tuple[str, Hit]:
    """The learner's output delta (built from output and targets) equals neither ∂L/∂A nor ∂L/∂Z.
    No reference: which of the two it was meant to be is not known."""
    assert step.output is not None
    layer = layer_of(step, a=step.output)
    grads = matcher.truth.grads
    options = [f"∂L/∂{ctx.name(step.output)} = {array_summary(grads[step.output])}"]
    if layer is not None and layer.z in grads:
        options.append(f"∂L/∂{ctx.name(layer.z)} = {array_summary(grads[layer.z])}")
    output = f"a {layer.activation} output" if layer is not None else "this output"
    return "loss-output-mismatch", Hit(index, ctx.op_site(index), f"the output delta {ctx.name(index)} = "
        f"{array_summary(ctx.value(index))} fits neither {' nor '.join(options)} for the declared loss with "
        f"{output} (a constant factor such as mse's 2/k, or a different loss, explains it).")


def layer_of(step: StepInfo, *, a: int | None = None, z: int | None = None) -> Layer | None:
    for layer in step.layers:
        if (a is not None and layer.a == a) or (z is not None and layer.z == z):
            return layer
    return None


def raw_output_gradient(ctx: CodeContext, step: StepInfo, matcher: Matcher, node: int) -> tuple[str, Hit] | None:
    """An operand equal to ∂L/∂(output activation) used as if it were ∂L/∂Z of the output layer."""
    layer = layer_of(step, a=step.output)
    if layer is None or not ACTIVATIONS[layer.activation].elementwise:
        return None
    for parent in ctx.nodes[node].parents:
        if not isinstance(parent, int) or parent not in step.ydep:
            continue
        matched = matcher.match(ctx.value(parent))
        if matched is not None and matched[0] == step.output:
            # Used right elsewhere (times f′): the array is ∂L/∂A as meant, the wrong op is this use of it.
            site, shown = (
                (ctx.op_site(node), ctx.name(parent))
                if _used_as_output_gradient(ctx, step, matcher, parent, layer)
                else declared(ctx, parent, node)
            )
            # It is used as the output delta, so it should have been factor·∂L/∂A ⊙ f′(Z) of the output layer.
            z, a = ctx.value(layer.z).astype(np.float64), ctx.value(layer.a).astype(np.float64)
            delta = matched[1] * matcher.truth.grads[step.output] * ACTIVATIONS[layer.activation].derivative(z, a)
            return "loss-output-mismatch", Hit(parent, site, f"{shown} is "
                f"∂L/∂{ctx.name(step.output)}, not ∂L/∂{ctx.name(layer.z)}: with this loss and a {layer.activation} "
                f"output the output delta needs {layer.activation}′({ctx.name(layer.z)}); {ctx.name(node)} uses it "
                "as if it had it.", delta)
    return None


def _used_as_output_gradient(ctx: CodeContext, step: StepInfo, matcher: Matcher, index: int, layer: Layer) -> bool:
    """Is ∂L/∂A (``index``) also multiplied by the output's f′ somewhere in the step, as it should be?"""
    products = {index}  # A ⊙ f′ may be written over several multiplies: (E * A) * (1 - A)
    for node in ctx.nodes[index + 1 : step.end]:
        if node.op != "multiply" or not products.intersection(p for p in node.parents if isinstance(p, int)):
            continue
        products.add(node.index)
        gz = matcher.truth.grads.get(layer.z)
        if gz is not None and any(close(ctx.value(node.index), f * gz) for f in matcher.factors):
            return True
    return False


def declared(ctx: CodeContext, index: int, use: int) -> tuple[int | None, str]:
    """Where ``use`` got the array from: the last alias bound in the same function before it
    (``self.delta2 = self.error`` is the statement that calls A−Y a delta), else where it was made."""
    binds = [site for site, count in ctx.nodes[index].binds if count <= use]
    made = ctx.op_site(index)
    if binds and made is not None and _returned(ctx, index, binds[0]):
        # Made by a helper that hands back ∂L/∂A as it should (``return a - y``), and named as the delta by
        # the caller (``delta = self.cost_derivative(a, y)``): the caller's statement took it for ∂L/∂Z.
        names = ctx.sites[binds[0]].names
        return binds[0], (f"{names[0]} (= {ctx.name(index)})" if len(names) == 1 and names[0] != ctx.name(index)
                          else ctx.name(index))
    if len(binds) > 1:
        first = ctx.sites[binds[0]]
        later = [s for s in binds[1:] if ctx.sites[s].depth == first.depth and len(ctx.sites[s].names) == 1
                 and ctx.sites[s].names[0] != first.names[0]]
        if later:
            return later[-1], f"{ctx.sites[later[-1]].names[0]} (= {ctx.name(index)})"
    return ctx.op_site(index), ctx.name(index)


def _returned(ctx: CodeContext, index: int, bind: int) -> bool:
    """Was ``index`` made inside a call of the learner's that read every array it was handed, and first bound
    to a name outside it, by the statement that made the call? A helper that leaves an argument unread
    (``delta(z, a, y)`` returning ``a - y``) was meant to use it: its own line is the wrong one."""
    site = ctx.sites[bind]
    for call in ctx.calls:
        if call.result != index or not call.start <= index or call.site < 0 or \
                (ctx.sites[call.site].file, ctx.sites[call.site].stmt) != (site.file, site.stmt):
            continue
        handed = {a for a in call.arg_nodes if a is not None}
        end = call.end if call.end >= 0 else len(ctx.nodes)
        read = {p for node in ctx.nodes[call.start:end] for p in node.parents if isinstance(p, int)}
        return handed <= read
    return False
