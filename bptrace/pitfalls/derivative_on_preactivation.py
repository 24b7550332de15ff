"""Derivative helper given z instead of the activation (code mode): at the first divergence, a local
derivative that is the activation-form derivative applied to z (``_explain_local``, asked by
``bptrace.codetrace.explain``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import Hit
    from bptrace.codetrace.judged import LocalFactor

# Derivatives written in terms of the activation x = f(z): right only when handed the activation.
_FORMS = {"sigmoid": "x·(1−x)", "tanh": "1−x²"}


def _explain_local(f: LocalFactor) -> Hit | None:
    from bptrace.ops import ACTIVATIONS

    activation = f.layer.activation
    if activation not in _FORMS or not f.same(ACTIVATIONS[activation].derivative(f.z, f.z)):
        return None
    return f.wrong_input(_FORMS[activation], f.layer.z, f.z, "a pre-activation", "the activation", f.layer.a,
                         "rewrite the helper to take z")

PITFALL = Pitfall(
    id="derivative-on-preactivation",
    severity="error",
    gallery="derivative_on_preactivation",
    title="Derivative helper given z instead of the activation",
    explanation=(
        "A helper written in terms of the activation, like sigmoid_derivative(x) = x*(1-x), equals σ′ only when x is "
        "the activation a = σ(z). Handed the pre-activation z it returns z(1−z), a different number, and every "
        "gradient below that layer is silently wrong."
    ),
    explain_local=_explain_local,
    fix=(
        "Pass the layer's activation A (sigmoid_derivative(A); for tanh, 1 - A**2), or rewrite the helper to take z: s "
        "= sigmoid(z); return s*(1-s)."
    ),
)
