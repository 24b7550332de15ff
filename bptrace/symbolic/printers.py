"""Printers: trace names as LaTeX, and sympy expressions as unicode one-liners or LaTeX.

One printer class per output, one ``_print_<Type>`` method per node type, as
sympy's own printers are written.
"""

from __future__ import annotations

import re
from typing import Any

from sympy.matrices.expressions import MatrixSymbol
from sympy.printing.latex import LatexPrinter
from sympy.printing.str import StrPrinter

from bptrace.ops import ACTIVATIONS

_LATEX_WORDS = {
    "ᵀ": r"^{\top}",
    "⊙": r" \odot ",
    "Σ": r"\sum ",
    "η": r"\eta ",
    "·": r" \cdot ",
    "′": "'",
    "ℓ": r"\ell ",
}


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
        index = (
            f"{expr.i}"
            if expr.parent.shape[0] == 1 and getattr(expr.parent, "_vector", False)
            else f"{expr.i},{expr.j}"
        )
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


def grad_name(name: str) -> str:
    return f"∂L/∂{name}"
