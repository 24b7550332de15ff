"""What the catalogue's code-mode judgements are asked about: one parameter update read against the truth
(``Verdict``, for ``Pitfall.judge_code``), and a matrix product at the first divergence (``Product``, for
``Pitfall.explain_product``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.flow import StepInfo, Update
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
