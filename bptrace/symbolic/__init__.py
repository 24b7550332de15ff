"""Symbolic forms of steps, with sympy.

This package imports sympy (about half a second); nothing in the core imports
it at import time. Callers (exporters, the TUI's worker) import it when a form
is first needed.
"""

from __future__ import annotations

from bptrace.symbolic.elements import ChainForm, ElementForm, chain_expansion, element_expansion
from bptrace.symbolic.formulas import formula, with_formulas
from bptrace.symbolic.printers import latex_name, to_latex, to_text

__all__ = [
    "ChainForm",
    "ElementForm",
    "chain_expansion",
    "element_expansion",
    "formula",
    "latex_name",
    "to_latex",
    "to_text",
    "with_formulas",
]
