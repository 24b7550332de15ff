"""The step a finding points at shows what it should have held ("expected" beside the learner's value).

For every gallery program and planted mistake where bptrace sets that reference, it must have the
learner's shape, differ from the learner's value, and equal the independent truth: central finite
differences of the declared loss, written out here, w.r.t. the forward array the step stands for
(Z_k, A_k or a parameter), at the parameters the learner's code held. Where the learner's shape is
wrong, or what the array was meant to be is a guess, the step has no reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.pitfalls import SEVERITIES
from bptrace.sources import trace_from_source
from bptrace.trace import Trace
from tests.codetrace.test_planted import PLANTS, STYLES, Plant, _plant
from tests.codetrace.test_truth import _act, _loss, _params_at, _value

GALLERY = Path(__file__).resolve().parents[2] / "scenarios" / "gallery"

# What the reference stands for: "Z1"/"A2" (∂L/∂ that array), "W1" (∂L/∂W1), or "W2-0.1" (W2 − 0.1·∂L/∂W2,
# where an update that went uphill should have landed); None: no reference, on purpose.
Of = str | None

# gallery stem -> (activations, layout, what the reference at the finding's step stands for)
GALLERY_CASES: dict[str, tuple[tuple[str, str], str, Of]] = {
    "derivative_on_preactivation": (("sigmoid", "sigmoid"), "columns", "Z1"),
    "derivative_on_activation": (("sigmoid", "sigmoid"), "columns", "Z1"),
    "gradient_mismatch": (("sigmoid", "sigmoid"), "columns", "Z1"),
    "gradient_scale": (("tanh", "sigmoid"), "columns", "Z2"),  # named at dZ2 = A2 - Y, the missing 1/m
    "loss_output_mismatch": (("relu", "sigmoid"), "columns", "Z2"),
    "stale_weights": (("sigmoid", "sigmoid"), "rows", "A1"),
    "transpose": (("sigmoid", "sigmoid"), "rows", "W1"),
    "update_sign": (("relu", "sigmoid"), "columns", "W2-0.1"),
    "bias_sum_axis": (("relu", "sigmoid"), "columns", None),  # db1 of shape (1, 3) for b1 (3, 1)
}

ACTS = {"functions": ("relu", "sigmoid"), "class": ("sigmoid", "sigmoid")}
LAYOUT = {"functions": "columns", "class": "rows"}
PLANTED: dict[str, Of] = {
    "class:derivative-on-preactivation:self.sigmoid_derivative(self.z1)": "Z1",
    "class:derivative-on-preactivation:self.sigmoid_derivative(self.z2)": "Z2",
    "functions:derivative-on-preactivation:dZ2 = (A2 - Y) * Z2 * (1 - Z2)": "Z2",
    "functions:derivative-on-activation:dZ2 = (A2 - Y) * sigmoid_derivative(A2)": "Z2",
    "class:derivative-on-activation:return self.sigmoid(x) * (1 - self.sigmo": "Z2",
    "functions:loss-output-mismatch:dZ2 = (A2 - Y) * sigmoid_derivative(Z2)": "Z2",
    "class:loss-output-mismatch:self.delta2 = self.error": "Z2",  # self.error, used as the output delta
    "functions:gradient-scale:dZ2 = (A2 - Y) / X.shape[1]": "Z2",
    "functions:gradient-scale:dW1 = np.dot(dZ1, X.T) / X.shape[1]": "W1",
    "class:gradient-scale:self.error = (output - y) / len(X)": "A2",
    "class:gradient-scale:self.delta1 = np.dot(self.delta2, self.w": "Z1",
    "functions:transpose:dW1 = np.dot(X, dZ1.T)": "W1",
    "class:transpose:self.weights1 -= np.dot(self.delta1.T, X": "W1",
    "class:stale-weights:# Update weights and biases": "A1",
    "functions:update-sign:W2 += learning_rate * dW2": "W2-0.1",
    "class:update-sign:self.weights1 += np.dot(X.T, self.delta1": "W1-1",
    "class:update-sign:self.error = y - output": "W2-1",
    "functions:gradient-mismatch:dZ2 = (A2 - Y) * A2 * (1 + A2)": "Z2",
    "class:gradient-mismatch:return x * (1 + x)": "Z2",
    # The learner's shape is wrong: no entry to compare, the message says the expected shape.
    "functions:bias-sum-axis:db1 = np.sum(dZ1, axis=0, keepdims=True)": None,
    "functions:bias-sum-axis:db1 = np.sum(dZ1)": None,
    "class:bias-sum-axis:self.bias1 -= np.sum(self.delta1, axis=1": None,
    "class:bias-sum-axis:self.bias1 -= np.sum(self.delta1)": None,
    "functions:shape-broadcast:Y = np.array([[0.7], [0.1], [0.9], [0.3]": None,
    "functions:shape-broadcast:db1 = np.sum(dZ1, axis=1)": None,
    "class:shape-broadcast:y = np.array([0, 1, 1, 0])": None,
    # `+ 0.1` after the right product: the nearest true gradient would be a guess at the intent.
    "functions:gradient-mismatch:dZ1 = np.dot(W2.T, dZ2) * relu_derivativ": None,
}


def _truth(trace: Trace, acts: tuple[str, str], layout: str, of: str, x: str, y: str) -> np.ndarray:
    """Central finite differences of the declared loss w.r.t. the array ``of`` names, at training step 0."""
    columns = layout == "columns"
    X, Y = _value(trace, x), _value(trace, y)
    params = _params_at(trace, 0, ["W1", "b1", "W2", "b2"])
    name, _, lr = of.partition("-")

    def loss(params: dict[str, np.ndarray], at: str = "", value: np.ndarray | None = None) -> tuple[float, dict]:
        arrays, a = {}, X
        for k, act in enumerate(acts, start=1):
            w, b = params[f"W{k}"], params[f"b{k}"]
            z = arrays[f"Z{k}"] = value if at == f"Z{k}" else (w @ a if columns else a @ w) + b
            a = arrays[f"A{k}"] = value if at == f"A{k}" else _act(act, z)
        return _loss(a, Y.reshape(a.shape), trace.scenario.loss, trace.scenario.reduction, columns), arrays

    base = params[name] if name in params else loss(params)[1][name]
    numeric = np.zeros_like(base)
    for i in np.ndindex(base.shape):
        up, down = base.copy(), base.copy()
        up[i] += 1e-6
        down[i] -= 1e-6
        if name in params:
            diff = loss({**params, name: up})[0] - loss({**params, name: down})[0]
        else:
            diff = loss(params, name, up)[0] - loss(params, name, down)[0]
        numeric[i] = diff / 2e-6
    return base - float(lr) * numeric if lr else numeric


def _check(trace: Trace, finding_id: str, acts: tuple[str, str], layout: str, of: Of, x: str, y: str) -> None:
    hit = next(f for f in trace.findings if f.id == finding_id)
    assert hit.step is not None
    step = trace.steps[hit.step]
    if of is None:
        assert step.reference is None, (step.target, step.reference)
        return
    assert step.reference is not None, step.target
    assert np.shape(step.reference) == np.shape(step.value)
    assert not np.allclose(step.reference, step.value, rtol=1e-6, atol=1e-12), "expected equals got"
    np.testing.assert_allclose(step.reference, _truth(trace, acts, layout, of, x, y), rtol=1e-5, atol=1e-8,
                               err_msg=f"{finding_id}: {step.target} against {of}")


@pytest.mark.parametrize("stem", sorted(GALLERY_CASES))
def test_gallery_finding_step_shows_the_true_value(stem: str) -> None:
    acts, layout, of = GALLERY_CASES[stem]
    trace = trace_from_source(GALLERY / f"{stem}.toml")
    x, y = ("X", "y") if layout == "rows" else ("X", "Y")
    _check(trace, stem.replace("_", "-"), acts, layout, of, x, y)


def _planted() -> list[Plant]:
    return [p for p in PLANTS if p.id in PLANTED]


def test_every_planted_gradient_error_is_covered() -> None:
    # Not exception (the run stops) nor non-finite (no finite truth): neither is about a gradient.
    gradient_errors = {i for i, s in SEVERITIES.items() if s == "error"} - {"exception", "non-finite"}
    missing = {p.id for p in PLANTS if p.finding in gradient_errors} - set(PLANTED)
    assert not missing, missing


@pytest.mark.parametrize("plant", _planted(), ids=lambda p: p.id)
def test_planted_finding_step_shows_the_true_value(plant: Plant, tmp_path: Path) -> None:
    mutated, _line = _plant(plant)
    name, loss, reduction, _natural = STYLES[plant.style]
    path = tmp_path / name
    path.write_text(mutated)
    trace = record_code(path, loss=plant.loss or loss, reduction=reduction)
    y = "y" if plant.style == "class" else "Y"
    _check(trace, plant.finding, ACTS[plant.style], LAYOUT[plant.style], PLANTED[plant.id], "X", y)


def test_transposed_weights_in_a_delta_show_the_true_delta(tmp_path: Path) -> None:
    """dA1 = W2 @ dZ2 with a square W2 runs; the step shows W2ᵀ @ dZ2, the true ∂L/∂A1 (explain's transpose)."""
    program = tmp_path / "delta_transpose.py"
    program.write_text(
        "import numpy as np\n"
        "W1 = np.random.randn(3, 2)\n"
        "b1 = np.zeros((3, 1))\n"
        "W2 = np.random.randn(3, 3)\n"
        "b2 = np.zeros((3, 1))\n"
        "X = np.array([[0.5, 0.1], [0.3, 0.8], [-0.4, 0.2], [0.9, -0.7]]).T\n"
        "Y = np.array([[0.2, 0.9, 0.4, 0.1], [0.5, 0.5, 0.3, 0.7], [0.9, 0.1, 0.6, 0.2]])\n"
        "A1 = np.tanh(np.dot(W1, X) + b1)\n"
        "A2 = 1 / (1 + np.exp(-(np.dot(W2, A1) + b2)))\n"
        "dZ2 = A2 - Y\n"
        "dA1 = np.dot(W2, dZ2)\n"
        "dZ1 = dA1 * (1 - A1 ** 2)\n"
        "W2 -= 0.1 * np.dot(dZ2, A1.T)\n"
        "b2 -= 0.1 * np.sum(dZ2, axis=1, keepdims=True)\n"
        "W1 -= 0.1 * np.dot(dZ1, X.T)\n"
        "b1 -= 0.1 * np.sum(dZ1, axis=1, keepdims=True)\n"
    )
    trace = record_code(program, loss="bce", reduction="sum")
    assert [(f.id, f.line) for f in trace.findings] == [("transpose", 11)]
    _check(trace, "transpose", ("tanh", "sigmoid"), "columns", "A1", "X", "Y")
