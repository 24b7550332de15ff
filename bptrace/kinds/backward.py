"""The backward kinds, each with the chain-rule terms it multiplies: ∂L/∂A of the output, then per
layer ∂L/∂Z (through the activation), ∂L/∂W, ∂L/∂b and ∂L/∂A of the layer below (through the weights)."""

from __future__ import annotations

from typing import Any

import numpy as np

from bptrace.kinds.base import KindBase, Net, Tape, grad
from bptrace.kinds.forward import _ij
from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.trace import Formula, ScenarioInfo, Step, Term


class Gradient(KindBase):
    """A step whose value is ∂L/∂(something): it is named by what it is the gradient of."""

    phase = "backward"

    def label(self, step: Step) -> str:
        return grad(step.of) if step.of else step.target

    def value_name(self, step: Step) -> str:
        return self.label(step)


class LossGrad(Gradient):
    name = "loss_grad"
    words = "loss gradient"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        out = f"A{number}"
        output, target = net.values[out], net.scenario.Y
        local = net.loss.gradient(output, target, net.feature_axis)
        dA = local * net.scale
        net.values[f"dA{number}"] = tape.add(
            self, "loss_grad", f"dA{number}", (out, "Y"), dA,
            (Term(out, output, "input"), Term("Y", target, "input"), Term(f"∂ℓ/∂{out}", local, "local"),
             Term(grad(out), dA, "product")),
            layer=number, of=out,
            loss=net.scenario.loss, reduction=net.scenario.reduction, samples=net.scenario.samples,
        )

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import latex_name

        loss = LOSSES[info.loss]
        out = step.inputs[0]
        lhs_text, lhs_tex = grad(out), latex_name(grad(out))
        grad_text = loss.gradient_text.replace("A", out)
        grad_tex = loss.gradient_latex.replace("A", latex_name(out))
        if info.reduction == "mean":
            return Formula(
                f"{lhs_text} = (1/m)·({grad_text})", f"{lhs_tex} = \\frac{{1}}{{m}} \\left({grad_tex}\\right)"
            )
        return Formula(f"{lhs_text} = {grad_text}", f"{lhs_tex} = {grad_tex}")

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        """∂L/∂A[i,j] by sympy's own diff of the loss of that element's sample."""
        from bptrace.symbolic.parts import sample_loss, sp

        i, j = _ij(index)
        sample = j if info.layout == "columns" else i
        return [sp.simplify(sp.diff(sample_loss(step, info, E, sample), E(step.inputs[0], i, j)))]


class ActivationGrad(Gradient):
    name = "activation_grad"
    words = "through the activation"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        activation_name = net.scenario.layers[number - 1].activation
        activation = ACTIVATIONS[activation_name]
        Z_name, A_name = f"Z{number}", f"A{number}"
        Z, A, dA = net.values[Z_name], net.values[A_name], net.values[f"dA{number}"]
        dZ = activation.backward(Z, A, dA, net.feature_axis)
        if activation.elementwise:
            local = Term(f"{activation_name}′({Z_name})", activation.derivative(Z, A), "local")
        else:  # softmax: Jᵀu = A ⊙ (u − Σ u⊙A)
            local = Term(f"Σ {grad(A_name)}⊙{A_name}", np.sum(dA * A, axis=net.feature_axis, keepdims=True), "local")
        net.values[f"dZ{number}"] = tape.add(
            self, "activation_grad", f"dZ{number}", (f"dA{number}", Z_name), dZ,
            (Term(Z_name, Z, "input"), Term(A_name, A, "input"), Term(grad(A_name), dA, "upstream"), local,
             Term(grad(Z_name), dZ, "product")),
            layer=number, of=Z_name, activation=activation_name, feature_axis=net.feature_axis,
        )

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import HadamardProduct, MatrixSymbol, lhs_rhs, matrix, sp

        columns = info.layout == "columns"
        shape = tuple(step.value.shape)
        Z, A = (t.name for t in step.terms[:2])
        dA, dZ = matrix(grad(A), shape), matrix(grad(Z), shape)
        activation = str(step.meta.get("activation", ""))
        if activation == "softmax":
            inner = sp.MatAdd(dA, -matrix(f"Σ {grad(A)}⊙{A}", shape))
            return lhs_rhs(dZ, HadamardProduct(matrix(A, shape), inner))
        local = matrix(f"{activation}′({Z})", shape)
        forms = [HadamardProduct(dA, local)]
        layer = step.layer or 0
        if info.mode == "reference" and layer < len(info.layers) - 1:
            # Show where ∂L/∂A came from, as textbooks write it: (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1).
            units_next = info.layers[layer + 1][0]
            W_name, dZ_next_name = f"W{layer + 1}", grad(f"Z{layer + 1}")
            if columns:
                W_next = MatrixSymbol(W_name, units_next, shape[0])
                upstream = W_next.T * MatrixSymbol(dZ_next_name, units_next, shape[1])
            else:
                W_next = MatrixSymbol(W_name, shape[1], units_next)
                upstream = MatrixSymbol(dZ_next_name, shape[0], units_next) * W_next.T
            forms.append(HadamardProduct(upstream, local))
        return lhs_rhs(dZ, *forms)

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        from bptrace.symbolic.parts import sp

        i, j = _ij(index)
        Z, A = (t.name for t in step.terms[:2])
        dA = grad(A)
        activation = ACTIVATIONS[str(step.meta["activation"])]
        if activation.elementwise:
            return [E(dA, i, j) * activation.symbolic_derivative(sp, E(Z, i, j), E(A, i, j))]
        axis = int(step.meta.get("feature_axis", 0))
        pairs = [(k, j) if axis == 0 else (i, k) for k in range(E.values[dA].shape[axis])]
        inner = sp.Add(*[E(dA, *p) * E(A, *p) for p in pairs])
        return [E(A, i, j) * (E(dA, i, j) - inner)]


class WeightGrad(Gradient):
    name = "weight_grad"
    words = "weight gradient"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        prev = net.activation_name(number - 1)
        dZ, A_prev = net.values[f"dZ{number}"], net.values[prev]
        dW = dZ @ A_prev.T if net.columns else A_prev.T @ dZ
        net.grads[f"W{number}"] = tape.add(
            self, "weight_grad", f"dW{number}", (f"dZ{number}", prev), dW,
            (Term(grad(f"Z{number}"), dZ, "upstream"), Term(f"{prev}ᵀ", A_prev.T, "local"),
             Term(grad(f"W{number}"), dW, "product")),
            layer=number, of=f"W{number}", parameter=f"W{number}", layout=net.scenario.layout,
        )

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import lhs_rhs, matrix

        upstream, local = step.terms[0], step.terms[1]
        dZ = matrix(upstream.name, upstream.value.shape)
        A_prev = matrix(step.inputs[1], local.value.shape[::-1])  # the term holds A_prevᵀ
        rhs = dZ * A_prev.T if info.layout == "columns" else A_prev.T * dZ
        return lhs_rhs(matrix(grad(step.of or step.target), step.value.shape), rhs)

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        i, j = _ij(index)
        columns = info.layout == "columns"
        upstream, local = step.terms[0], step.terms[1]
        dZ, prev, prev_value = upstream.name, step.inputs[1], local.value.T
        samples = upstream.value.shape[1 if columns else 0]
        return [E(dZ, i, s) * E(prev, j, s, prev_value) if columns else E(prev, s, i, prev_value) * E(dZ, s, j)
                for s in range(samples)]


class BiasGrad(Gradient):
    name = "bias_grad"
    words = "bias gradient"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        dZ = net.values[f"dZ{number}"]
        db = dZ.sum(axis=net.sample_axis, keepdims=net.columns)
        net.grads[f"b{number}"] = tape.add(
            self, "bias_grad", f"db{number}", (f"dZ{number}",), db,
            (Term(grad(f"Z{number}"), dZ, "upstream"), Term(grad(f"b{number}"), db, "product")),
            layer=number, of=f"b{number}", parameter=f"b{number}", layout=net.scenario.layout,
        )

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import latex_name

        db, dZ = grad(step.of or step.target), step.terms[0].name
        where = "{:,s}" if info.layout == "columns" else "{s,:}"
        return Formula(f"{db} = Σ over samples of {dZ}", rf"{latex_name(db)} = \sum_{{s}} {latex_name(dZ)}_{where}")

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        columns = info.layout == "columns"
        upstream = step.terms[0]
        samples = upstream.value.shape[1 if columns else 0]
        unit = index[0] if index else 0
        return [E(upstream.name, unit, s) if columns else E(upstream.name, s, unit) for s in range(samples)]


class InputGrad(Gradient):
    """∂L/∂A of the layer below, through layer ``number``'s weights (the step's ``layer`` is the one below)."""

    name = "input_grad"
    words = "through the weights"

    def record(self, tape: Tape, net: Net, number: int) -> None:
        W_name, below = f"W{number}", f"A{number - 1}"
        W, dZ = net.params[W_name], net.values[f"dZ{number}"]
        dA = W.T @ dZ if net.columns else dZ @ W.T
        net.values[f"dA{number - 1}"] = tape.add(
            self, "input_grad", f"dA{number - 1}", (W_name, f"dZ{number}"), dA,
            (Term(f"{W_name}ᵀ", W.T, "local"), Term(grad(f"Z{number}"), dZ, "upstream"),
             Term(grad(below), dA, "product")),
            layer=number - 1, of=below, layout=net.scenario.layout,
        )

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import lhs_rhs, matrix

        local, upstream = step.terms[0], step.terms[1]
        W = matrix(step.inputs[0], local.value.shape[::-1])  # the term holds Wᵀ
        dZ = matrix(upstream.name, upstream.value.shape)
        rhs = W.T * dZ if info.layout == "columns" else dZ * W.T
        return lhs_rhs(matrix(grad(step.of or step.target), step.value.shape), rhs)

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        i, j = _ij(index)
        columns = info.layout == "columns"
        local, upstream = step.terms[0], step.terms[1]
        W_name, W_value, dZ = step.inputs[0], local.value.T, upstream.name
        units = W_value.shape[0] if columns else W_value.shape[1]
        return [E(W_name, k, i, W_value) * E(dZ, k, j) if columns else E(dZ, i, k) * E(W_name, j, k, W_value)
                for k in range(units)]


LOSS_GRAD, ACTIVATION_GRAD, WEIGHT_GRAD = LossGrad(), ActivationGrad(), WeightGrad()
BIAS_GRAD, INPUT_GRAD = BiasGrad(), InputGrad()
