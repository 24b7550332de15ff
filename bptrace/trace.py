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
# What a step is, from a closed set (each defined once in bptrace.kinds). Reference mode uses the
# first nine; code mode records the learner's own NumPy ops as "op" (``Step.op`` names the op:
# "matmul", "exp", …), its true loss as "loss" and its parameter updates as "update".
Kind = Literal["affine", "activation", "loss", "loss_grad", "activation_grad", "weight_grad", "bias_grad",
               "input_grad", "update", "op"]
KINDS: tuple[Kind, ...] = ("affine", "activation", "loss", "loss_grad", "activation_grad", "weight_grad",
                           "bias_grad", "input_grad", "update", "op")


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
    """One recorded operation. What it *is* travels as data (``kind``, ``layer``, ``of``, ``parameter``,
    ``learner_name``), so no reader has to guess it from the spelling of ``target``.

    ``target`` is the name the step's value goes by: bptrace's canonical name in reference mode
    (``dZ1``); in code mode the learner's variable name, or the source text of an unnamed
    intermediate (``np.exp(-z)``). Its findings are the trace's (``Trace.findings_at``).
    """

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
    # What the symbolic layer needs to rebuild this step's formula, e.g.
    # {"activation": "relu", "layout": "columns"}. Kept in JSON too.
    meta: dict[str, object] = field(default_factory=dict)
    kind: Kind = "op"
    layer: int | None = None  # the network layer whose node the value belongs to (∂L/∂A1: layer 1)
    of: str | None = None  # a gradient: the canonical name of what it is the gradient of ("Z2" for ∂L/∂Z2)
    parameter: str | None = None  # an update: the parameter it changes; a weight/bias gradient: its parameter
    learner_name: str | None = None  # the name in the learner's code (reference mode: the canonical one)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.value.shape)


@dataclass(frozen=True, slots=True)
class Finding:
    """What is wrong (``message``), how to fix it (``fix``: this finding's own advice, or the catalogue's)
    and, when the finding says more than the catalogue does, why (``explanation``)."""

    id: str
    severity: Severity
    step: int | None
    message: str
    file: str | None = None
    line: int | None = None
    fix: str | None = None
    explanation: str | None = None


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
    # JSON export kept step values for some training steps only (losses and verdicts for all);
    # {"recorded_train_steps": [2, 4]} when code mode recorded 2 of the 4 training steps a script ran;
    # {"loss_inferred": "…"} when code mode inferred the loss.
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

    def warning_count(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")

    def findings_at(self, step_index: int) -> list[Finding]:
        """The findings filed under one step; ``Trace.findings`` is the one list of them."""
        return [f for f in self.findings if f.step == step_index]

    def finding_ids_at(self, step_index: int) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.id for f in self.findings if f.step == step_index))


def loss_said(info: ScenarioInfo) -> str:
    """The loss as a header names it: "loss bce (sum)", or "no loss inferred" when none judged anything."""
    return "no loss inferred" if info.notes.get("loss_unknown") else f"loss {info.loss} ({info.reduction})"


def recorded_train_steps(info: ScenarioInfo) -> str | None:
    """The sentence for code mode's bounded recording (``notes["recorded_train_steps"]``), or None."""
    counts = info.notes.get("recorded_train_steps")
    if not (isinstance(counts, list | tuple) and len(counts) == 2 and all(isinstance(n, int) for n in counts)):
        return None
    recorded, total = counts
    steps = "training step 0" if recorded == 1 else f"training steps 0–{recorded - 1}"
    return (f"Recorded in detail: {steps} ({recorded} of {total}); the rest of the script ran unrecorded "
            "(--steps N records more).")


def budget_note(info: ScenarioInfo, train_steps: int) -> str | None:
    """The sentence for code mode's memory budget (``notes["memory_budget"]``, --max-memory), or None:
    "Values kept for training steps 0–7 (memory budget 1 GB); verdicts for all 50." """
    from bptrace.limits import budget_text

    budget = info.notes.get("memory_budget")
    if not isinstance(budget, dict):
        return None
    size, kept, verdicts = (budget.get(key) for key in ("bytes", "kept", "verdicts"))
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (size, kept, verdicts)):
        return None
    steps = "training step 0" if kept == 1 else f"training steps 0–{kept - 1}"
    judged = (
        f"verdicts for all {train_steps}" if verdicts == train_steps else f"verdicts for {verdicts} of {train_steps}"
    )
    return f"Values kept for {steps} (memory budget {budget_text(size)}); {judged}."
