"""What code-mode detectors read: the recorded nodes, their sites and the recovered structure."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.layers import Layer
from bptrace.codetrace.rewrite import Site
from bptrace.codetrace.runtime import Node, Recorder, UserCall
from bptrace.codetrace.structure import Structure


@dataclass(frozen=True)
class Hit:
    """A detector's answer: the node it is about, the site whose line to show, the message."""

    node: int
    site: int | None
    message: str
    # What the node should have held (its step's reference, "expected" beside the learner's value),
    # when the detector knows it honestly; None when it would be a guess.
    expected: np.ndarray | None = field(default=None, compare=False)
    # A fix in the learner's own names (sigmoid_derivative(A2)), which beats the catalogue's general one.
    fix: str | None = field(default=None, compare=False)


@dataclass
class CodeContext:
    nodes: list[Node]
    sites: list[Site]
    calls: list[UserCall]
    structure: Structure
    recorder: Recorder | None = None
    outer_call: dict[int, int] = field(default_factory=dict)  # result node -> site of the outermost user call
    # Per product's site, which operands its source writes as a quotient (rate.py: a loop runs the same line
    # every training step, so it is parsed once per run, not once per step).
    quotient_operands: dict[int, tuple[bool, bool]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        making: dict[int, list[int]] = {}  # result -> sites of the calls that made it, outermost first
        for call in self.calls:
            if call.result is not None and call.start <= call.result:
                making.setdefault(call.result, []).append(call.site)
        for result, sites in making.items():
            # The innermost call bound to a name (self.a2 = self.sigmoid(self.z2)) rather than a method
            # that only hands it back (output = nn.forward(X)); else the outermost, the learner's level.
            named = [s for s in sites if self.sites[s].target is not None]
            self.outer_call[result] = named[-1] if named else sites[0]

    def site_of(self, index: int) -> int | None:
        """Where a node shows: the learner's call of a helper (A1 = relu(Z1)), else its own line."""
        if index in self.outer_call:
            return self.outer_call[index]
        site = self.nodes[index].site
        return site if site >= 0 else None

    def op_site(self, index: int) -> int | None:
        """Where the op that computed a node ran, in the file where it is (inside a helper or a method):
        the line a finding about a wrongly computed value names."""
        site = self.nodes[index].site
        return site if site >= 0 else None

    def name(self, index: int) -> str:
        node = self.nodes[index]
        if node.best is not None:
            return node.best[1]
        site = self.sites[node.site] if node.site >= 0 else None
        if site is None:
            return f"array{index}"
        return site.target or site.text

    def named(self, index: int) -> bool:
        node = self.nodes[index]
        return bool(node.names) or (node.site >= 0 and self.sites[node.site].target is not None)

    def step_holding(self, index: int) -> StepInfo | None:
        """The training step whose ops include node ``index``; None for a node outside every step (the data
        preparation before the first, what ran after the last)."""
        for step in self.structure.steps:
            if step.start <= index < step.end:
                return step
        return None

    def step_of(self, index: int) -> StepInfo:
        """The training step of node ``index``, the last one for a node outside every step."""
        step = self.step_holding(index)
        return self.structure.steps[-1] if step is None else step

    def first_layers(self, activations: Collection[str]) -> list[tuple[Layer, np.ndarray]]:
        """The first training step's layers of these activations, each with its pre-activation's value: what
        the warnings about units (dead, saturated) read."""
        layers = self.structure.steps[0].layers if self.structure.steps else []
        return [(layer, self.value(layer.z)) for layer in layers if layer.activation in activations]

    def sample_axis(self) -> int:
        return 1 if self.structure.columns else 0

    def value(self, index: int) -> np.ndarray:
        return np.asarray(self.nodes[index].value)
