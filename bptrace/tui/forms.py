"""A cache of symbolic forms, filled from worker threads; no Textual and no sympy at import.

``bptrace.symbolic`` imports sympy (about half a second), so it is imported
here only inside the functions that workers call, never on the UI thread.
A step whose formula came with the trace (a replayed JSON) needs no sympy at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bptrace.elided import NotKept
from bptrace.trace import Formula, Step, Trace

ElementKey = tuple[int, tuple[int, ...]]


class ElementLike(Protocol):
    """What the TUI reads of ``bptrace.symbolic.ElementForm`` (named here to keep sympy out of imports)."""

    lhs_text: str
    text: str
    value: float
    terms: int


class ChainLike(Protocol):
    """What the TUI reads of ``bptrace.symbolic.ChainForm``: a backward element written out in forward values."""

    lhs_text: str
    text: str
    value: float
    complete: bool


class FormCache:
    """Formulas by step index and element expansions by (step, element index).

    Workers write, the UI thread reads; single dict assignments are atomic,
    so no lock is needed for this one-writer pattern.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.formulas: dict[int, Formula] = {s.index: s.formula for s in trace.steps if s.formula is not None}
        self.elements: dict[ElementKey, ElementLike | str] = {}  # an ElementForm, or the reason there is none (str)
        # Backward and update elements also get the whole chain written out; None where that does not apply.
        self.chains: dict[ElementKey, ChainLike | str | None] = {}

    def formula(self, index: int) -> Formula | None:
        return self.formulas.get(index)

    def compute_formulas(self, order: Iterable[int]) -> int:
        """Fill in formulas in ``order`` (worker thread); returns how many were added."""
        added = 0
        for index in order:
            if index in self.formulas:
                continue
            step = self.trace.steps[index]
            try:
                from bptrace import symbolic

                self.formulas[index] = symbolic.formula(step, self.trace.scenario)
            except Exception as error:  # no sympy, or a form we cannot build: still a debugger
                self.formulas[index] = Formula(f"{step.target} = {step.op}({', '.join(step.inputs)})   [{error}]", "")
            added += 1
        return added

    def element(self, step: int, index: tuple[int, ...]) -> ElementLike | str | None:
        return self.elements.get((step, index))

    def chain(self, step: int, index: tuple[int, ...]) -> ChainLike | str | None:
        return self.chains.get((step, index))

    def compute_element(self, step: Step, index: tuple[int, ...]) -> ElementLike | str:
        """Expand one element and, going backward, its whole chain (worker thread).

        Returns the element form or a sentence saying why there is none.
        """
        key = (step.index, index)
        if key not in self.elements:
            try:
                from bptrace import symbolic

                self.elements[key] = symbolic.element_expansion(step, self.trace.scenario, index)
            except NotKept as error:
                self.elements[key] = f"No element form: {error}."
            except Exception as error:  # e.g. an op from user code with no element form
                self.elements[key] = f"No element form for this step ({error})."
        if key not in self.chains:
            self.chains[key] = self._chain(step, index)
        return self.elements[key]

    def _chain(self, step: Step, index: tuple[int, ...]) -> ChainLike | str | None:
        if step.phase not in ("backward", "update"):
            return None
        try:
            from bptrace import symbolic

            return symbolic.chain_expansion(self.trace, step, index)
        except NotKept as error:
            return f"The chain cannot be written out: {error}."
        except Exception as error:
            return f"The chain cannot be written out here ({error})."


def warm_up() -> str | None:
    """Import sympy and print one product, so the first real form is not the slow one.

    Returns why symbolic forms are unavailable, or None when they work.
    """
    try:
        from sympy import MatrixSymbol

        from bptrace import symbolic

        symbolic.to_text(MatrixSymbol("A", 2, 2) * MatrixSymbol("B", 2, 2))
    except Exception as error:
        return str(error)
    return None
