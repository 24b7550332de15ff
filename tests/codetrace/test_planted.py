"""Mutation matrix: each catalogued mistake planted in two correct programs shaped like the samples.

The issue's acceptance test: programs shaped exactly like both samples run unmodified, the
correct ones with no error finding, and each planted mistake named by its id at its line.
``sample_functions.py`` is the first sample's shape (module functions, global parameters, columns,
``sigmoid_derivative(z)``, BCE summed); ``sample_class.py`` the second's (a class updating itself in
``backward``, rows, integer inputs, no learning rate, ``sigmoid_derivative(a)``, half SSE summed).
Every plant is one exact textual substitution (asserted to happen once); the finding must be named
at the line holding ``at`` in the mutated program. Each plant also runs as an ``.ipynb`` built from
the program's ``# %%`` cells, where the finding must name the cell and the line within it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from bptrace.codetrace import record_code
from bptrace.pitfalls import SEVERITIES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# style -> (program, declared loss, reduction, warnings the correct program carries)
STYLES: dict[str, tuple[str, str, str, frozenset[str]]] = {
    "functions": ("sample_functions.py", "bce", "sum", frozenset()),
    "class": ("sample_class.py", "half_sse", "sum", frozenset({"implicit-learning-rate"})),
}


@dataclass(frozen=True)
class Plant:
    style: str
    finding: str
    old: str
    new: str
    at: str = ""  # a fragment of the guilty line in the mutated program; default: ``new``'s first line
    also: frozenset[str] = frozenset()  # error ids allowed as unavoidable consequences (documented)
    loss: str = ""  # when the plant only makes sense under another declared loss

    @property
    def id(self) -> str:
        return f"{self.style}:{self.finding}:{self.new.strip().splitlines()[0][:40]}"


EXCEPTION = frozenset({"exception"})  # the wrong shape makes a later in-place update raise, as in the gallery

PLANTS: list[Plant] = [
    # -- derivative-on-preactivation: a helper expecting σ(z) handed z.
    # functions: skipped, see SKIPPED. class: the canonical mistake, z1 instead of a1, and z2 for output.
    Plant("class", "derivative-on-preactivation", "self.sigmoid_derivative(self.a1)",
          "self.sigmoid_derivative(self.z1)"),
    Plant("class", "derivative-on-preactivation", "self.sigmoid_derivative(output)",
          "self.sigmoid_derivative(self.z2)"),
    # functions, under half SSE: the activation form of σ′ written inline, applied to Z2.
    Plant("functions", "derivative-on-preactivation", "dZ2 = A2 - Y", "dZ2 = (A2 - Y) * Z2 * (1 - Z2)",
          loss="half_sse"),
    # -- derivative-on-activation: a helper expecting z handed σ(z).
    # functions: its sigmoid_derivative(z) only appears in the half-SSE output delta; A2 handed instead of Z2.
    Plant("functions", "derivative-on-activation", "dZ2 = A2 - Y", "dZ2 = (A2 - Y) * sigmoid_derivative(A2)",
          loss="half_sse"),
    # class: the other sample's helper (takes z) pasted in, still handed activations as this class does.
    Plant("class", "derivative-on-activation", "return x * (1 - x)",
          "return self.sigmoid(x) * (1 - self.sigmoid(x))", at="self.delta2 = "),
    # -- loss-output-mismatch: an extra σ' with BCE; the BCE delta with half SSE.
    Plant("functions", "loss-output-mismatch", "dZ2 = A2 - Y", "dZ2 = (A2 - Y) * sigmoid_derivative(Z2)"),
    Plant("class", "loss-output-mismatch", "self.delta2 = self.error * self.sigmoid_derivative(output)",
          "self.delta2 = self.error"),
    # -- gradient-scale: an extra 1/m where the loss is summed (on the delta, or on one weight gradient).
    Plant("functions", "gradient-scale", "dZ2 = A2 - Y", "dZ2 = (A2 - Y) / X.shape[1]"),
    Plant("functions", "gradient-scale", "dW1 = np.dot(dZ1, X.T)", "dW1 = np.dot(dZ1, X.T) / X.shape[1]"),
    Plant("class", "gradient-scale", "self.error = output - y", "self.error = (output - y) / len(X)"),
    # (Not `self.weights1 -= np.dot(X.T, self.delta1) / len(X)`: in a fused update that IS a learning rate of 1/m.)
    Plant("class", "gradient-scale",
          "self.delta1 = np.dot(self.delta2, self.weights2.T) * self.sigmoid_derivative(self.a1)",
          "self.delta1 = np.dot(self.delta2, self.weights2.T) * self.sigmoid_derivative(self.a1) / len(X)"),
    # -- bias-sum-axis: summed over units instead of samples, or over everything.
    Plant("functions", "bias-sum-axis", "db1 = np.sum(dZ1, axis=1, keepdims=True)",
          "db1 = np.sum(dZ1, axis=0, keepdims=True)", also=EXCEPTION),
    Plant("functions", "bias-sum-axis", "db1 = np.sum(dZ1, axis=1, keepdims=True)", "db1 = np.sum(dZ1)"),
    Plant("class", "bias-sum-axis", "self.bias1 -= np.sum(self.delta1, axis=0)",
          "self.bias1 -= np.sum(self.delta1, axis=1)", also=EXCEPTION),
    Plant("class", "bias-sum-axis", "self.bias1 -= np.sum(self.delta1, axis=0)", "self.bias1 -= np.sum(self.delta1)"),
    # -- transpose: the square first-layer gradient computed transposed (it fits, so it runs).
    Plant("functions", "transpose", "dW1 = np.dot(dZ1, X.T)", "dW1 = np.dot(X, dZ1.T)"),
    Plant("class", "transpose", "self.weights1 -= np.dot(X.T, self.delta1)",
          "self.weights1 -= np.dot(self.delta1.T, X)"),
    # -- stale-weights: the output weights updated before the hidden delta reads them.
    # functions: skipped, see SKIPPED.
    Plant("class", "stale-weights",
          "        self.delta1 = np.dot(self.delta2, self.weights2.T) * self.sigmoid_derivative(self.a1)\n\n"
          "        # Update weights and biases\n"
          "        self.weights2 -= np.dot(self.a1.T, self.delta2)\n",
          "        # Update weights and biases\n"
          "        self.weights2 -= np.dot(self.a1.T, self.delta2)\n"
          "        self.delta1 = np.dot(self.delta2, self.weights2.T) * self.sigmoid_derivative(self.a1)\n",
          at="self.delta1 = "),
    # -- update-sign: both samples subtract (the class's error = output - y carries no sign flip).
    Plant("functions", "update-sign", "W2 -= learning_rate * dW2", "W2 += learning_rate * dW2"),
    Plant("class", "update-sign", "self.weights1 -= np.dot(X.T, self.delta1)",
          "self.weights1 += np.dot(X.T, self.delta1)"),
    # The other common version of this class writes error = y - output and updates with +=; flipping only
    # the error moves every parameter up: named at the first update (the fix may go either place).
    Plant("class", "update-sign", "self.error = output - y", "self.error = y - output", at="self.weights2 -= "),
    # -- shape-broadcast: targets that do not match the output's shape, or a bias gradient without keepdims.
    Plant("functions", "shape-broadcast", "Y = np.array([[0.7], [0.1], [0.9], [0.3]]).T",
          "Y = np.array([[0.7], [0.1], [0.9], [0.3]])", at="dZ2 = A2 - Y", also=EXCEPTION),
    # A (n,) bias gradient into an (n, 1) bias broadcasts the update to (n, n). (Into b2, (1, 1), the (1,)
    # gradient lands right with the right numbers: not an error, issue 11 point 5.)
    Plant("functions", "shape-broadcast", "db1 = np.sum(dZ1, axis=1, keepdims=True)", "db1 = np.sum(dZ1, axis=1)",
          also=EXCEPTION),
    Plant("class", "shape-broadcast", "y = np.array([[0], [1], [1], [0]])", "y = np.array([0, 1, 1, 0])",
          at="self.error = output - y", also=EXCEPTION),
    # -- gradient-mismatch: no catalogued cause, e.g. a typo in the derivative.
    Plant("functions", "gradient-mismatch", "dZ2 = A2 - Y", "dZ2 = (A2 - Y) * A2 * (1 + A2)", loss="half_sse"),
    Plant("functions", "gradient-mismatch", "dZ1 = np.dot(W2.T, dZ2) * relu_derivative(Z1)",
          "dZ1 = np.dot(W2.T, dZ2) * relu_derivative(Z1) + 0.1"),
    # A wrong helper body is named in the helper (issue 11, point 6), not at the call that used it.
    Plant("class", "gradient-mismatch", "return x * (1 - x)", "return x * (1 + x)"),
    # -- implicit-learning-rate: the class sample has it by nature (checked on the correct program).
    Plant("functions", "implicit-learning-rate", "learning_rate = 0.1", "learning_rate = 1",
          at="W1 -= learning_rate * dW1"),
    Plant("functions", "implicit-learning-rate", "b2 -= learning_rate * db2", "b2 -= db2"),
    # -- exception: a weight untransposed where the shapes cannot fit.
    Plant("functions", "exception", "dZ1 = np.dot(W2.T, dZ2)", "dZ1 = np.dot(W2, dZ2)"),
    Plant("class", "exception", "np.dot(self.delta2, self.weights2.T)", "np.dot(self.delta2, self.weights2)"),
    # -- non-finite: a missing value in the data.
    Plant("functions", "non-finite", "[0.9, -0.3, 0.2]", "[0.9, np.nan, 0.2]", at="X = np.array("),
    # -- dead-relu: a bias initialised far negative (functions only: the class has no ReLU).
    Plant("functions", "dead-relu", "b1 = np.zeros((hidden_layer_size, 1))",
          "b1 = np.zeros((hidden_layer_size, 1)) - 5", at="A1 = relu(Z1)"),
    # -- saturated-units / exp-overflow: weights initialised far too large.
    Plant("class", "saturated-units", "self.bias1 = np.random.randn(hidden_size)",
          "self.bias1 = np.random.randn(hidden_size) * 20", at="self.a1 = "),
    # the output layer saturated: named at the line that binds it, not at the method returning it.
    Plant("class", "saturated-units", "self.weights2 = np.random.randn(hidden_size, output_size)",
          "self.weights2 = np.random.randn(hidden_size, output_size) * 100", at="self.a2 = "),
    Plant("class", "exp-overflow", "self.weights1 = np.random.randn(input_size, hidden_size)",
          "self.weights1 = np.random.randn(input_size, hidden_size) * 1000", at="return 1 / (1 + np.exp(-x))"),
]

# (style, id) -> why that mistake has no natural form in that style
SKIPPED: dict[tuple[str, str], str] = {
    ("functions", "stale-weights"): "all gradients are returned by backward_propagation before the top-level "
                                    "updates run: no statement can read an updated weight without restructuring",
    ("class", "implicit-learning-rate"): "the sample updates with no learning rate by nature: the correct "
                                         "program carries the warning (test_correct_programs_have_no_error)",
    ("class", "non-finite"): "integer inputs and no loss line: no natural place for a NaN",
    ("class", "dead-relu"): "sigmoid layers only",
    ("functions", "saturated-units"): "relu hidden layer; the sigmoid output saturating is the exp-overflow plant",
    ("functions", "exp-overflow"): "planted in the class style only (same sigmoid helper)",
}


def _plant(plant: Plant) -> tuple[str, int]:
    """The mutated program and the 1-based line the finding must name."""
    text = (FIXTURES / STYLES[plant.style][0]).read_text()
    assert text.count(plant.old) == 1, (plant.id, text.count(plant.old))
    mutated = text.replace(plant.old, plant.new)
    fragment = plant.at or plant.new.strip().splitlines()[0]
    lines = [n for n, line in enumerate(mutated.splitlines(), start=1) if fragment in line]
    assert len(lines) == 1, (plant.id, fragment, lines)
    return mutated, lines[0]


def _notebook(text: str, line: int) -> tuple[str, int, int]:
    """An .ipynb of the ``# %%`` cells (docstring as a markdown cell); (json, cell number, line in it).

    The cell number is the one Jupyter shows for a cell with no stored execution count: its place among all
    cells, the markdown cell first included."""
    lines = text.splitlines()
    marks = [n for n, s in enumerate(lines) if s == "# %%"]
    cells: list[dict[str, object]] = [{"cell_type": "markdown", "metadata": {}, "source": lines[: marks[0]]}]
    where = (0, 0)
    for number, (start, end) in enumerate(zip(marks, [*marks[1:], len(lines)], strict=True), start=2):
        body = lines[start + 1 : end]
        if start + 1 <= line - 1 < end:
            where = (number, line - 1 - start)
        cells.append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                      "source": [s + "\n" for s in body]})
    doc = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(doc), *where


def _check(plant: Plant, path: Path, file: str, line: int) -> None:
    _name, loss, reduction, natural = STYLES[plant.style]
    trace = record_code(path, loss=plant.loss or loss, reduction=reduction)
    found = [(f.id, f.file, f.line) for f in trace.findings]
    hits = [f for f in trace.findings if f.id == plant.finding]
    assert hits, found
    assert (hits[0].file, hits[0].line) == (file, line), found
    errors = {f.id for f in trace.findings if f.severity == "error"}
    assert errors <= {plant.finding} | plant.also, found
    warnings = {f.id for f in trace.findings if f.severity == "warning"}
    consequences = {"saturated-units"} if plant.finding == "exp-overflow" else set()  # huge |z| does both
    assert warnings <= {plant.finding} | natural | consequences, found
    if SEVERITIES[plant.finding] == "error" and plant.finding != "exception" and hits[0].step is not None:
        assert 0 <= hits[0].step < len(trace.steps)


@pytest.mark.parametrize("plant", PLANTS, ids=lambda p: p.id)
def test_planted_mistake_is_named_at_its_line(plant: Plant, tmp_path: Path) -> None:
    mutated, line = _plant(plant)
    path = tmp_path / STYLES[plant.style][0]
    path.write_text(mutated)
    _check(plant, path, path.name, line)


@pytest.mark.parametrize("plant", PLANTS, ids=lambda p: p.id)
def test_planted_mistake_is_named_in_a_notebook(plant: Plant, tmp_path: Path) -> None:
    mutated, line = _plant(plant)
    doc, cell, cell_line = _notebook(mutated, line)
    path = tmp_path / STYLES[plant.style][0].replace(".py", ".ipynb")
    path.write_text(doc)
    _check(plant, path, f"{path.name}#cell{cell}", cell_line)


@pytest.mark.parametrize("style", sorted(STYLES))
@pytest.mark.parametrize("suffix", [".py", ".ipynb"])
def test_correct_programs_have_no_error(style: str, suffix: str, tmp_path: Path) -> None:
    name, loss, reduction, natural = STYLES[style]
    path = FIXTURES / name
    if suffix == ".ipynb":
        path = tmp_path / name.replace(".py", suffix)
        path.write_text(_notebook((FIXTURES / name).read_text(), 1)[0])
    trace = record_code(path, loss=loss, reduction=reduction)
    assert trace.train_steps == 1
    assert {f.id for f in trace.findings} == natural, [(f.id, f.line, f.message) for f in trace.findings]
    assert set(trace.reference_gradients[0]) == {"W1", "b1", "W2", "b2"}
    if natural:  # the class's raw updates: named at its first update line
        text = (FIXTURES / name).read_text().splitlines()
        first = next(n for n, s in enumerate(text, 1) if "self.weights2 -= " in s)
        if suffix == ".py":
            assert trace.findings[0].line == first


def test_every_id_is_planted_or_skipped_with_a_reason() -> None:
    planted = {(p.style, p.finding) for p in PLANTS}
    for finding_id in SEVERITIES:
        styles = {s for s in STYLES if (s, finding_id) in planted}
        assert styles, f"{finding_id} is planted in no style"
        for style in set(STYLES) - styles:
            assert SKIPPED.get((style, finding_id)), (style, finding_id)
    assert not planted & set(SKIPPED)


def test_the_plus_equals_convention_of_the_class_sample_is_correct(tmp_path: Path) -> None:
    """error = y - output with += updates (the other common version of the class sample) is no mistake."""
    text = (FIXTURES / "sample_class.py").read_text()
    for old, new in [("self.error = output - y", "self.error = y - output")] + [
        (f"self.{p} -= ", f"self.{p} += ") for p in ("weights2", "bias2", "weights1", "bias1")
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "sample_class.py"
    path.write_text(text)
    trace = record_code(path, loss="half_sse", reduction="sum")
    assert {f.id for f in trace.findings} == {"implicit-learning-rate"}, [(f.id, f.line) for f in trace.findings]
