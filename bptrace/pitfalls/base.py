"""What a pitfall is: its id, severity, explanation and fix, beside its detection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bptrace.trace import ScenarioInfo, Severity, Step

# A reference-mode detector looks at recorded steps and says (step index, message) pairs.
ReferenceDetector = Callable[[Sequence[Step], ScenarioInfo], list[tuple[int, str]]]


@dataclass(frozen=True)
class Pitfall:
    id: str
    title: str
    explanation: str  # why it happens and why it matters, in plain words
    fix: str
    severity: Severity  # the contract's (DESIGN.md, "Finding ids")
    detect_reference: ReferenceDetector | None = None
