"""Every kind of step, each defined once: how it reads in the timeline and the step's title, how
reference mode records it (value and chain-rule terms), its formula and its element expansion.

The kinds are the closed set ``bptrace.trace.KINDS``. A class per kind, grouped by the phase they
belong to (forward.py, backward.py, other.py), so one kind's five aspects sit side by side and a
new kind is one class plus its entry in ``KIND`` — the way ``bptrace.ops`` holds each activation.
Formulas and elements import sympy lazily, inside the methods that need it.
"""

from __future__ import annotations

from bptrace.kinds.backward import ACTIVATION_GRAD, BIAS_GRAD, INPUT_GRAD, LOSS_GRAD, WEIGHT_GRAD
from bptrace.kinds.base import KindBase, Net, Tape, grad
from bptrace.kinds.forward import ACTIVATION, AFFINE, LOSS
from bptrace.kinds.other import OP, UPDATE
from bptrace.trace import Step

KIND: dict[str, KindBase] = {kind.name: kind for kind in (
    AFFINE, ACTIVATION, LOSS, LOSS_GRAD, ACTIVATION_GRAD, WEIGHT_GRAD, BIAS_GRAD, INPUT_GRAD, UPDATE, OP)}


def kind_of(step: Step) -> KindBase:
    return KIND.get(step.kind, OP)


def step_label(step: Step) -> str:
    """A short name for a step: ``A1 = relu(Z1)``, ``∂L/∂Z1``, ``W1 −= η·∂L/∂W1``, ``exp: np.exp(-z)``."""
    return kind_of(step).label(step)


def step_title(step: Step) -> str:
    """What the step computes, its op said once: ``through the activation → ∂L/∂Z1``."""
    return kind_of(step).title(step)


def value_name(step: Step) -> str:
    """What the step's value is called beside its matrix."""
    return kind_of(step).value_name(step)


__all__ = ["KIND", "KindBase", "Net", "Tape", "grad", "kind_of", "step_label", "step_title", "value_name"]
