"""The true gradients code mode derives agree with central finite differences in float64.

The loss below is written out here, independently of bptrace's ops and reverse pass,
and evaluated at the parameters the learner's code actually held at each training step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.trace import Trace

ROOT = Path(__file__).resolve().parents[2]


def _act(name: str, z: np.ndarray) -> np.ndarray:
    return {
        "relu": lambda: np.maximum(z, 0.0),
        "sigmoid": lambda: 1.0 / (1.0 + np.exp(-z)),
        "tanh": lambda: np.tanh(z),
    }[name]()


def _loss(a: np.ndarray, y: np.ndarray, loss: str, reduction: str, columns: bool) -> float:
    m = a.shape[1] if columns else a.shape[0]
    if loss == "bce":
        total = -np.sum(y * np.log(a) + (1 - y) * np.log(1 - a))
    elif loss == "half_sse":
        total = 0.5 * np.sum((a - y) ** 2)
    else:
        raise AssertionError(loss)
    return float(total / m if reduction == "mean" else total)


def _value(trace: Trace, target: str) -> np.ndarray:
    return next(s.value for s in trace.steps if s.target == target and s.train_step == 0).astype(np.float64)


def _params_at(trace: Trace, train_step: int, names: list[str]) -> dict[str, np.ndarray]:
    params = {}
    for name in names:
        if train_step == 0:
            step = next(s for s in trace.steps if s.parameter == name)
        else:
            step = next(s for s in trace.steps
                        if s.parameter == name and s.kind == "update" and s.train_step == train_step - 1)
        params[name] = np.array(step.value, dtype=np.float64)
    return params


CASES = [
    # file, loss, reduction, activations, layout, X name, Y name, training steps
    ("tests/fixtures/functions_columns.py", "bce", "mean", ("relu", "sigmoid"), "columns", "X", "Y", 3),
    ("tests/fixtures/class_rows.py", "half_sse", "sum", ("sigmoid", "sigmoid"), "rows", "X", "y", 2),
    ("scenarios/gallery/transpose.py", "half_sse", "sum", ("sigmoid", "sigmoid"), "rows", "X", "y", 1),
    ("scenarios/gallery/gradient_scale.py", "bce", "mean", ("tanh", "sigmoid"), "columns", "X", "Y", 1),
    ("scenarios/gallery/derivative_on_preactivation.py", "bce", "sum", ("sigmoid", "sigmoid"), "columns", "X", "Y", 1),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0].rsplit("/", 1)[-1] for c in CASES])
def test_reference_gradients_match_finite_differences(case: tuple) -> None:
    path, loss, reduction, acts, layout, x_name, y_name, train_steps = case
    trace = record_code(ROOT / path, loss=loss, reduction=reduction, seed=0)
    assert trace.train_steps == train_steps
    columns = layout == "columns"
    assert trace.scenario.layout == layout
    X, Y = _value(trace, x_name), _value(trace, y_name)
    names = [f"{kind}{k}" for k in range(1, len(acts) + 1) for kind in ("W", "b")]

    def f(params: dict[str, np.ndarray]) -> float:
        a = X
        for k, act in enumerate(acts, start=1):
            w, b = params[f"W{k}"], params[f"b{k}"]
            a = _act(act, (w @ a if columns else a @ w) + b)
        return _loss(a, Y.reshape(a.shape), loss, reduction, columns)

    for train_step in range(train_steps):
        params = _params_at(trace, train_step, names)
        assert trace.losses[train_step] == pytest.approx(f(params), rel=1e-12)
        truth = trace.reference_gradients[train_step]
        assert set(truth) == set(names)
        for name in names:
            numeric = np.zeros_like(params[name])
            for i in np.ndindex(params[name].shape):
                up = {k: v.copy() for k, v in params.items()}
                down = {k: v.copy() for k, v in params.items()}
                up[name][i] += 1e-6
                down[name][i] -= 1e-6
                numeric[i] = (f(up) - f(down)) / 2e-6
            np.testing.assert_allclose(
                truth[name], numeric, rtol=1e-5, atol=1e-8, err_msg=f"{path} {name} step {train_step}"
            )


def test_views_of_parameters_keep_the_numbers_they_had(tmp_path: Path) -> None:
    """`X @ W.T` reads W through a view; the in-place update after it must not change the recorded view."""
    program = tmp_path / "views.py"
    program.write_text(
        "import numpy as np\n"
        "W = np.random.randn(2, 3)\n"
        "X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])\n"
        "Y = np.array([[0.2, 0.9], [0.4, 0.1]])\n"
        "for _ in range(2):\n"
        "    Wt = W.T\n"
        "    A = np.tanh(X @ Wt)\n"
        "    dZ = (A - Y) * (1 - A ** 2)\n"
        "    W -= 0.5 * (X.T @ dZ).T\n"
    )
    trace = record_code(program, loss="half_sse", reduction="sum")
    assert trace.train_steps == 2 and trace.error_count() == 0, [f.message for f in trace.findings]
    X = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    Y = np.array([[0.2, 0.9], [0.4, 0.1]])
    f = lambda w: 0.5 * float(np.sum((np.tanh(X @ w.T) - Y) ** 2))
    for train_step in range(2):
        w = _params_at(trace, train_step, ["W1"])["W1"]
        view = next(s for s in trace.steps if s.target == "Wt" and s.train_step == train_step)
        np.testing.assert_array_equal(view.value, w.T)  # the numbers the forward pass used
        numeric = np.zeros_like(w)
        for i in np.ndindex(w.shape):
            up, down = w.copy(), w.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            numeric[i] = (f(up) - f(down)) / 2e-6
        np.testing.assert_allclose(trace.reference_gradients[train_step]["W1"], numeric, rtol=1e-5, atol=1e-8)
