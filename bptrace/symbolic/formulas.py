"""Matrix-level formulas of steps (``∂L/∂Z1 = (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1)``), cached by structure.

Each kind's formula is defined with the kind (``bptrace.kinds``); this is the cache in front of them."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache
from typing import Any

from bptrace.kinds import kind_of
from bptrace.symbolic.printers import latex_name
from bptrace.trace import Formula, ScenarioInfo, Step, Trace


def _structure_key(step: Step, info: ScenarioInfo) -> tuple[Any, ...]:
    shapes = tuple((term.name, tuple(term.value.shape)) for term in step.terms)
    meta = tuple(sorted((k, str(v)) for k, v in step.meta.items()))
    return (step.kind, step.op, step.phase, step.target, step.inputs, step.layer, step.of, step.learner_name,
            step.parameter, shapes, meta, info.layout, info.loss, info.reduction, info.mode, info.layers)


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


def _build_formula(step: Step, info: ScenarioInfo) -> Formula:
    return kind_of(step).formula(step, info)


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
