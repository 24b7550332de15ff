"""A function handed the wrong array is named at the call that passed it (DESIGN: argument mistakes)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bptrace.codetrace import record_code

PROGRAM = """
import numpy as np


def dense_backward(dvalues, inputs, weights):
    dweights = inputs.T @ dvalues
    dinputs = dvalues @ weights.T
    return dweights, dinputs


def relu_backward(dvalues, z):
    d = dvalues.copy()
    d[z <= 0] = 0
    return d


np.random.seed(2)
X = np.random.randn(10, 3)
Y = np.random.randn(10, 2)
W1 = 0.5 * np.random.randn(3, 6)
W2 = 0.5 * np.random.randn(6, 2)
for it in range(3):
    Z1 = X @ W1
    A1 = np.maximum(Z1, 0)
    out = A1 @ W2
    dout = out - Y
    dW2, dA1 = dense_backward(dout, A1, W2)
    dZ1 = relu_backward(dA1, Z1)
    dW1, _ = dense_backward(dZ1, X, W1)
    W1 -= 0.05 * dW1
    W2 -= 0.05 * dW2
"""


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "impl.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_the_activation_backward_skipped_by_the_argument_is_named_at_the_call(tmp_path: Path) -> None:
    clean = record_code(_write(tmp_path, PROGRAM), loss="half_sse", reduction="sum")
    assert clean.error_count() == 0, [(f.id, f.line) for f in clean.findings]
    planted = PROGRAM.replace("dense_backward(dZ1, X, W1)", "dense_backward(dA1, X, W1)")
    trace = record_code(_write(tmp_path, planted), loss="half_sse", reduction="sum")
    line = next(n for n, text in enumerate(textwrap.dedent(planted).splitlines(), 1) if "dense_backward(dA1, X" in text)
    errors = [(f.id, f.line) for f in trace.findings if f.severity == "error"]
    assert errors == [("gradient-mismatch", line)], errors
