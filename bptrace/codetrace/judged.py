"""What the catalogue's code-mode judgements are asked about: one parameter update read against the truth
(``Verdict``, for ``Pitfall.judge_code``); at the first divergence, a matrix product (``Product``, for
``Pitfall.explain_product``) or a wrong local derivative (``LocalFactor``, for ``Pitfall.explain_local``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.flow import StepInfo, Update
from bptrace.codetrace.layers import Layer
from bptrace.codetrace.matcher import Matcher
from bptrace.codetrace.rate import Rate
from bptrace.codetrace.truth import Truth


@dataclass
class Judged:
    """One update read algebraically: the gradient it descends along, against the true one."""

    update: Update
    name: str
    shown: str  # "W1 (weights_input_hidden)": the canonical name and the learner's
    g: np.ndarray
    effective: np.ndarray  # −ΔP / learning rate: what the update descends along
    node: int  # the learner's gradient array, or the update's step when no array holds the gradient
    rate: Rate | None
    direction: float  # +1: the update subtracts the learner's array (W -= lr·dW); −1: it adds it
    factor: float | None = None  # effective ≈ factor · g (None: no single factor explains it)
    right: bool = False  # close(effective, g), judged once: the same pair is asked about several times
    # ±1 when ``effective`` is exactly that sign times the node's value in float64 (the learner's own array,
    # read as it is): the node's reference then needs no elementwise fit (see diagnose._reference).
    sign_of_node: float | None = None


@dataclass(frozen=True)
class Verdict:
    """A wrong update of the right shape, with all a judgement reads: the step, its truth and matcher, the
    update (``j``) beside the step's other updates (``judged``), and the numbers every message quotes."""

    ctx: CodeContext
    step: StepInfo
    truth: Truth
    matcher: Matcher
    j: Judged
    judged: list[Judged]
    numbers: str  # "expected ∂L/∂W1 = …, got …"


@dataclass(frozen=True)
class Product:
    """A matrix product of the backward pass that equals no true gradient, ``node = upstream · other`` (either
    order) with ``upstream`` carrying the gradient: which operand was the wrong one?"""

    ctx: CodeContext
    step: StepInfo
    matcher: Matcher
    node: int
    upstream: int
    other: int


@dataclass(frozen=True)
class LocalFactor:
    """``node`` = U ⊙ L at the first divergence, with U the layer's ∂L/∂A (up to a factor) and L a local
    derivative that is not f′(Z): which wrong derivative was it?"""

    ctx: CodeContext
    node: int
    layer: Layer
    z: np.ndarray  # the layer's pre-activation, float64
    a: np.ndarray  # its activation, float64
    same: Callable[[np.ndarray], bool]  # does L equal this array (where U is not 0)?
    helper: str  # what is known of the learner's derivative helper: "sigmoid_derivative(x) expects … (probed); "
    called: str | None  # the helper as the learner's code calls it (sigmoid_derivative, self.sigmoid_prime)
    expected: str  # "expected sigmoid′(Z1) = …, got …"
    meant: np.ndarray  # what the node should have held
    handed: Callable[[int, np.ndarray], int | None]  # where the array (node, value) was handed to the derivative

    def wrong_input(self, form: str, given: int, value: np.ndarray, given_is: str, meant_is: str, meant: int,
                    otherwise: str) -> Hit:
        """The derivative ``form`` (in terms of x) was handed ``given`` (``given_is``: "an activation"), where
        the form expects ``meant`` (``meant_is``: "the pre-activation"); the fix hands it ``meant``, or
        ``otherwise`` (another way out)."""
        given_name, meant_name = self.ctx.name(given), self.ctx.name(meant)
        fix = (f"Pass {meant_is}: {self.called}({meant_name}), not {self.called}({given_name}); or {otherwise}."
               if self.called else None)
        return Hit(self.node, self.handed(given, value), f"{self.helper}the local derivative was computed as {form} "
                   f"with x = {given_name}, {given_is}; that form expects {meant_is} {meant_name} ({self.expected}).",
                   self.meant, fix)
