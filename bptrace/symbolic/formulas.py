"""Matrix-level formulas of steps (``∂L/∂Z1 = (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1)``), cached by structure."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

import sympy as sp
from sympy.matrices.expressions import HadamardProduct, MatrixSymbol

from bptrace.ops import LOSSES
from bptrace.symbolic.printers import grad_name as _grad
from bptrace.symbolic.printers import latex_name, to_latex, to_text
from bptrace.trace import Formula, ScenarioInfo, Step, Trace


def _matrix(name: str, shape: tuple[int, ...]) -> Any:
    rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)
    return MatrixSymbol(name, rows, cols)


def _shape_of(step: Step, name: str) -> tuple[int, ...]:
    for term in step.terms:
        if term.name == name:
            return tuple(term.value.shape)
    return tuple(step.value.shape)


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
        if info.reduction == "mean":  # a leading minus goes before 1/m: L = −(1/m) Σ …, not (1/m) − Σ …
            text = re.sub(r"^L = (−?)", r"L = \1(1/m) ", text, count=1)
            latex = re.sub(r"^L = (-?)", lambda m: f"L = {m.group(1)}\\frac{{1}}{{m}} ", latex, count=1)
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
