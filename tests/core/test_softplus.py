"""softplus, added as one ``Activation`` entry in bptrace/ops.py: its value, derivative and symbolic
form against sympy's own diff and central finite differences, and a whole network that uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from bptrace.ops import ACTIVATIONS
from bptrace.recorder import record
from bptrace.scenario import Layer, Scenario, parameter_shapes

Z = np.array([[-30.0, -2.5, -0.3], [0.0, 0.7, 4.0]])


def test_forward_and_derivative_against_sympy_and_finite_differences() -> None:
    softplus = ACTIVATIONS["softplus"]
    z = sp.Symbol("z", real=True)
    exact = sp.log(1 + sp.exp(z))  # written here, not read from bptrace
    slope = sp.diff(exact, z)
    A = softplus.forward(Z, 0)
    for index in np.ndindex(Z.shape):
        at = {z: sp.Float(Z[index], 50)}  # 50 digits: log(1 + e⁻³⁰) needs more than float64 has
        assert A[index] == pytest.approx(float(exact.evalf(30, subs=at)), rel=1e-14)
        assert softplus.derivative(Z, A)[index] == pytest.approx(float(slope.evalf(30, subs=at)), rel=1e-14)
    h = 1e-6
    central = (softplus.forward(Z + h, 0) - softplus.forward(Z - h, 0)) / (2 * h)
    np.testing.assert_allclose(softplus.derivative(Z, A), central, rtol=1e-8, atol=1e-10)
    # The symbolic forms: the derivative is sympy's diff of the value.
    assert sp.simplify(softplus.symbolic_derivative(sp, z, None) - sp.diff(softplus.symbolic(sp, z), z)) == 0
    assert sp.simplify(softplus.symbolic(sp, z) - exact) == 0


def test_large_inputs_neither_overflow_nor_lose_the_value() -> None:
    with np.errstate(over="raise", invalid="raise"):  # e⁻⁸⁰⁰ underflowing to 0 is the right answer
        A = ACTIVATIONS["softplus"].forward(np.array([800.0, -800.0]), 0)
    assert A[0] == 800.0 and 0.0 <= A[1] < 1e-300


def _network(layout: str) -> Scenario:
    rng = np.random.default_rng(7)
    layers = (Layer(3, "softplus"), Layer(2, "linear"))
    shapes = parameter_shapes(layout, 2, layers)
    params = {name: rng.uniform(-0.9, 0.9, shape) for name, shape in shapes.items()}
    X = rng.uniform(-1, 1, (2, 4) if layout == "columns" else (4, 2))
    Y = rng.uniform(-1, 1, (2, 4) if layout == "columns" else (4, 2))
    return Scenario(name="softplus", path=Path("softplus.toml"), layout=layout, inputs=2, layers=layers,
                    loss="half_sse", reduction="mean", X=X, Y=Y, parameters=params, learning_rate=0.1, steps=1)


def _loss(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, columns: bool) -> float:
    """The same network written out plainly (no bptrace code): softplus hidden, linear output, ½Σ(A−Y)²/m."""
    if columns:
        A1 = np.log1p(np.exp(params["W1"] @ X + params["b1"]))
        A2 = params["W2"] @ A1 + params["b2"]
        return float(0.5 * np.sum((A2 - Y) ** 2) / X.shape[1])
    A1 = np.log1p(np.exp(X @ params["W1"] + params["b1"]))
    A2 = A1 @ params["W2"] + params["b2"]
    return float(0.5 * np.sum((A2 - Y) ** 2) / X.shape[0])


@pytest.mark.parametrize("layout", ["columns", "rows"])
def test_a_softplus_network_backpropagates_as_finite_differences_say(layout: str) -> None:
    from bptrace.symbolic import element_expansion, formula

    scenario = _network(layout)
    trace = record(scenario)
    params = {k: v.copy() for k, v in scenario.parameters.items()}
    f = lambda p: _loss(p, scenario.X, scenario.Y, layout == "columns")
    assert trace.losses[0] == pytest.approx(f(params), rel=1e-12)
    h = 1e-6
    for name, value in params.items():
        expected = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            up, down = {k: v.copy() for k, v in params.items()}, {k: v.copy() for k, v in params.items()}
            up[name][index] += h
            down[name][index] -= h
            expected[index] = (f(up) - f(down)) / (2 * h)
        np.testing.assert_allclose(trace.gradients[0][name], expected, rtol=1e-6, atol=1e-9, err_msg=name)
    # Its formula and element expansion come from the same entry: A1 = softplus(Z1), ∂L/∂Z1 = … ⊙ softplus′(Z1).
    forward = next(s for s in trace.steps if s.kind == "activation" and s.op == "softplus")
    backward = next(s for s in trace.steps if s.kind == "activation_grad" and s.layer == 1)
    assert formula(forward, trace.scenario).text == "A1 = softplus(Z1)"
    assert "softplus′(Z1)" in formula(backward, trace.scenario).text
    for step in (forward, backward):
        for index in np.ndindex(step.value.shape):
            form = element_expansion(step, trace.scenario, index)
            assert form.value == pytest.approx(float(step.value[index]), rel=1e-12, abs=1e-15)
