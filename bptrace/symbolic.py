"""Symbolic forms of steps, with sympy: matrix-level formulas and one-element expansions.

This module imports sympy at the top; nothing in the core imports it at
import time. Callers (exporters, the TUI's worker) import it when a form is
first needed. Formulas depend only on a step's structure, so they are cached.

Two printers, one per output: unicode text for the terminal and LaTeX for notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions import HadamardProduct, MatrixSymbol
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.trace import Formula, ScenarioInfo, Step, Trace

# ---------------------------------------------------------------- names and printers

_LATEX_WORDS = {"ᵀ": r"^{\top}", "⊙": r" \odot ", "Σ": r"\sum ", "η": r"\eta ", "·": r" \cdot ", "′": "'", "ℓ": r"\ell "}


def latex_name(name: str) -> str:
    """A trace name (``∂L/∂Z1``, ``relu′(Z1)``, ``Xᵀ``) as LaTeX."""
    out = re.sub(r"(?<![A-Za-z])([A-Za-z])(\d+)", r"\1_{\2}", name)
    out = re.sub(r"∂L/∂([A-Za-z](?:_\{\d+\})?)", r"\\frac{\\partial L}{\\partial \1}", out)
    out = re.sub(r"∂ℓ/∂([A-Za-z](?:_\{\d+\})?)", r"\\frac{\\partial \\ell}{\\partial \1}", out)
    out = re.sub(r"\b(" + "|".join(ACTIVATIONS) + r")(?=[′(])", r"\\operatorname{\1}", out)
    out = out.replace("per sample", r"\text{ per sample}")
    for word, tex in _LATEX_WORDS.items():
        out = out.replace(word, tex)
    return out.strip()


class _TextPrinter(StrPrinter):
    """Unicode one-liners: W2ᵀ·∂L/∂Z2, A ⊙ B, W1[0,1]."""

    def _print_MatrixSymbol(self, expr: Any) -> str:
        return str(expr.name)

    def _print_Symbol(self, expr: Any) -> str:
        return str(expr.name)

    def _print_Transpose(self, expr: Any) -> str:
        inner = self._print(expr.arg)
        return f"{inner}ᵀ" if expr.arg.is_symbol or isinstance(expr.arg, MatrixSymbol) else f"({inner})ᵀ"

    def _print_MatMul(self, expr: Any) -> str:
        return "·".join(self.parenthesize(arg, 50) for arg in expr.args)

    def _print_HadamardProduct(self, expr: Any) -> str:
        return " ⊙ ".join(f"({self._print(arg)})" if arg.is_MatMul or arg.is_MatAdd else self._print(arg)
                          for arg in expr.args)

    def _print_Piecewise(self, expr: Any) -> str:
        # Iverson brackets read better than Piecewise((1, z > 0), (0, True)).
        (value, condition), (otherwise, _true) = expr.args[0], expr.args[-1]
        text = f"[{self._print(condition)}]" if value == 1 else f"{self._print(value)}·[{self._print(condition)}]"
        return text if otherwise == 0 else f"({text} + {self._print(otherwise)}·[not {self._print(condition)}])"

    def _print_Max(self, expr: Any) -> str:
        return f"max({', '.join(self._print(arg) for arg in expr.args)})"

    def _print_MatrixElement(self, expr: Any) -> str:
        index = f"{expr.i}" if expr.parent.shape[0] == 1 and getattr(expr.parent, "_vector", False) else f"{expr.i},{expr.j}"
        return f"{self._print(expr.parent)}[{index}]"

    def _print_Float(self, expr: Any) -> str:
        return f"{float(expr):.6g}"

    def doprint(self, expr: Any) -> str:
        text = super().doprint(expr)
        return text.replace("**2", "²").replace("**", "^").replace("*", "·")


class _TexPrinter(LatexPrinter):
    def _print_MatrixSymbol(self, expr: Any) -> str:
        return latex_name(str(expr.name))

    def _print_Symbol(self, expr: Any, style: str = "plain") -> str:
        return latex_name(str(expr.name))

    def _print_MatrixElement(self, expr: Any) -> str:
        return f"{{{latex_name(str(expr.parent.name))}}}_{{{expr.i},{expr.j}}}"

    def _print_Float(self, expr: Any) -> str:
        return f"{float(expr):.6g}"


def to_text(expr: Any) -> str:
    return _TextPrinter().doprint(expr)


def to_latex(expr: Any) -> str:
    return _TexPrinter().doprint(expr)


# ---------------------------------------------------------------- matrix-level formulas


def _matrix(name: str, shape: tuple[int, ...]) -> Any:
    rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)
    return MatrixSymbol(name, rows, cols)


def _shape_of(step: Step, name: str) -> tuple[int, ...]:
    for term in step.terms:
        if term.name == name:
            return tuple(term.value.shape)
    return tuple(step.value.shape)


def _grad(name: str) -> str:
    return f"∂L/∂{name}"


def _structure_key(step: Step, info: ScenarioInfo) -> tuple[Any, ...]:
    shapes = tuple((term.name, tuple(term.value.shape)) for term in step.terms)
    meta = tuple(sorted((k, str(v)) for k, v in step.meta.items()))
    return (step.op, step.phase, step.target, step.inputs, shapes, meta, info.layout, info.loss, info.reduction,
            info.mode, info.layers)


def formula(step: Step, info: ScenarioInfo) -> Formula:
    """The generic formula of a step, e.g. ``∂L/∂Z1 = (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1)``."""
    if step.formula is not None:
        return step.formula
    key = _structure_key(step, info)
    cached = _FORMULA_CACHE.get(key)
    if cached is None:
        cached = _FORMULA_CACHE[key] = _build_formula(step, info)
    return cached


# Steps hold arrays (unhashable), so the cache is keyed by structure, not by the step.
_FORMULA_CACHE: dict[tuple[Any, ...], Formula] = {}


def _lhs_rhs(lhs: Any, *rhs: Any, arrow: str = "=") -> Formula:
    text = f" {arrow} ".join([to_text(lhs), *(to_text(r) for r in rhs)])
    tex_arrow = r"\leftarrow" if arrow == "←" else "="
    latex = f" {tex_arrow} ".join([to_latex(lhs), *(to_latex(r) for r in rhs)])
    return Formula(text, latex)


def _build_formula(step: Step, info: ScenarioInfo) -> Formula:
    columns = info.layout == "columns"
    shape = tuple(step.value.shape)
    m = lambda name: _matrix(name, _shape_of(step, name))
    if step.op == "affine":
        W, A, b = step.inputs
        product = m(W) * m(A) if columns else m(A) * m(W)
        bias = _matrix(b, shape)  # drawn at Z's shape: the bias is broadcast over samples
        return _lhs_rhs(_matrix(step.target, shape), product + bias)
    if step.phase == "forward":
        return _lhs_rhs(_matrix(step.target, shape), _matrix(f"{step.op}({step.inputs[0]})", shape))
    if step.phase == "loss":
        loss = LOSSES[info.loss]
        last = step.inputs[0]
        text = loss.text.replace("A", last)
        latex = loss.latex.replace("A", latex_name(last))
        if info.reduction == "mean":
            text = text.replace("L = ", "L = (1/m) ", 1)
            latex = latex.replace("L = ", r"L = \frac{1}{m} ", 1)
        return Formula(text + "   (summed over samples)" if info.reduction == "sum" else text, latex)
    if step.op == "loss_grad":
        loss = LOSSES[info.loss]
        last = step.inputs[0]
        scale_text, scale_tex = ("(1/m)·", r"\frac{1}{m} ") if info.reduction == "mean" else ("", "")
        grad_text = loss.gradient_text.replace("A", last)
        grad_tex = loss.gradient_latex.replace("A", latex_name(last))
        return Formula(
            f"{_grad(last)} = {scale_text}({grad_text})" if scale_text else f"{_grad(last)} = {grad_text}",
            f"{latex_name(_grad(last))} = {scale_tex}\\left({grad_tex}\\right)" if scale_tex
            else f"{latex_name(_grad(last))} = {grad_tex}",
        )
    if step.op == "activation_grad":
        activation = step.meta.get("activation", "")
        layer = int(step.meta.get("layer", 0))
        Z, A = f"Z{layer}", f"A{layer}"
        dA, dZ = _matrix(_grad(A), shape), _matrix(_grad(Z), shape)
        if activation == "softmax":
            a = _matrix(A, shape)
            inner = sp.MatAdd(dA, -_matrix(f"Σ {_grad(A)}⊙{A}", shape))
            return _lhs_rhs(dZ, HadamardProduct(a, inner))
        local = _matrix(f"{activation}′({Z})", shape)
        forms = [HadamardProduct(dA, local)]
        if info.mode == "reference" and layer < len(info.layers) - 1:
            # Show where ∂L/∂A came from, as textbooks write it: (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1).
            next_dZ = _grad(f"Z{layer + 1}")
            units_next = info.layers[layer + 1][0]
            W_next = MatrixSymbol(f"W{layer + 1}", units_next, shape[0]) if columns else \
                MatrixSymbol(f"W{layer + 1}", shape[1], units_next)
            dZ_next = MatrixSymbol(next_dZ, units_next, shape[1]) if columns else MatrixSymbol(next_dZ, shape[0], units_next)
            upstream = W_next.T * dZ_next if columns else dZ_next * W_next.T
            forms.append(HadamardProduct(upstream, local))
        return _lhs_rhs(dZ, *forms)
    if step.op == "weight_grad":
        prev = step.inputs[1]
        dZ_name = _grad(f"Z{step.meta.get('layer')}")
        dZ = _matrix(dZ_name, _shape_of(step, dZ_name))
        A_prev = _matrix(prev, _shape_of(step, f"{prev}ᵀ")[::-1])
        rhs = dZ * A_prev.T if columns else A_prev.T * dZ
        return _lhs_rhs(_matrix(_grad(step.target[1:]), shape), rhs)
    if step.op == "bias_grad":
        layer = step.meta.get("layer")
        text = f"{_grad(f'b{layer}')} = Σ over samples of {_grad(f'Z{layer}')}"
        latex = rf"{latex_name(_grad(f'b{layer}'))} = \sum_{{s}} {latex_name(_grad(f'Z{layer}'))}_{{:,s}}" if columns else \
            rf"{latex_name(_grad(f'b{layer}'))} = \sum_{{s}} {latex_name(_grad(f'Z{layer}'))}_{{s,:}}"
        return Formula(text, latex)
    if step.op == "input_grad":
        W_name, _dz = step.inputs
        layer = step.meta.get("layer")
        W = _matrix(W_name, _shape_of(step, f"{W_name}ᵀ")[::-1])
        dZ = _matrix(_grad(f"Z{layer}"), _shape_of(step, _grad(f"Z{layer}")))
        rhs = W.T * dZ if columns else dZ * W.T
        return _lhs_rhs(_matrix(_grad(step.target[1:]), shape), rhs)
    if step.op == "sgd":
        name = step.target
        return Formula(f"{name} ← {name} − η·{_grad(name)}",
                       rf"{latex_name(name)} \leftarrow {latex_name(name)} - \eta \, {latex_name(_grad(name))}")
    # Ops recorded from user code carry their own text; fall back to target = op(inputs).
    return Formula(f"{step.target} = {step.op}({', '.join(step.inputs)})",
                   rf"{latex_name(step.target)} = \operatorname{{{step.op}}}({', '.join(map(latex_name, step.inputs))})")


def with_formulas(trace: Trace) -> Trace:
    """The same trace with every step's formula and every term's LaTeX filled in."""
    steps = tuple(
        replace(
            step,
            formula=formula(step, trace.scenario),
            terms=tuple(term if term.latex else replace(term, latex=_term_latex(term.name)) for term in step.terms),
        )
        for step in trace.steps
    )
    return replace(trace, steps=steps)


@lru_cache(maxsize=4096)
def _term_latex(name: str) -> str:
    return latex_name(name)


# ---------------------------------------------------------------- one element, expanded


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


def _loss_summands(step: Step, info: ScenarioInfo, E: _Elements) -> list[Any]:
    loss = LOSSES[info.loss]
    A_name, Y_name = step.inputs
    A = E.values[A_name]
    columns = info.layout == "columns"
    samples = A.shape[1] if columns else A.shape[0]
    outputs = A.shape[0] if columns else A.shape[1]
    scale = sp.Rational(1, samples) if info.reduction == "mean" else sp.Integer(1)
    summands = []
    for s in range(samples):
        pairs = [(k, s) if columns else (s, k) for k in range(outputs)]
        per_sample = loss.symbolic(sp, [E(A_name, *p) for p in pairs], [E(Y_name, *p) for p in pairs])
        summands.append(scale * per_sample)
    return summands


def _loss_gradient_element(step: Step, info: ScenarioInfo, E: _Elements, i: int, j: int) -> Any:
    """∂L/∂A[i,j] by sympy's own diff of the loss of that element's sample."""
    loss = LOSSES[info.loss]
    A_name, Y_name = step.inputs
    A = E.values[A_name]
    columns = info.layout == "columns"
    samples = A.shape[1] if columns else A.shape[0]
    outputs = A.shape[0] if columns else A.shape[1]
    sample = j if columns else i
    pairs = [(k, sample) if columns else (sample, k) for k in range(outputs)]
    a = [E(A_name, *p) for p in pairs]
    per_sample = loss.symbolic(sp, a, [E(Y_name, *p) for p in pairs])
    scale = sp.Rational(1, samples) if info.reduction == "mean" else sp.Integer(1)
    return sp.simplify(scale * sp.diff(per_sample, E(A_name, i, j)))
