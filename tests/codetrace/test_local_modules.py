"""The learner's helpers in a module beside the script are recorded too."""

from __future__ import annotations

import sys
from pathlib import Path

from bptrace.codetrace import record_code

HELPERS = """import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(a):
    return a * (1 - a)
"""

MAIN = """import numpy as np
from my_helpers import sigmoid, sigmoid_derivative

W1 = np.random.randn(3, 2)
W2 = np.random.randn(1, 3)
X = np.array([[0.2, 0.7], [0.9, -0.4]]).T
Y = np.array([[1.0, 0.0]])
A1 = sigmoid(np.dot(W1, X))
A2 = sigmoid(np.dot(W2, A1))
dZ2 = A2 - Y
dZ1 = np.dot(W2.T, dZ2) * sigmoid_derivative(ARG)
W2 -= 0.1 * np.dot(dZ2, A1.T)
W1 -= 0.1 * np.dot(dZ1, X.T)
"""


def test_helpers_imported_from_a_local_module_are_recorded(tmp_path: Path) -> None:
    (tmp_path / "my_helpers.py").write_text(HELPERS)
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(MAIN.replace("ARG", "A1"))
    bad.write_text(MAIN.replace("ARG", "np.dot(W1, X)"))
    trace = record_code(good, loss="bce", reduction="sum")
    assert trace.error_count() == 0, [(f.id, f.line) for f in trace.findings]
    assert any(s.source is not None and s.source.file == "my_helpers.py" for s in trace.steps)
    assert set(trace.reference_gradients[0]) == {"W1", "W2"}
    assert "my_helpers" not in sys.modules
    found = record_code(bad, loss="bce", reduction="sum").findings
    assert [(f.id, f.file, f.line) for f in found] == [("derivative-on-preactivation", "bad.py", 11)]
