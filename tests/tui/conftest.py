"""Fixtures for the TUI tests: a recorded seed trace and a hand-built code-mode trace with findings."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.pilot import Pilot

from bptrace.recorder import record
from bptrace.scenario import load_scenario
from bptrace.scenarios import SCENARIO_DIR
from bptrace.trace import Finding, SourceRef, Trace

# A learner's implementation in the module-level style, with the classic bug on line 21:
# sigmoid_derivative expects an activation but is given z2.
CODE = """\
import numpy as np

def relu(z):
    return np.maximum(0, z)

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def sigmoid_derivative(a):
    return a * (1 - a)

W1 = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
b1 = np.zeros((3, 1))
X = np.array([[0.5], [0.1]])

z1 = W1 @ X + b1
a1 = relu(z1)
z2 = W2 @ a1 + b2
a2 = sigmoid(z2)
da2 = (a2 - Y) / (a2 * (1 - a2))
dz2 = da2 * sigmoid_derivative(z2)
dW2 = dz2 @ a1.T
"""

# Source line per step of the seed-1 trace (forward, loss, backward, update); 0 = no line.
LINES = [16, 17, 18, 19, 20, 20, 21, 22, 22, 22, 22, 22, 22, 0, 0, 0, 0]


def seed_trace() -> Trace:
    return record(load_scenario(SCENARIO_DIR / "seed1_relu_sigmoid.toml"))


def code_trace() -> Trace:
    """Seed 1 dressed as code mode: source lines, a wrong step with its reference, two findings."""
    trace = seed_trace()
    steps = []
    for step, line in zip(trace.steps, LINES, strict=True):
        source = SourceRef("impl.py", line) if line else None
        if step.index == 6:  # dz2: the derivative of the pre-activation, not of the activation
            wrong = step.value * 1.05
            step = replace(step, value=wrong, reference=step.value, findings=("derivative-on-preactivation",))
        steps.append(replace(step, source=source))
    findings = (
        Finding("derivative-on-preactivation", "error", 6,
                "sigmoid_derivative(z2) expects an activation; z2 is a pre-activation. Fix: pass a2.", "impl.py", 21),
        Finding("dead-relu", "warning", 11, "1 of 3 ReLU units in A1 output 0 for every sample."),
    )
    info = replace(trace.scenario, name="My implementation (impl.py)", mode="code", source_file="impl.py",
                   source_text=CODE)
    return replace(trace, scenario=info, steps=tuple(steps), findings=findings)


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

