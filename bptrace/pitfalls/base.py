"""What a pitfall is: its id, severity, explanation and fix, beside its detection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bptrace.trace import ScenarioInfo, Severity, Step

# The contract's finding ids and their severities (DESIGN.md, "Finding ids").
SEVERITIES: dict[str, Severity] = {
    "derivative-on-preactivation": "error",
    "derivative-on-activation": "error",
    "loss-output-mismatch": "error",
    "gradient-scale": "error",
    "bias-sum-axis": "error",
    "transpose": "error",
    "stale-weights": "error",
    "update-sign": "error",
    "shape-broadcast": "error",
    "gradient-mismatch": "error",
    "non-finite": "error",
    "exception": "error",
    "implicit-learning-rate": "warning",
    "exp-overflow": "warning",
    "saturated-units": "warning",
    "dead-relu": "warning",
}

# A reference-mode detector looks at recorded steps and says (step index, message) pairs.
ReferenceDetector = Callable[[Sequence[Step], ScenarioInfo], list[tuple[int, str]]]


@dataclass(frozen=True)
class Pitfall:
    id: str
    title: str
    explanation: str  # why it happens and why it matters, in plain words
    fix: str
    detect_reference: ReferenceDetector | None = None

    @property
    def severity(self) -> Severity:
        return SEVERITIES[self.id]
