"""Symbolic forms: formulas read as textbooks write them; element expansions evaluate to the step's number."""

from __future__ import annotations

import numpy as np
import pytest

from bptrace.bundled import default
from bptrace.recorder import record
from bptrace.scenario import Layer, Scenario, load_scenario, parameter_shapes
from tests.core.networks import random_scenario

CASES = [
    ("bce", "sum", "columns", "relu", "sigmoid"),
    ("half_sse", "mean", "rows", "sigmoid", "sigmoid"),
    ("cross_entropy", "mean", "rows", "leaky_relu", "softmax"),
    ("cross_entropy", "sum", "columns", "tanh", "softmax"),
    ("mse", "mean", "columns", "linear", "linear"),
    ("half_sse", "sum", "rows", "relu", "tanh"),
]


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_every_element_expansion_evaluates_to_the_recorded_number(case) -> None:
    from bptrace.symbolic import element_expansion

    rng = np.random.default_rng(42)
    scenario = random_scenario(rng, *case, steps=2)
    trace = record(scenario)
    for step in trace.steps:
        indices = list(np.ndindex(step.value.shape)) or [()]
        for index in indices:
            form = element_expansion(step, trace.scenario, index)
            expected = float(step.value[index]) if index else float(step.value)
            assert form.value == pytest.approx(expected, rel=1e-9, abs=1e-12), (
                step.index,
                step.target,
                index,
                form.text,
            )
            assert form.text and form.latex


def test_seed_scenario_formulas_read_like_the_textbook() -> None:
    from bptrace.symbolic import with_formulas

    trace = with_formulas(record(load_scenario(default())))
    texts = {step.target: step.formula.text for step in trace.steps if step.formula}
    assert texts["Z1"] == "Z1 = W1·X + b1"
    assert texts["A1"] == "A1 = relu(Z1)"
    assert texts["dZ1"] == "∂L/∂Z1 = ∂L/∂A1 ⊙ relu′(Z1) = (W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1)"
    assert texts["dW2"] == "∂L/∂W2 = ∂L/∂Z2·A1ᵀ"
    assert texts["W1"] == "W1 ← W1 − η·∂L/∂W1"
    latex = {step.target: step.formula.latex for step in trace.steps}
    assert latex["dZ1"].startswith(r"\frac{\partial L}{\partial Z_{1}} = ")
    assert r"\operatorname{relu}'(Z_{1})" in latex["dZ1"]
    backward = [s for s in trace.steps if s.phase == "backward" and s.op == "activation_grad"]
    roles = [t.role for t in backward[0].terms]
    assert "upstream" in roles and "local" in roles and "product" in roles
    for step in trace.steps:
        for term in step.terms:
            assert term.latex, (step.target, term.name)


def test_big_layers_stay_readable() -> None:
    from bptrace.symbolic import element_expansion, formula

    rng = np.random.default_rng(0)
    layers = (Layer(128, "relu"), Layer(10, "softmax"))
    shapes = parameter_shapes("columns", 784, layers)
    params = {k: rng.standard_normal(s) * 0.05 for k, s in shapes.items()}
    Y = np.eye(10)[rng.integers(0, 10, 8)].T
    scenario = Scenario(name="mnist-ish", layout="columns", inputs=784, layers=layers, loss="cross_entropy",
                        reduction="mean", X=rng.standard_normal((784, 8)), Y=Y, parameters=params)
    trace = record(scenario)
    z1 = trace.steps[0]
    assert formula(z1, trace.scenario).text == "Z1 = W1·X + b1"
    form = element_expansion(z1, trace.scenario, (3, 5))
    assert form.terms == 785
    assert "785 terms" in form.text and len(form.text) < 200
    assert form.value == pytest.approx(z1.value[3, 5], rel=1e-12)


@pytest.mark.parametrize("case", CASES[:4], ids=["-".join(c) for c in CASES[:4]])
def test_chain_expansion_writes_the_whole_chain_and_evaluates_to_the_number(case) -> None:
    from bptrace.symbolic import chain_expansion

    rng = np.random.default_rng(7)
    scenario = random_scenario(rng, *case, steps=1)
    trace = record(scenario)
    for step in trace.steps:
        if step.phase != "backward":
            continue
        index = tuple(0 for _ in step.value.shape)
        form = chain_expansion(trace, step, index)
        assert form.value == pytest.approx(float(step.value[index]), rel=1e-9, abs=1e-12), (step.target, form.text)
        if form.complete:
            assert "∂L/∂" not in form.text, form.text  # every upstream gradient was written out


def test_chain_expansion_of_the_seed_scenario_reaches_the_weights_and_inputs() -> None:
    from bptrace.symbolic import chain_expansion

    trace = record(load_scenario(default()))
    dW1 = next(s for s in trace.steps if s.target == "dW1")
    form = chain_expansion(trace, dW1, (0, 1))
    assert form.complete
    assert form.lhs_text == "∂L/∂W1[0,1]"
    for name in ("W2[0,0]", "X[1,0]", "[Z1[0,0] > 0]", "A2[0,0]", "Y[0,0]"):
        assert name in form.text, form.text
    assert form.value == pytest.approx(dW1.value[0, 1], rel=1e-12)
