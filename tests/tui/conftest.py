"""Fixtures for the TUI tests: a recorded seed trace and a real code-mode recording with findings."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from textual.pilot import Pilot

from bptrace.bundled import SCENARIO_DIR
from bptrace.codetrace import record_code
from bptrace.recorder import record
from bptrace.scenario import load_scenario
from bptrace.trace import Trace

# A learner's program (functions and globals, columns layout, two training steps) with the canonical
# mistake, sigmoid_derivative(Z2) where the helper expects A2, and a ReLU unit dead for both samples.
CANONICAL = Path(__file__).resolve().parent / "fixtures" / "impl_canonical.py"
CANONICAL_LINES = CANONICAL.read_text().splitlines()


def line_of(text: str) -> int:
    """The 1-based number of the fixture's one line that starts with ``text`` (after indentation)."""
    found = [n for n, line in enumerate(CANONICAL_LINES, start=1) if line.strip().startswith(text)]
    assert len(found) == 1, (text, found)
    return found[0]


def step_of(trace: Trace, target: str, train_step: int = 0) -> int:
    """The index of the step that computes ``target`` in that training step."""
    found = [s.index for s in trace.steps if s.target == target and s.train_step == train_step]
    assert len(found) == 1, (target, found)
    return found[0]


def seed_trace() -> Trace:
    return record(load_scenario(SCENARIO_DIR / "seed1_relu_sigmoid.toml"))


@cache
def code_trace() -> Trace:
    """fixtures/impl_canonical.py as code mode records it (the trace is frozen, so one recording serves all)."""
    return record_code(CANONICAL, loss="bce", reduction="sum", seed=0)


@pytest.fixture
def seed() -> Trace:
    return seed_trace()


@pytest.fixture
def coded() -> Trace:
    return code_trace()


async def settle(pilot: Pilot) -> None:
    """Wait until workers (sympy forms, exports) finish and the screen has caught up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
