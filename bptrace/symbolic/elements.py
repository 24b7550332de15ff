"""One element of a step, written out in the named scalars it is made of; and the whole
chain of a backward element, down to forward values, weights and targets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from bptrace.kinds import grad, kind_of, value_name
from bptrace.symbolic.parts import Elements
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
    target = value_name(step)
    shown_index = index if step.value.ndim else ()
    return f"{target}[{','.join(map(str, shown_index))}]" if shown_index else target


def _evaluate(expression: Any, substitutions: dict[Any, float]) -> float:
    return float(expression.xreplace({k: sp.Float(v, 17) for k, v in substitutions.items()}).evalf(17))


def _element_parts(step: Step, info: ScenarioInfo, index: tuple[int, ...]) -> tuple[list[Any], dict[Any, float]]:
    """The summands of one element (as its kind expands it) and the values of the named scalars in them."""
    E = Elements(step)
    return kind_of(step).elements(step, info, E, tuple(index)), E.substitutions


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
    # Which earlier step made each gradient a term names (reference mode's ∂L/∂Z2, by what it is of).
    producers = {
        grad(s.of): s for s in trace.steps
        if s.train_step == step.train_step and s.phase == "backward" and s.of and s.index < step.index
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
