"""Derivative helper given the activation instead of z (code mode): at the first divergence, a local
derivative that is the pre-activation-form derivative applied to the activation (``_explain_local``, asked
by ``bptrace.codetrace.explain``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bptrace.pitfalls.base import Pitfall

if TYPE_CHECKING:
    from bptrace.codetrace.context import Hit
    from bptrace.codetrace.judged import LocalFactor

# Derivatives written in terms of the pre-activation x = z: right only when handed z.
_FORMS = {"sigmoid": "σ(x)·(1−σ(x))", "tanh": "1−tanh(x)²"}
# The same derivative in terms of the activation a, for the fix.
_ACTIVATION_FORM = {"sigmoid": "{a} * (1 - {a})", "tanh": "1 - {a}**2"}


def _explain_local(f: LocalFactor) -> Hit | None:
    from bptrace.ops import ACTIVATIONS

    activation = f.layer.activation
    act = ACTIVATIONS[activation]
    if activation not in _FORMS or not f.same(act.derivative(f.a, act.forward(f.a, 0))):
        return None
    otherwise = f"use the activation form {_ACTIVATION_FORM[activation].format(a=f.ctx.name(f.layer.a))}"
    return f.wrong_input(_FORMS[activation], f.layer.a, f.a, "an activation", "the pre-activation", f.layer.z,
                         otherwise)

PITFALL = Pitfall(
    id="derivative-on-activation",
    severity="error",
    gallery="derivative_on_activation",
    title="Derivative helper given the activation instead of z",
    explanation=(
        "A helper written in terms of the pre-activation, like sigmoid_derivative(z) = σ(z)(1−σ(z)), applies σ once "
        "more when handed the activation a: it computes σ(a)(1−σ(a)), not σ′(z)."
    ),
    explain_local=_explain_local,
    fix=(
        "Pass the layer's pre-activation Z (sigmoid_derivative(Z)), or use the activation form a*(1-a) when you have "
        "a."
    ),
)
