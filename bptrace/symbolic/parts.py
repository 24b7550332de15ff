"""The sympy pieces every step kind's formula and element expansion is built from.

``bptrace.kinds`` says per kind *what* its formula and elements are; this module is
the *how* they share: matrix symbols drawn at a term's shape, ``lhs = rhs`` pairs
printed as text and LaTeX, and element symbols that remember their values.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy as sp
from sympy.matrices.expressions import HadamardProduct, MatrixSymbol

from bptrace.elided import Elided, NotKept
from bptrace.ops import LOSSES
from bptrace.symbolic.printers import grad_name, latex_name, to_latex, to_text
from bptrace.trace import Formula, ScenarioInfo, Step

__all__ = ["Elements", "HadamardProduct", "MatrixSymbol", "grad_name", "latex_name", "lhs_rhs", "matrix",
           "sample_loss", "sp", "to_latex", "to_text"]


def matrix(name: str, shape: tuple[int, ...]) -> Any:
    """A matrix symbol at an array's shape (a vector is a row, a scalar 1×1)."""
    rows, cols = (shape[0], shape[1]) if len(shape) == 2 else (1, shape[0] if shape else 1)
    return MatrixSymbol(name, rows, cols)


def lhs_rhs(lhs: Any, *rhs: Any) -> Formula:
    text = " = ".join([to_text(lhs), *(to_text(r) for r in rhs)])
    latex = " = ".join([to_latex(lhs), *(to_latex(r) for r in rhs)])
    return Formula(text, latex)


class Elements:
    """Builds MatrixElement symbols and remembers their values for evaluation."""

    def __init__(self, step: Step) -> None:
        if any(isinstance(t.value, Elided) for t in step.terms) or isinstance(step.value, Elided):
            raise NotKept
        self.values: dict[str, np.ndarray] = {t.name: t.value for t in step.terms}  # type: ignore[misc]
        self.substitutions: dict[Any, float] = {}

    def __call__(self, name: str, i: int, j: int = 0, value: np.ndarray | None = None) -> Any:
        array = np.asarray(self.values[name] if value is None else value)
        matrix_ = array.reshape(1, -1) if array.ndim == 1 else array.reshape(1, 1) if array.ndim == 0 else array
        symbol = MatrixSymbol(name, *matrix_.shape)
        if array.ndim == 1:
            i, j = 0, i
        element = symbol[i, j]
        self.substitutions[element] = float(matrix_[i, j])
        return element


def sample_loss(step: Step, info: ScenarioInfo, E: Elements, sample: int) -> Any:
    """One sample's term of the loss, reduction included, in the output and target elements."""
    A_name, Y_name = step.inputs
    A = E.values[A_name]
    columns = info.layout == "columns"
    samples, outputs = (A.shape[1], A.shape[0]) if columns else (A.shape[0], A.shape[1])
    pairs = [(k, sample) if columns else (sample, k) for k in range(outputs)]
    scale = sp.Rational(1, samples) if info.reduction == "mean" else sp.Integer(1)
    return scale * LOSSES[info.loss].symbolic(sp, [E(A_name, *p) for p in pairs], [E(Y_name, *p) for p in pairs])
