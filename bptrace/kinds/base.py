"""What a step kind is: how it reads (timeline, title), how reference mode records it, its formula
and its element expansion. ``Net`` and ``Tape`` are the recorder's working state the kinds write to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from bptrace.ops import LOSSES, Loss
from bptrace.scenario import Scenario
from bptrace.trace import Formula, Phase, ScenarioInfo, Step, Term
from bptrace.trace import Kind as KindName


class Tape:
    """Collects steps with running indices; the only mutable thing while recording."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.train_step = 0

    def add(self, kind: KindBase, op: str, target: str, inputs: tuple[str, ...], value: np.ndarray,
            terms: tuple[Term, ...] = (), *, layer: int | None = None, of: str | None = None,
            parameter: str | None = None, **meta: object) -> np.ndarray:
        self.steps.append(Step(
            index=len(self.steps), train_step=self.train_step, phase=kind.phase, op=op, target=target,
            inputs=inputs, value=value, terms=terms, meta=meta, kind=kind.name, layer=layer, of=of,
            parameter=parameter, learner_name=target,  # reference mode: the learner's name is the canonical one
        ))
        return value


@dataclass
class Net:
    """One training step's values by canonical name (X, Z1, A1, dA2, dZ2, …), and the parameters."""

    scenario: Scenario
    params: dict[str, np.ndarray]
    values: dict[str, np.ndarray] = field(default_factory=dict)
    grads: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def columns(self) -> bool:
        return self.scenario.layout == "columns"

    @property
    def feature_axis(self) -> int:
        return 0 if self.columns else 1

    @property
    def sample_axis(self) -> int:
        return 1 if self.columns else 0

    @property
    def last(self) -> int:
        return len(self.scenario.layers)

    @property
    def loss(self) -> Loss:
        return LOSSES[self.scenario.loss]

    @property
    def scale(self) -> float:
        return 1.0 / self.scenario.samples if self.scenario.reduction == "mean" else 1.0

    def activation_name(self, number: int) -> str:
        return "X" if number == 0 else f"A{number}"


class KindBase:
    """One kind of step. Subclasses say what theirs is; the defaults suit code mode's raw ops."""

    name: ClassVar[KindName]
    phase: ClassVar[Phase]
    words: ClassVar[str | None] = None  # what the title calls it before its label: "weight gradient → ∂L/∂W1"

    def label(self, step: Step) -> str:
        """The timeline's short name for the step."""
        raise NotImplementedError

    def title(self, step: Step) -> str:
        """What the step computes, its op said once, for the step view's title."""
        label = self.label(step)
        return f"{self.words} → {label}" if self.words else label

    def value_name(self, step: Step) -> str:
        """What the value is called beside its matrix."""
        return step.target

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        """The generic formula (sympy; only called from ``bptrace.symbolic``)."""
        raise NotImplementedError

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        """The summands of one element of the value, in named scalars (sympy)."""
        raise ValueError(f"no element expansion for op {step.op!r}")


def grad(name: str) -> str:
    """The canonical display of a gradient: ``∂L/∂Z1``."""
    return f"∂L/∂{name}"
