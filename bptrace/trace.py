"""The Trace: plain, frozen data that the recorder builds and everything else reads.

Arrays are numpy float64 arrays in the layout's own shape. Nothing here knows
about sympy, Textual or files; see ``bptrace.export`` for reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Phase = Literal["forward", "loss", "backward", "update"]
Severity = Literal["error", "warning", "info"]
PHASES: tuple[Phase, ...] = ("forward", "loss", "backward", "update")


@dataclass(frozen=True, slots=True)
class Formula:
    """A generic formula for a step, e.g. ``∂L/∂Z1 = (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1)``."""

    text: str
    latex: str


@dataclass(frozen=True, slots=True)
class Term:
    """One factor of the chain rule as applied at a step (upstream, local, product)."""

    name: str
    value: np.ndarray
    role: str = ""  # "upstream" | "local" | "product" | "" — what the term is in the chain rule
    latex: str | None = None


@dataclass(frozen=True, slots=True)
class SourceRef:
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Step:
    index: int
    train_step: int
    phase: Phase
    op: str
    target: str
    inputs: tuple[str, ...]
    value: np.ndarray
    terms: tuple[Term, ...] = ()
    formula: Formula | None = None
    reference: np.ndarray | None = None  # code mode: what the value should have been
    source: SourceRef | None = None
    findings: tuple[str, ...] = ()
    # What the symbolic layer needs to rebuild this step's formula, e.g.
    # {"activation": "relu", "layer": 1, "layout": "columns"}. Kept in JSON too.
    meta: dict[str, object] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: Severity
    step: int | None
    message: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    name: str
    mode: Literal["reference", "code"]
    loss: str
    reduction: str
    description: str = ""
    layout: str = "columns"
    # The network as (units, activation) per layer, input layer first with activation "".
    layers: tuple[tuple[int, str], ...] = ()
    source_file: str | None = None
    source_text: str | None = None
    # Structured facts about what the trace keeps, e.g. {"values_for_train_steps": [0, 49]} when a
    # JSON export kept step values for some training steps only (losses and verdicts for all).
    notes: dict[str, object] = field(default_factory=dict)
    interrupted: bool = False  # code mode: Ctrl-C stopped the learner's script; the trace is what it recorded


@dataclass(frozen=True, slots=True)
class Verdict:
    """One parameter's gradient check at one training step: the traced gradient against the true one."""

    relative_error: float  # ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖); nan when the shapes differ or a value is not finite
    agrees: bool


@dataclass(frozen=True, slots=True)
class Trace:
    scenario: ScenarioInfo
    steps: tuple[Step, ...]
    losses: tuple[float, ...]
    gradients: tuple[dict[str, np.ndarray], ...]
    parameters: dict[str, np.ndarray]
    findings: tuple[Finding, ...] = ()
    reference_gradients: tuple[dict[str, np.ndarray], ...] = ()
    # Per training step, kept where the gradient arrays are not (a JSON export outside --detail).
    verdicts: tuple[dict[str, Verdict], ...] = ()

    @property
    def train_steps(self) -> int:
        return len(self.losses)

    def error_count(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    def findings_at(self, step_index: int) -> list[Finding]:
        return [f for f in self.findings if f.step == step_index]
