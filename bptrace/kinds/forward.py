"""The forward kinds and the loss: Z = W·A + b, A = f(Z), L = loss(A, Y)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from bptrace.kinds.base import KindBase, Net, Tape
from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.trace import Formula, ScenarioInfo, Step, Term


class Affine(KindBase):
    name = "affine"
    phase = "forward"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        W_name, b_name, prev = f"W{number}", f"b{number}", net.activation_name(number - 1)
        W, b, A_prev = net.params[W_name], net.params[b_name], net.values[prev]
        Z = (W @ A_prev if net.columns else A_prev @ W) + b
        net.values[f"Z{number}"] = tape.add(
            self, "affine", f"Z{number}", (W_name, prev, b_name), Z,
            (Term(W_name, W, "input"), Term(prev, A_prev, "input"), Term(b_name, b, "input")),
            layer=number, layout=net.scenario.layout,
        )

    def label(self, step: Step) -> str:
        if len(step.inputs) != 3:  # a hand-made trace's affine step: say what it holds
            return f"{step.target} = affine({', '.join(step.inputs)})"
        weight, activation, bias = step.inputs  # Z = W·A + b, in the layout's order
        product = f"{activation}·{weight}" if step.meta.get("layout") == "rows" else f"{weight}·{activation}"
        return f"{step.target} = {product} + {bias}"

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import lhs_rhs, matrix

        W, A, b = (matrix(t.name, t.value.shape) for t in step.terms)
        product = W * A if info.layout == "columns" else A * W
        bias = matrix(str(b.name), step.value.shape)  # drawn at Z's shape: the bias is broadcast over samples
        return lhs_rhs(matrix(step.target, step.value.shape), product + bias)

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        i, j = _ij(index)
        W, A, b = (t.name for t in step.terms)
        columns = info.layout == "columns"
        k_range = range(E.values[W].shape[1] if columns else E.values[W].shape[0])
        summands = [E(W, i, k) * E(A, k, j) if columns else E(A, i, k) * E(W, k, j) for k in k_range]
        summands.append(E(b, i, 0) if columns else E(b, j))
        return summands


class Activation(KindBase):
    """A = f(Z) for any activation of ``bptrace.ops``; ``op`` names it."""

    name = "activation"
    phase = "forward"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        activation = net.scenario.layers[number - 1].activation
        Z = net.values[f"Z{number}"]
        A = ACTIVATIONS[activation].forward(Z, net.feature_axis)
        net.values[f"A{number}"] = tape.add(
            self, activation, f"A{number}", (f"Z{number}",), A, (Term(f"Z{number}", Z, "input"),),
            layer=number, activation=activation, feature_axis=net.feature_axis,
        )

    def label(self, step: Step) -> str:
        return f"{step.target} = {step.op}({', '.join(step.inputs)})"

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import lhs_rhs, matrix

        shape = step.value.shape
        return lhs_rhs(matrix(step.target, shape), matrix(f"{step.op}({step.inputs[0]})", shape))

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        from bptrace.symbolic.parts import sp

        i, j = _ij(index)
        activation = ACTIVATIONS[step.op]
        Z = step.terms[0].name
        if activation.elementwise:
            return [activation.symbolic(sp, E(Z, i, j))]
        axis = int(step.meta.get("feature_axis", 0))
        zs = [E(Z, k, j) if axis == 0 else E(Z, i, k) for k in range(E.values[Z].shape[axis])]
        return [sp.exp(E(Z, i, j)) / sp.Add(*[sp.exp(zk) for zk in zs])]


class Loss(KindBase):
    """L = loss(A, Y), reduced over samples. Code mode records its true loss as this kind too."""

    name = "loss"
    phase = "loss"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        output_name = f"A{number}"
        output, target = net.values[output_name], net.scenario.Y
        per_sample = net.loss.per_sample(output, target, net.feature_axis)
        total = float(np.sum(per_sample) * net.scale)
        tape.add(
            self, net.scenario.loss, "L", (output_name, "Y"), np.array(total),
            (Term(output_name, output, "input"), Term("Y", target, "input"), Term("ℓ per sample", per_sample, "local")),
            loss=net.scenario.loss, reduction=net.scenario.reduction, samples=net.scenario.samples,
        )

    def label(self, step: Step) -> str:
        return f"{step.target} = {step.op}({', '.join(step.inputs)})"

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import latex_name

        loss = LOSSES[info.loss]
        last = step.inputs[0]
        text = loss.text.replace("A", last)
        latex = loss.latex.replace("A", latex_name(last))
        if info.reduction == "mean":  # a leading minus goes before 1/m: L = −(1/m) Σ …, not (1/m) − Σ …
            text = re.sub(r"^L = (−?)", r"L = \1(1/m) ", text, count=1)
            latex = re.sub(r"^L = (-?)", lambda m: f"L = {m.group(1)}\\frac{{1}}{{m}} ", latex, count=1)
        return Formula(text + "   (summed over samples)" if info.reduction == "sum" else text, latex)

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        from bptrace.symbolic.parts import sample_loss

        A = E.values[step.inputs[0]]
        samples = A.shape[1] if info.layout == "columns" else A.shape[0]
        return [sample_loss(step, info, E, s) for s in range(samples)]


def _ij(index: tuple[int, ...]) -> tuple[int, int]:
    return (index[0] if index else 0), (index[1] if len(index) > 1 else 0)


AFFINE, ACTIVATION, LOSS = Affine(), Activation(), Loss()
