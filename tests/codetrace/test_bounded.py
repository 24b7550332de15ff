"""Bounded detail: a long training loop is recorded for its first K training steps, then runs unrecorded."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file
from bptrace.trace import recorded_train_steps

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

# Module-level functions and globals, in-place updates, columns layout. {derivative} is the argument
# handed to sigmoid_derivative (which expects the activation): A1 is right, Z1 the planted mistake.
INPLACE = '''import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def sigmoid_derivative(a):
    return a * (1 - a)

W1 = np.random.randn(3, 2)
b1 = np.zeros((3, 1))
W2 = np.random.randn(1, 3)
b2 = np.zeros((1, 1))
X = np.array([[0.6, -0.2, 0.3], [0.1, 0.9, -0.5]])
Y = np.array([[1.0, 0.0, 1.0]])
for epoch in range({steps}):
    Z1 = np.dot(W1, X) + b1
    A1 = sigmoid(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = sigmoid(Z2)
    dZ2 = A2 - Y
    dZ1 = np.dot(W2.T, dZ2) * sigmoid_derivative({derivative})
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    W1 -= 0.1 * dW1
    b1 -= 0.1 * db1
    W2 -= 0.1 * dW2
    b2 -= 0.1 * db2
'''

# `W = W - lr * dW` rebinds each name to a new array every step.
REBIND = '''import numpy as np
W1 = np.random.randn(4, 3) * 0.1
b1 = np.zeros((4, 1))
W2 = np.random.randn(1, 4) * 0.1
b2 = np.zeros((1, 1))
X = np.random.randn(3, 5)
Y = (np.random.rand(1, 5) > 0.5).astype(float)
m = X.shape[1]
for i in range({steps}):
    Z1 = W1 @ X + b1
    A1 = np.tanh(Z1)
    Z2 = W2 @ A1 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    dZ2 = A2 - Y
    dW2 = (1 / m) * dZ2 @ A1.T
    db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
    dW1 = (1 / m) * dZ1 @ X.T
    db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
    W1 = W1 - 0.5 * dW1
    b1 = b1 - 0.5 * db1
    W2 = W2 - 0.5 * dW2
    b2 = b2 - 0.5 * db2
'''

# A class that updates its own weights inside backward, rows layout, no learning rate.
CLASS = '''import numpy as np

class Net:
    def __init__(self):
        self.w_in = np.random.randn(3, 4) * 0.3
        self.b_in = np.zeros(4)
        self.w_out = np.random.randn(4, 1) * 0.3
        self.b_out = np.zeros(1)

    def sigmoid(self, x):
        return 1 / (1 + np.exp(-x))

    def forward(self, X):
        self.hidden = self.sigmoid(np.dot(X, self.w_in) + self.b_in)
        self.out = self.sigmoid(np.dot(self.hidden, self.w_out) + self.b_out)
        return self.out

    def backward(self, X, y, output):
        d_out = (output - y) * output * (1 - output)
        d_hidden = np.dot(d_out, self.w_out.T) * self.hidden * (1 - self.hidden)
        self.w_out -= np.dot(self.hidden.T, d_out)
        self.b_out -= np.sum(d_out, axis=0)
        self.w_in -= np.dot(X.T, d_hidden)
        self.b_in -= np.sum(d_hidden, axis=0)

X = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0]])
y = np.array([[1], [0], [1]])
net = Net()
for _ in range({steps}):
    net.backward(X, y, net.forward(X))
final = net.w_out.copy()
'''

# Parameters in a dict, two mini-batches per epoch (a training step each), `params[k] -= …` in a loop.
DICT = '''import numpy as np
rng = np.random.default_rng(3)
params = {{"W1": rng.normal(size=(3, 4)) * 0.5, "b1": np.zeros(4),
          "W2": rng.normal(size=(4, 2)) * 0.5, "b2": np.zeros(2)}}
X = np.array([[1., 2., 0.], [0., 1., 1.], [2., 0., 1.], [1., 1., 1.]])
Y = np.array([[0.5, 1.0], [0.2, 0.1], [0.9, 0.3], [0.0, 0.4]])
for epoch in range({epochs}):
    for i in range(0, 4, 2):
        xb, yb = X[i:i + 2], Y[i:i + 2]
        h = np.tanh(xb @ params["W1"] + params["b1"])
        out = h @ params["W2"] + params["b2"]
        dout = 2 * (out - yb) / (2 * 2)
        grads = {{}}
        grads["W2"] = h.T @ dout
        grads["b2"] = dout.sum(axis=0)
        dz1 = (dout @ params["W2"].T) * (1 - h ** 2)
        grads["W1"] = xb.T @ dz1
        grads["b1"] = dz1.sum(axis=0)
        for k in params:
            params[k] -= 0.05 * grads[k]
W1_final = params["W1"]
'''

# name -> (source for N training steps, loss, reduction)
PROGRAMS = {
    "inplace": (lambda n: INPLACE.format(steps=n, derivative="A1"), "bce", "sum"),
    "rebind": (lambda n: REBIND.format(steps=n), "bce", "mean"),
    "class": (lambda n: CLASS.format(steps=n), "half_sse", "sum"),
    "dict": (lambda n: DICT.format(epochs=n // 2), "mse", "mean"),
}


def _write(tmp_path: Path, name: str, steps: int) -> tuple[Path, str, str]:
    source, loss, reduction = PROGRAMS[name]
    path = tmp_path / f"{name}_{steps}.py"
    path.write_text(source(steps))
    return path, loss, reduction


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_a_long_loop_records_its_first_steps_only(tmp_path: Path, name: str) -> None:
    path, loss, reduction = _write(tmp_path, name, 300)
    trace = record_code(path, loss=loss, reduction=reduction, steps=5)
    assert trace.train_steps == 5
    assert {s.train_step for s in trace.steps} == set(range(5))
    assert trace.error_count() == 0, [(f.id, f.message) for f in trace.findings]
    assert trace.scenario.notes["recorded_train_steps"] == [5, 300]
    assert "training steps 0–4 (5 of 300); the rest of the script ran unrecorded" in recorded_train_steps(
        trace.scenario
    )
    assert "Recorded in detail" not in trace.scenario.description  # a structured note, not text to parse
    # The recorded steps are those of a full recording: same losses, same gradients.
    short, _, _ = _write(tmp_path, name, 6)
    full = record_code(short, loss=loss, reduction=reduction, steps=1000)
    assert full.train_steps == 6 and "recorded_train_steps" not in full.scenario.notes
    assert trace.losses == full.losses[:5]
    for bounded, whole in zip(trace.gradients, full.gradients[:5], strict=True):
        assert bounded.keys() == whole.keys()
        for key in bounded:
            np.testing.assert_array_equal(bounded[key], whole[key])


@pytest.mark.parametrize("name", ["inplace", "rebind", "class"])
def test_parameters_are_those_after_the_last_recorded_step(tmp_path: Path, name: str) -> None:
    """In-place updates go on unrecorded: the trace keeps the numbers the parameters had at the cut."""
    bounded = record_code(_write(tmp_path, name, 300)[0], loss=PROGRAMS[name][1], reduction=PROGRAMS[name][2], steps=5)
    exact = record_code(_write(tmp_path, name, 5)[0], loss=PROGRAMS[name][1], reduction=PROGRAMS[name][2], steps=5)
    assert bounded.parameters.keys() == exact.parameters.keys()
    for key in exact.parameters:
        np.testing.assert_array_equal(bounded.parameters[key], exact.parameters[key])


def test_a_planted_mistake_is_still_named_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "wrong.py"
    path.write_text(INPLACE.format(steps=300, derivative="Z1"))
    trace = record_code(path, loss="bce", reduction="sum", steps=5)
    assert trace.train_steps == 5
    found = [f for f in trace.findings if f.id == "derivative-on-preactivation"]
    assert found and found[0].line == 21 and found[0].file == "wrong.py"
    assert trace.scenario.notes["recorded_train_steps"] == [5, 300]


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_scripts_own_values_are_unchanged(tmp_path: Path, name: str) -> None:
    """Bit-identical to a plain run, though most of the script ran with recording switched off."""
    path, _, _ = _write(tmp_path, name, 300)
    np.random.seed(0)  # noqa: NPY002 - the same global seed code mode uses
    plain = runpy.run_path(str(path), run_name="__main__")
    traced = run_file(path, seed=0, steps=5)
    assert traced.total_steps == 300
    arrays = [k for k, v in plain.items() if isinstance(v, np.ndarray)]
    assert arrays
    for key in arrays:
        np.testing.assert_array_equal(traced.namespace[key], plain[key], err_msg=f"{name}: {key}")
        assert traced.namespace[key].dtype == plain[key].dtype


def test_fixtures_are_bit_identical_when_bounded_to_one_step() -> None:
    for fixture in ("functions_columns.py", "class_rows.py", "dict_params_minibatch.py", "masked_relu_rebind.py"):
        np.random.seed(0)  # noqa: NPY002
        plain = runpy.run_path(str(FIXTURES / fixture), run_name="__main__")
        traced = run_file(FIXTURES / fixture, seed=0, steps=1)
        assert traced.total_steps is not None and traced.total_steps > 1, fixture
        for key, value in plain.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(traced.namespace[key], value, err_msg=f"{fixture}: {key}")


def test_a_script_shorter_than_the_bound_is_recorded_as_before(tmp_path: Path) -> None:
    path, loss, reduction = _write(tmp_path, "inplace", 3)
    run = run_file(path, seed=0, steps=5)
    assert run.total_steps is None and run.recorder.enabled
    trace = record_code(path, loss=loss, reduction=reduction, steps=5)
    unbounded = record_code(path, loss=loss, reduction=reduction, steps=10**9)
    assert trace.train_steps == 3 and len(trace.steps) == len(unbounded.steps)
    assert trace.scenario.description == unbounded.scenario.description == "Code mode: inplace_3.py, traced as it runs."
    assert trace.losses == unbounded.losses
    # Exactly K steps: the script ends before a (K+1)-th step begins, nothing is cut either.
    exact = record_code(path, loss=loss, reduction=reduction, steps=3)
    assert exact.scenario.description == trace.scenario.description and len(exact.steps) == len(trace.steps)


def test_steps_through_the_command_line(tmp_path: Path) -> None:
    path, loss, reduction = _write(tmp_path, "inplace", 300)
    result = subprocess.run([sys.executable, "-m", "bptrace", "run", "--code", str(path), "--loss", loss,
                             "--reduction", reduction, "--steps", "3"],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = " ".join(result.stdout.split())
    assert "Recorded in detail: training steps 0–2 (3 of 300); the rest of the script ran unrecorded" in out
    header = result.stdout.splitlines()
    assert header[1].startswith("Recorded in detail")  # right under the header, before the step table
    assert "0 error(s)" in out


def test_an_exception_after_the_recorded_steps_says_so(tmp_path: Path) -> None:
    path = tmp_path / "late.py"
    path.write_text(INPLACE.format(steps=300, derivative="A1").replace(
        "    W1 -= 0.1 * dW1\n", "    W1 -= 0.1 * dW1\n    if epoch == 200:\n        raise ValueError('boom')\n"))
    trace = record_code(path, loss="bce", reduction="sum", steps=5)
    assert trace.train_steps == 5 and trace.scenario.notes["recorded_train_steps"] == [5, 201]
    raised = next(f for f in trace.findings if f.id == "exception")
    assert raised.line == 28 and "ValueError: boom" in raised.message
    assert "training step 200, after the recorded steps" in raised.message
