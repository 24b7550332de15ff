"""One element of a step, written out in the named scalars it is made of; and the whole
chain of a backward element, down to forward values, weights and targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions import MatrixSymbol
from sympy.matrices.expressions.matexpr import MatrixElement

from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.symbolic.printers import grad_name as _grad
from bptrace.symbolic.printers import to_latex, to_text
from bptrace.trace import ScenarioInfo, Step, Trace


@dataclass(frozen=True)
class ElementForm:
    """One element of a step written out in the named scalars it is made of."""

    index: tuple[int, ...]
    lhs_text: str
    text: str
    latex: str
    value: float  # the expansion evaluated with the trace's own numbers
    terms: int  # how many summands; long sums are elided in ``text``


MAX_SHOWN_SUMMANDS = 6


class _Elements:
    """Builds MatrixElement symbols and remembers their values for evaluation."""

    def __init__(self, step: Step) -> None:
        self.values: dict[str, np.ndarray] = {term.name: term.value for term in step.terms}
        self.substitutions: dict[Any, float] = {}

    def __call__(self, name: str, i: int, j: int = 0, value: np.ndarray | None = None) -> Any:
        array = np.asarray(self.values[name] if value is None else value)
        matrix = array.reshape(1, -1) if array.ndim == 1 else array.reshape(1, 1) if array.ndim == 0 else array
        symbol = MatrixSymbol(name, *matrix.shape)
        if array.ndim == 1:
            i, j = 0, i
        element = symbol[i, j]
        self.substitutions[element] = float(matrix[i, j])
        return element


def element_expansion(step: Step, info: ScenarioInfo, index: tuple[int, ...]) -> ElementForm:
    """``step.value[index]`` expanded in the named scalars it is computed from."""
    summands, substitutions = _element_parts(step, info, index)
    expression = sp.Add(*summands, evaluate=False) if len(summands) > 1 else summands[0]
    return ElementForm(
        index=tuple(index),
        lhs_text=_element_lhs(step, index),
        text=_elided_text(summands),
        latex=_elided_latex(summands),
        value=_evaluate(expression, substitutions),
        terms=len(summands),
    )


def _element_lhs(step: Step, index: tuple[int, ...]) -> str:
    target = _grad(step.target[1:]) if step.phase == "backward" else step.target
    shown_index = index if step.value.ndim else ()
    return f"{target}[{','.join(map(str, shown_index))}]" if shown_index else target


def _evaluate(expression: Any, substitutions: dict[Any, float]) -> float:
    return float(expression.xreplace({k: sp.Float(v, 17) for k, v in substitutions.items()}).evalf(17))


def _element_parts(step: Step, info: ScenarioInfo, index: tuple[int, ...]) -> tuple[list[Any], dict[Any, float]]:
    """The summands of one element and the values of the named scalars in them."""
    E = _Elements(step)
    columns = info.layout == "columns"
    i = index[0] if index else 0
    j = index[1] if len(index) > 1 else 0
    summands: list[Any]
    op = step.op
    if op == "affine":
        W, A, b = step.inputs
        k_range = range(E.values[W].shape[1] if columns else E.values[W].shape[0])
        summands = [E(W, i, k) * E(A, k, j) if columns else E(A, i, k) * E(W, k, j) for k in k_range]
        summands.append(E(b, i, 0) if columns else E(b, j))
    elif step.phase == "forward":
        activation = ACTIVATIONS[step.op]
        z = E(step.inputs[0], i, j)
        if activation.elementwise:
            summands = [activation.symbolic(sp, z)]
        else:
            axis = int(step.meta.get("feature_axis", 0))
            n = E.values[step.inputs[0]].shape[axis]
            zs = [E(step.inputs[0], k, j) if axis == 0 else E(step.inputs[0], i, k) for k in range(n)]
            summands = [sp.exp(z) / sp.Add(*[sp.exp(zk) for zk in zs])]
    elif step.phase == "loss":
        summands = _loss_summands(step, info, E)
    elif op == "loss_grad":
        summands = [_loss_gradient_element(step, info, E, i, j)]
    elif op == "activation_grad":
        layer = step.meta["layer"]
        activation = ACTIVATIONS[str(step.meta["activation"])]
        dA = _grad(f"A{layer}")
        if activation.elementwise:
            local = activation.symbolic_derivative(sp, E(f"Z{layer}", i, j), E(f"A{layer}", i, j))
            summands = [E(dA, i, j) * local]
        else:
            axis = int(step.meta.get("feature_axis", 0))
            n = E.values[dA].shape[axis]
            pairs = [(k, j) if axis == 0 else (i, k) for k in range(n)]
            inner = sp.Add(*[E(dA, *p) * E(f"A{layer}", *p) for p in pairs])
            summands = [E(f"A{layer}", i, j) * (E(dA, i, j) - inner)]
    elif op == "weight_grad":
        layer = step.meta["layer"]
        prev = step.inputs[1]
        dZ = _grad(f"Z{layer}")
        prev_value = E.values[f"{prev}ᵀ"].T
        samples = E.values[dZ].shape[1 if columns else 0]
        summands = [
            E(dZ, i, s) * E(prev, j, s, prev_value) if columns else E(prev, s, i, prev_value) * E(dZ, s, j)
            for s in range(samples)
        ]
    elif op == "bias_grad":
        dZ = _grad(f"Z{step.meta['layer']}")
        samples = E.values[dZ].shape[1 if columns else 0]
        column = i if columns else (index[0] if index else 0)
        summands = [E(dZ, column, s) if columns else E(dZ, s, column) for s in range(samples)]
    elif op == "input_grad":
        W_name = step.inputs[0]
        dZ = _grad(f"Z{step.meta['layer']}")
        W_value = E.values[f"{W_name}ᵀ"].T
        units = W_value.shape[0] if columns else W_value.shape[1]
        summands = [
            E(W_name, k, i, W_value) * E(dZ, k, j) if columns else E(dZ, i, k) * E(W_name, j, k, W_value)
            for k in range(units)
        ]
    elif op == "sgd":
        name = step.target
        eta = sp.Float(float(step.meta["learning_rate"]))
        grad_index = (i, j) if step.value.ndim == 2 else (i,)
        summands = [E(name, *grad_index), -eta * E(_grad(name), *grad_index)]
    else:
        raise ValueError(f"no element expansion for op {op!r}")
    return summands, E.substitutions


MAX_CHAIN_OPS = 400


@dataclass(frozen=True)
class ChainForm:
    """A backward element with every upstream gradient replaced by its own expansion,
    down to forward values, weights and targets: the chain rule written out."""

    lhs_text: str
    text: str
    latex: str
    value: float
    complete: bool  # False when expanding further would exceed MAX_CHAIN_OPS operations


def chain_expansion(trace: Trace, step: Step, index: tuple[int, ...]) -> ChainForm:
    producers = {
        _grad(s.target[1:]): s for s in trace.steps
        if s.train_step == step.train_step and s.phase == "backward" and s.index < step.index
    }
    summands, substitutions = _element_parts(step, trace.scenario, index)
    expression = sp.Add(*summands) if len(summands) > 1 else summands[0]
    complete = True
    while True:
        pending = [e for e in expression.atoms(MatrixElement) if str(e.parent.name) in producers]
        if not pending:
            break
        replacements = {}
        for element in pending:
            producer = producers[str(element.parent.name)]
            at = (int(element.j),) if producer.value.ndim == 1 else (int(element.i), int(element.j))
            parts, values = _element_parts(producer, trace.scenario, at)
            replacements[element] = sp.Add(*parts) if len(parts) > 1 else parts[0]
            substitutions.update(values)
        expanded = expression.xreplace(replacements)
        if sp.count_ops(expanded) > MAX_CHAIN_OPS:
            complete = False
            break
        expression = expanded
    return ChainForm(
        lhs_text=_element_lhs(step, index),
        text=to_text(expression),
        latex=to_latex(expression),
        value=_evaluate(expression, substitutions),
        complete=complete,
    )


def _elided_text(summands: list[Any]) -> str:
    if len(summands) <= MAX_SHOWN_SUMMANDS:
        return " + ".join(to_text(s) for s in summands).replace("+ -", "− ")
    head = " + ".join(to_text(s) for s in summands[:3])
    return f"{head} + … + {to_text(summands[-1])}   ({len(summands)} terms)"


def _elided_latex(summands: list[Any]) -> str:
    if len(summands) <= MAX_SHOWN_SUMMANDS:
        return " + ".join(to_latex(s) for s in summands).replace("+ -", "- ")
    head = " + ".join(to_latex(s) for s in summands[:3])
    return rf"{head} + \dots + {to_latex(summands[-1])}"


def _sample_loss(step: Step, info: ScenarioInfo, E: _Elements, sample: int) -> Any:
    """One sample's term of the loss, reduction included, in the output and target elements."""
    A_name, Y_name = step.inputs
    A = E.values[A_name]
    columns = info.layout == "columns"
    samples, outputs = (A.shape[1], A.shape[0]) if columns else (A.shape[0], A.shape[1])
    pairs = [(k, sample) if columns else (sample, k) for k in range(outputs)]
    scale = sp.Rational(1, samples) if info.reduction == "mean" else sp.Integer(1)
    return scale * LOSSES[info.loss].symbolic(sp, [E(A_name, *p) for p in pairs], [E(Y_name, *p) for p in pairs])


def _loss_summands(step: Step, info: ScenarioInfo, E: _Elements) -> list[Any]:
    A = E.values[step.inputs[0]]
    samples = A.shape[1] if info.layout == "columns" else A.shape[0]
    return [_sample_loss(step, info, E, s) for s in range(samples)]


def _loss_gradient_element(step: Step, info: ScenarioInfo, E: _Elements, i: int, j: int) -> Any:
    """∂L/∂A[i,j] by sympy's own diff of the loss of that element's sample."""
    sample = j if info.layout == "columns" else i
    return sp.simplify(sp.diff(_sample_loss(step, info, E, sample), E(step.inputs[0], i, j)))
