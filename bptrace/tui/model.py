"""What the TUI needs to know about a Trace, computed once, with no Textual import.

Timeline rows, findings per step, breakpoint locations and the node of the
network a step belongs to are plain functions of the (frozen) Trace, so they
live here where tests can reach them without a running app.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Literal

from bptrace.trace import Finding, Step, Trace

RowKind = Literal["train", "phase", "step"]
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
MARKERS = {"error": "✗", "warning": "⚠", "info": "ℹ"}
# A breakpoint is a place, not a step: the same op in every training step (or the same source line).
Location = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the timeline: a training-step header, a phase header or a step."""

    kind: RowKind
    train_step: int
    phase: str = ""
    step: int | None = None


class TraceIndex:
    """Lookups over one trace: rows, findings per step, stops for ``f``/``F``/``c``."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.rows: list[Row] = []
        self.row_of_step: list[int] = []
        for step in trace.steps:
            previous = trace.steps[step.index - 1] if step.index else None
            if previous is None or previous.train_step != step.train_step:
                self.rows.append(Row("train", step.train_step))
            if previous is None or previous.train_step != step.train_step or previous.phase != step.phase:
                self.rows.append(Row("phase", step.train_step, step.phase))
            self.row_of_step.append(len(self.rows))
            self.rows.append(Row("step", step.train_step, step.phase, step.index))
        self.findings: dict[int, list[Finding]] = {}
        for finding in trace.findings:  # Trace.findings is the one list; this is its index by step
            if finding.step is not None and 0 <= finding.step < len(trace.steps):
                self.findings.setdefault(finding.step, []).append(finding)
        self.finding_steps: list[int] = sorted(self.findings)

    def __len__(self) -> int:
        return len(self.trace.steps)

    def step(self, index: int) -> Step:
        return self.trace.steps[index]

    def severity(self, index: int) -> str | None:
        """The worst severity among the step's findings, or None."""
        found = self.findings.get(index)
        if not found:
            return None
        return min((f.severity for f in found), key=lambda s: SEVERITY_ORDER.get(s, 3))

    def next_finding(self, index: int) -> int | None:
        position = bisect.bisect_right(self.finding_steps, index)
        return self.finding_steps[position] if position < len(self.finding_steps) else None

    def previous_finding(self, index: int) -> int | None:
        position = bisect.bisect_left(self.finding_steps, index)
        return self.finding_steps[position - 1] if position else None

    def location(self, index: int) -> Location:
        """Where a breakpoint on this step stops: its source line in code mode, else its op."""
        step = self.trace.steps[index]
        if step.source is not None:
            return ("line", step.source.file, str(step.source.line))
        return ("op", step.phase, step.op, step.target)

    def next_stop(self, index: int, breakpoints: set[Location]) -> int | None:
        """The first step after ``index`` on a breakpoint or with a finding (``c``)."""
        for candidate in range(index + 1, len(self.trace.steps)):
            if candidate in self.findings or self.location(candidate) in breakpoints:
                return candidate
        return None

    def first_of_train_step(self, train_step: int) -> int | None:
        for row in self.rows:
            if row.kind == "step" and row.train_step == train_step:
                return row.step
        return None

    def node_of(self, index: int) -> int | None:
        """The network node a step works on: 0 for X, n for layer n, one past the last layer for the loss."""
        step = self.trace.steps[index]
        if step.phase == "loss":
            return len(self.trace.scenario.layers)
        return step.layer
