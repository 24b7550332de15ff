"""Traces for the export tests: recorded from a bundled scenario, and a code-mode one built by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bptrace import symbolic
from bptrace.sources import trace_from_source
from bptrace.trace import Finding, Formula, ScenarioInfo, SourceRef, Step, Term, Trace

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"

# A learner's script in the first sample's style (module-level functions, global
# parameters) with the classic mistake, plus text that must never become markup.
SOURCE = '''import numpy as np

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def sigmoid_derivative(a):  # expects an activation <b>a</b>
    return a * (1 - a)

W1 = np.random.randn(3, 2) | 0  # "pipes" | and $dollars$ and `ticks`
Z1 = W1 @ X
A1 = sigmoid(Z1)
dZ1 = dA1 * sigmoid_derivative(Z1)
print("<script>alert('x')</script>")
'''


def record(name: str, steps: int) -> Trace:
    return symbolic.with_formulas(trace_from_source(SCENARIOS / name, steps=steps))


@pytest.fixture(scope="session")
def seed_trace() -> Trace:
    return record("seed1_relu_sigmoid.toml", 2)


@pytest.fixture(scope="session")
def long_trace() -> Trace:
    return record("seed1_relu_sigmoid.toml", 12)


def code_mode_trace() -> Trace:
    """What the code-mode recorder makes of SOURCE: steps with lines, findings with file and line."""
    info = ScenarioInfo(
        name="My <i>homework</i> | net",
        mode="code",
        loss="half_sse",
        reduction="sum",
        description="Hand-built code-mode trace & friends.",
        layout="columns",
        source_file="impl.py",
        source_text=SOURCE,
    )
    W1 = np.array([[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6]])
    X = np.array([[0.5], [0.1]])
    Z1 = W1 @ X
    A1 = 1 / (1 + np.exp(-Z1))
    dA1 = np.array([[0.2], [-0.1], [np.nan]])
    wrong_local = Z1 * (1 - Z1)
    dZ1 = dA1 * wrong_local
    true_dZ1 = dA1 * A1 * (1 - A1)
    big = np.arange(400, dtype=float).reshape(20, 20) - 200.5
    steps = (
        Step(0, 0, "forward", "matmul", "Z1", ("W1", "X"), Z1,
             (Term("W1", W1, "input"), Term("X", X, "input")), source=SourceRef("impl.py", 10),
             formula=Formula("Z1 = W1 @ X", r"Z_{1} = W_{1} X")),
        Step(1, 0, "forward", "sigmoid", "A1", ("Z1",), A1, (Term("Z1", Z1, "input", r"\texttt{Z1\_in}"),),
             source=SourceRef("impl.py", 11), formula=Formula("A1 = sigmoid(Z1)", r"\texttt{A1 = sigmoid(Z1)}")),
        Step(2, 0, "loss", "half_sse", "L", ("A1", "Y"), np.array(0.25), (), source=SourceRef("impl.py", 11),
             formula=Formula("L = half_sse(A1, Y) if a > 0", r"\texttt{L = half\_sse(A1, Y) if a > 0 \{\}}")),
        Step(3, 0, "backward", "multiply", "dZ1", ("dA1", "sigmoid_derivative(Z1)"), dZ1,
             (Term("∂L/∂A1", dA1, "upstream"), Term("sigmoid_derivative(Z1)", wrong_local, "local"),
              Term("∂L/∂Z1", dZ1, "product")),
             reference=true_dZ1, source=SourceRef("impl.py", 12), learner_name="dZ1"),
        Step(4, 0, "backward", "matmul", "big<tag>", ("a|b", "c$d"), big, (),
             formula=Formula("big = a|b · c$d", r"\mathrm{big} = a \vert b \cdot c\$d \{x\}"),
             source=SourceRef("impl.py", 9)),
        Step(5, 1, "forward", "matmul", "Z1", ("W1", "X"), Z1 + np.inf,
             (Term("W1", W1, "input"),), source=SourceRef("impl.py", 10)),
    )
    findings = (
        Finding("derivative-on-preactivation", "error", 3,
                "sigmoid_derivative(Z1) computes a*(1-a) on the pre-activation Z1: expected 0.2497, got 0.02 "
                "<img src=x onerror=alert(1)>.", "impl.py", 12, fix="pass A1, the activation."),
        Finding("non-finite", "error", 3, "NaN appeared in ∂L/∂A1[2,0].", "impl.py", 12),
        Finding("my-new-check", "warning", 4, "A check the catalogue does not know yet | with a pipe.",
                "impl.py", 9, fix="do the thing."),
        Finding("exception", "error", None, "ValueError: shapes (3,2) and (3,1) not aligned", "impl.py", 13),
    )
    return Trace(
        scenario=info,
        steps=steps,
        losses=(0.25, float("inf")),
        gradients=({"W1": dZ1 @ X.T},),
        parameters={"W1": W1 - 0.1 * (dZ1 @ X.T)},
        findings=findings,
        reference_gradients=({"W1": true_dZ1 @ X.T},),
    )


@pytest.fixture(scope="session")
def code_trace() -> Trace:
    return symbolic.with_formulas(code_mode_trace())
