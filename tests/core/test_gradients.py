"""bptrace's gradients against independent float64 computations.

Two oracles: central finite differences of an independently written loss
(tests/oracle.py), and sympy's own ``diff`` of the fully symbolic loss.
"""

from __future__ import annotations

import numpy as np
import pytest

from bptrace.recorder import record
from tests.core.networks import all_combinations, random_scenario
from tests.oracle import finite_difference_gradients, loss_value

COMBOS = all_combinations()


def _min_abs_preactivation(trace) -> float:
    values = [np.min(np.abs(s.value)) for s in trace.steps if s.op == "affine"]
    return float(min(values))


@pytest.mark.parametrize(("loss", "reduction", "layout", "hidden", "output"), COMBOS,
                         ids=["-".join(c) for c in COMBOS])
def test_gradients_match_finite_differences_over_several_steps(loss, reduction, layout, hidden, output) -> None:
    rng = np.random.default_rng(abs(hash((loss, reduction, layout, hidden, output))) % 2**32)
    for _attempt in range(20):
        scenario = random_scenario(rng, loss, reduction, layout, hidden, output, steps=3)
        trace = record(scenario)
        if _min_abs_preactivation(trace) > 1e-3:  # away from relu's kink, where FD is undefined
            break
    activations = [layer.activation for layer in scenario.layers]
    params = {k: v.copy() for k, v in scenario.parameters.items()}
    assert trace.train_steps == 3
    for step in range(3):
        f = lambda p: loss_value(p, scenario.X, scenario.Y, activations, loss, reduction, layout)
        assert trace.losses[step] == pytest.approx(f(params), rel=1e-12, abs=1e-12)
        expected = finite_difference_gradients(params, f)
        for name, grad in expected.items():
            got = trace.gradients[step][name]
            assert got.shape == params[name].shape, name
            np.testing.assert_allclose(got, grad, rtol=1e-5, atol=1e-7, err_msg=f"{name} at training step {step}")
        # Gradient descent with the gradients just checked, applied independently of bptrace's update steps.
        params = {k: v - scenario.learning_rate * trace.gradients[step][k] for k, v in params.items()}
    for name, value in trace.parameters.items():
        np.testing.assert_allclose(value, params[name], rtol=1e-14, atol=1e-15)


def _sympy_loss(sp, scenario):
    """The whole loss as one scalar sympy expression in named parameter symbols."""
    columns = scenario.layout == "columns"
    symbols: dict[tuple[str, tuple[int, ...]], object] = {}
    mats = {}
    for name, value in scenario.parameters.items():
        m = sp.zeros(*(value.shape if value.ndim == 2 else (1, value.shape[0])))
        for index in np.ndindex(value.shape):
            s = sp.Symbol(f"{name}_{'_'.join(map(str, index))}")
            symbols[(name, index)] = s
            m[index if value.ndim == 2 else (0, index[0])] = s
        mats[name] = m
    A = sp.Matrix(scenario.X)
    for number, layer in enumerate(scenario.layers, start=1):
        W, b = mats[f"W{number}"], mats[f"b{number}"]
        if columns:
            Z = W * A + b * sp.ones(1, A.shape[1])
        else:
            Z = A * W + sp.ones(A.shape[0], 1) * b
        act = layer.activation
        if act == "sigmoid":
            A = Z.applyfunc(lambda z: 1 / (1 + sp.exp(-z)))
        elif act == "tanh":
            A = Z.applyfunc(sp.tanh)
        elif act == "relu":
            A = Z.applyfunc(lambda z: sp.Max(0, z))
        elif act == "leaky_relu":
            A = Z.applyfunc(lambda z: sp.Max(z, sp.Rational(1, 100) * z))
        elif act == "linear":
            A = Z
        elif act == "softmax":
            E = Z.applyfunc(sp.exp)
            totals = [sum(E[:, j]) for j in range(E.shape[1])] if columns else [sum(E[i, :]) for i in range(E.shape[0])]
            A = sp.Matrix(E.shape[0], E.shape[1], [E[i, j] / totals[j if columns else i]
                                                   for i in range(E.shape[0]) for j in range(E.shape[1])])
    Y = sp.Matrix(scenario.Y)
    total = 0
    outputs, samples = (A.shape[0], A.shape[1]) if columns else (A.shape[1], A.shape[0])
    for s in range(samples):
        pairs = [((k, s) if columns else (s, k)) for k in range(outputs)]
        if scenario.loss == "half_sse":
            total += sp.Rational(1, 2) * sum((A[p] - Y[p]) ** 2 for p in pairs)
        elif scenario.loss == "sse":
            total += sum((A[p] - Y[p]) ** 2 for p in pairs)
        elif scenario.loss == "mse":
            total += sum((A[p] - Y[p]) ** 2 for p in pairs) / outputs
        elif scenario.loss == "bce":
            total += -sum(Y[p] * sp.log(A[p]) + (1 - Y[p]) * sp.log(1 - A[p]) for p in pairs)
        else:
            total += -sum(Y[p] * sp.log(A[p]) for p in pairs)
    if scenario.reduction == "mean":
        total = total / samples
    return total, symbols


SYMPY_CASES = [
    ("bce", "sum", "columns", "relu", "sigmoid"),
    ("half_sse", "sum", "rows", "sigmoid", "sigmoid"),
    ("cross_entropy", "mean", "rows", "leaky_relu", "softmax"),
    ("mse", "mean", "columns", "tanh", "linear"),
    ("half_sse", "mean", "columns", "linear", "tanh"),
    ("sse", "sum", "rows", "tanh", "linear"),
]


@pytest.mark.parametrize(("loss", "reduction", "layout", "hidden", "output"), SYMPY_CASES,
                         ids=["-".join(c) for c in SYMPY_CASES])
def test_gradients_match_sympy_diff_of_the_symbolic_loss(loss, reduction, layout, hidden, output) -> None:
    import sympy as sp

    rng = np.random.default_rng(sum(map(ord, "".join((loss, reduction, layout, hidden, output)))))
    for _attempt in range(20):
        scenario = random_scenario(rng, loss, reduction, layout, hidden, output, steps=1)
        trace = record(scenario)
        if _min_abs_preactivation(trace) > 1e-3:
            break
    total, symbols = _sympy_loss(sp, scenario)
    keys = list(symbols)
    syms = [symbols[k] for k in keys]
    values = [float(scenario.parameters[name][index]) for name, index in keys]
    loss_fn = sp.lambdify(syms, total, modules="numpy")
    assert float(loss_fn(*values)) == pytest.approx(trace.losses[0], rel=1e-12)
    gradient_fn = sp.lambdify(syms, [sp.diff(total, s) for s in syms], modules="numpy", cse=True)
    for (name, index), expected in zip(keys, gradient_fn(*values), strict=True):
        assert trace.gradients[0][name][index] == pytest.approx(float(expected), rel=1e-10, abs=1e-12), (name, index)


def test_every_activation_loss_reduction_and_layout_is_covered() -> None:
    from bptrace.ops import ACTIVATIONS, LOSSES, REDUCTIONS

    activations = {c[3] for c in COMBOS} | {c[4] for c in COMBOS}
    assert activations == set(ACTIVATIONS)
    assert {c[0] for c in COMBOS} == set(LOSSES)
    assert {c[1] for c in COMBOS} == set(REDUCTIONS)
    assert {c[2] for c in COMBOS} == {"columns", "rows"}
