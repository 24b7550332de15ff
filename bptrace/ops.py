"""Every activation and loss, each defined once: forward value, local derivative, symbolic form.

Micrograd-style: what an op computes, what its derivative is and how it reads
as mathematics sit side by side, so the chain rule in the code is the chain
rule on the screen. Adding an activation is one ``Activation(...)`` entry.

The symbolic forms take sympy as an argument so that importing this module
never imports sympy (it costs half a second at start-up).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Array = np.ndarray
Sym = Any  # a sympy expression; sympy is imported lazily by the caller


def _sigmoid(z: Array) -> Array:
    # Split by sign so np.exp never sees a large positive argument (no overflow).
    out = np.empty_like(z, dtype=np.float64)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _softmax(z: Array, feature_axis: int) -> Array:
    shifted = np.exp(z - z.max(axis=feature_axis, keepdims=True))
    return shifted / shifted.sum(axis=feature_axis, keepdims=True)


LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """An activation A = f(Z) and its local derivative f'(Z).

    ``derivative`` is elementwise, given both Z and A (the classic forms use A:
    σ' = A(1−A), tanh' = 1−A²). ``symbolic``/``symbolic_derivative`` give the
    same for one element as sympy expressions of the element symbols z and a.
    Softmax is not elementwise; it overrides ``backward`` with its Jacobian.
    """

    name: str
    forward: Callable[[Array, int], Array]
    derivative: Callable[[Array, Array], Array]
    symbolic: Callable[[Any, Sym], Sym]
    symbolic_derivative: Callable[[Any, Sym, Sym], Sym]
    elementwise: bool = True

    def backward(self, z: Array, a: Array, upstream: Array, feature_axis: int) -> Array:
        """∂L/∂Z from ∂L/∂A: the vector-Jacobian product."""
        if self.elementwise:
            return upstream * self.derivative(z, a)
        # softmax: J = diag(a) − a aᵀ per sample, so Jᵀu = a ⊙ (u − Σ u⊙a)
        return a * (upstream - np.sum(upstream * a, axis=feature_axis, keepdims=True))


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation(
            "sigmoid",
            forward=lambda z, _axis: _sigmoid(z),
            derivative=lambda _z, a: a * (1.0 - a),
            symbolic=lambda sp, z: 1 / (1 + sp.exp(-z)),
            symbolic_derivative=lambda sp, _z, a: a * (1 - a),
        ),
        Activation(
            "relu",
            forward=lambda z, _axis: np.maximum(z, 0.0),
            derivative=lambda z, _a: (z > 0).astype(np.float64),
            symbolic=lambda sp, z: sp.Max(0, z),
            symbolic_derivative=lambda sp, z, _a: sp.Piecewise((1, z > 0), (0, True)),
        ),
        Activation(
            "leaky_relu",
            forward=lambda z, _axis: np.where(z > 0, z, LEAKY_SLOPE * z),
            derivative=lambda z, _a: np.where(z > 0, 1.0, LEAKY_SLOPE),
            symbolic=lambda sp, z: sp.Piecewise((z, z > 0), (sp.Float(LEAKY_SLOPE) * z, True)),
            symbolic_derivative=lambda sp, z, _a: sp.Piecewise(
                (1, z > 0), (sp.Float(LEAKY_SLOPE), True)
            ),
        ),
        Activation(
            "tanh",
            forward=lambda z, _axis: np.tanh(z),
            derivative=lambda _z, a: 1.0 - a * a,
            symbolic=lambda sp, z: sp.tanh(z),
            symbolic_derivative=lambda sp, _z, a: 1 - a**2,
        ),
        Activation(
            "softplus",
            forward=lambda z, _axis: np.logaddexp(0.0, z),  # log(1 + eᶻ) without overflow for large z
            derivative=lambda z, _a: _sigmoid(z),
            symbolic=lambda sp, z: sp.log(1 + sp.exp(z)),
            symbolic_derivative=lambda sp, z, _a: 1 / (1 + sp.exp(-z)),
        ),
        Activation(
            "linear",
            forward=lambda z, _axis: z.copy(),
            derivative=lambda z, _a: np.ones_like(z),
            symbolic=lambda sp, z: z,
            symbolic_derivative=lambda sp, _z, _a: sp.Integer(1),
        ),
        Activation(
            "softmax",
            forward=_softmax,
            derivative=lambda z, a: a * (1.0 - a),  # the diagonal of the Jacobian only
            symbolic=lambda sp, z: sp.exp(z),  # numerator; the sum is built by the caller
            symbolic_derivative=lambda sp, _z, a: a * (1 - a),
            elementwise=False,
        ),
    )
}


@dataclass(frozen=True)
class Loss:
    """A loss per sample and its gradient with respect to the output A (per sample).

    ``reduction`` then sums or averages over samples; the recorder applies it.
    """

    name: str
    per_sample: Callable[[Array, Array, int], Array]
    gradient: Callable[[Array, Array, int], Array]
    symbolic: Callable[[Any, list[Sym], list[Sym]], Sym]  # one sample's outputs and targets
    text: str
    latex: str
    gradient_text: str
    gradient_latex: str
    needs: str | None = None  # an output activation the loss only makes sense with


def _bce(a: Array, y: Array, axis: int) -> Array:
    return -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a), axis=axis)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss(
            "half_sse",
            per_sample=lambda a, y, axis: 0.5 * np.sum((a - y) ** 2, axis=axis),
            gradient=lambda a, y, _axis: a - y,
            symbolic=lambda sp, a, y: sp.Rational(1, 2) * sum((ai - yi) ** 2 for ai, yi in zip(a, y, strict=True)),
            text="L = ½ Σ (A − Y)²",
            latex=r"L = \frac{1}{2} \sum (A - Y)^{2}",
            gradient_text="A − Y",
            gradient_latex="A - Y",
        ),
        Loss(
            "sse",
            per_sample=lambda a, y, axis: np.sum((a - y) ** 2, axis=axis),
            gradient=lambda a, y, _axis: 2.0 * (a - y),
            symbolic=lambda sp, a, y: sum((ai - yi) ** 2 for ai, yi in zip(a, y, strict=True)),
            text="L = Σ (A − Y)²",
            latex=r"L = \sum (A - Y)^{2}",
            gradient_text="2(A − Y)",
            gradient_latex="2(A - Y)",
        ),
        Loss(
            "mse",
            per_sample=lambda a, y, axis: np.mean((a - y) ** 2, axis=axis),
            gradient=lambda a, y, axis: 2.0 * (a - y) / a.shape[axis],
            symbolic=lambda sp, a, y: sum((ai - yi) ** 2 for ai, yi in zip(a, y, strict=True)) / len(a),
            text="L = mean over outputs of (A − Y)²",
            latex=r"L = \frac{1}{k} \sum (A - Y)^{2}",
            gradient_text="2(A − Y)/k",
            gradient_latex=r"\frac{2}{k}(A - Y)",
        ),
        Loss(
            "bce",
            per_sample=_bce,
            gradient=lambda a, y, _axis: (a - y) / (a * (1 - a)),
            symbolic=lambda sp, a, y: -sum(
                yi * sp.log(ai) + (1 - yi) * sp.log(1 - ai) for ai, yi in zip(a, y, strict=True)
            ),
            text="L = −Σ [Y log A + (1 − Y) log(1 − A)]",
            latex=r"L = -\sum \left[ Y \log A + (1 - Y) \log (1 - A) \right]",
            gradient_text="(A − Y) / (A⊙(1 − A))",
            gradient_latex=r"\frac{A - Y}{A \odot (1 - A)}",
        ),
        Loss(
            "cross_entropy",
            per_sample=lambda a, y, axis: -np.sum(y * np.log(a), axis=axis),
            gradient=lambda a, y, _axis: -y / a,
            symbolic=lambda sp, a, y: -sum(yi * sp.log(ai) for ai, yi in zip(a, y, strict=True)),
            text="L = −Σ Y log A",
            latex=r"L = -\sum Y \log A",
            gradient_text="−Y / A",
            gradient_latex=r"-\frac{Y}{A}",
            needs="softmax",
        ),
    )
}

REDUCTIONS = ("sum", "mean")
