"""Integer class labels are targets: ``probs[range(N), y]``, ``dscores[range(N), y] -= 1`` (issue 11, point 4).

The true gradients under such targets are checked against central finite differences of a cross-entropy
written out here, in float64, independently of bptrace's ops and reverse pass.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.codetrace.targets import label_index
from bptrace.errors import CannotAnalyse
from bptrace.trace import Trace

# The CS231n shape: the loss picks the output at the labels; `dscores = probs` aliases it, so the
# backward's `-= 1` at the labels changes the output's own array in place.
ROWS_ALIAS = """
import numpy as np

np.random.seed(3)
N, D, H, K = 12, 3, 5, 4
X = np.random.randn(N, D)
y = np.random.randint(0, K, size=N)
W1 = 0.5 * np.random.randn(D, H)
b1 = np.zeros((1, H))
W2 = 0.5 * np.random.randn(H, K)
b2 = np.zeros((1, K))
for it in range(3):
    h = np.maximum(0, X @ W1 + b1)
    scores = h @ W2 + b2
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(probs[range(N), y]).mean()
    dscores = probs
    dscores[range(N), y] -= 1
    dscores /= N
    dW2 = h.T @ dscores
    db2 = dscores.sum(axis=0, keepdims=True)
    dh = dscores @ W2.T
    dh[h <= 0] = 0
    dW1 = X.T @ dh
    db1 = dh.sum(axis=0, keepdims=True)
    W1 -= 0.5 * dW1
    b1 -= 0.5 * db1
    W2 -= 0.5 * dW2
    b2 -= 0.5 * db2
"""

# Columns (W @ X), no loss value computed: the only use of the labels is the backward's write.
COLUMNS_NO_LOSS = """
import numpy as np

np.random.seed(4)
m, n, h, k = 10, 3, 4, 3
X = np.random.randn(n, m)
labels = np.random.randint(0, k, size=m)
W1 = 0.5 * np.random.randn(h, n)
b1 = np.zeros((h, 1))
W2 = 0.5 * np.random.randn(k, h)
b2 = np.zeros((k, 1))
for it in range(2):
    A1 = np.tanh(W1 @ X + b1)
    Z2 = W2 @ A1 + b2
    E = np.exp(Z2)
    A2 = E / np.sum(E, axis=0, keepdims=True)
    dZ2 = A2.copy()
    dZ2[labels, np.arange(m)] -= 1
    dZ2 = dZ2 / m
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (W2.T @ dZ2) * (1 - A1 ** 2)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    W1 = W1 - 0.3 * dW1
    b1 = b1 - 0.3 * db1
    W2 = W2 - 0.3 * dW2
    b2 = b2 - 0.3 * db2
"""

# One sample at a time, the label a plain integer index into a 1-D output.
PER_SAMPLE = """
import numpy as np

np.random.seed(5)
X = np.random.randn(6, 3)
y = np.array([0, 2, 1, 1, 0, 2])
W1 = 0.5 * np.random.randn(4, 3)
b1 = np.zeros(4)
W2 = 0.5 * np.random.randn(3, 4)
b2 = np.zeros(3)
for x, t in zip(X, y):
    a1 = np.tanh(W1 @ x + b1)
    z2 = W2 @ a1 + b2
    e = np.exp(z2 - np.max(z2))
    p = e / np.sum(e)
    loss = -np.log(p[t])
    d2 = p.copy()
    d2[t] -= 1
    d1 = (W2.T @ d2) * (1 - a1 ** 2)
    W2 -= 0.1 * np.outer(d2, a1)
    b2 -= 0.1 * d2
    W1 -= 0.1 * np.outer(d1, x)
    b1 -= 0.1 * d1
"""

# One-hot targets built from the labels: an array target like any other.
EYE = """
import numpy as np

np.random.seed(7)
N, D, K = 16, 3, 4
X = np.random.randn(N, D)
y = np.random.randint(0, K, size=N)
Y = np.eye(K)[y]
W = 0.1 * np.random.randn(D, K)
b = np.zeros(K)
for it in range(3):
    z = X @ W + b
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(Y * np.log(p)) / N
    dz = (p - Y) / N
    W -= 0.5 * (X.T @ dz)
    b -= 0.5 * dz.sum(axis=0)
"""

FANCY_ONE_HOT = """
import numpy as np

def one_hot(Y):
    one_hot_Y = np.zeros((Y.size, Y.max() + 1))
    one_hot_Y[np.arange(Y.size), Y] = 1
    return one_hot_Y.T

np.random.seed(8)
m, n, k = 15, 4, 3
X = np.random.randn(n, m)
Y = np.random.randint(0, k, size=m)
Y[0] = k - 1
W = 0.1 * np.random.randn(k, n)
b = np.zeros((k, 1))
for it in range(3):
    Z = W.dot(X) + b
    A = np.exp(Z) / np.sum(np.exp(Z), axis=0)
    dZ = A - one_hot(Y)
    dW = 1 / m * dZ.dot(X.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    W = W - 0.5 * dW
    b = b - 0.5 * db
"""

# A multiclass SVM picks its scores at the labels too, but scores are no probabilities: no loss bptrace
# knows fits, and judging it as cross-entropy would be a false alarm on every line.
HINGE = """
import numpy as np

np.random.seed(6)
N, D, K = 20, 4, 3
X = np.random.randn(N, D)
y = np.random.randint(0, K, size=N)
W = 0.01 * np.random.randn(D, K)
for it in range(3):
    scores = X @ W
    correct = scores[np.arange(N), y]
    margins = np.maximum(0, scores - correct[:, None] + 1.0)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N
    binary = (margins > 0).astype(float)
    binary[np.arange(N), y] = -binary.sum(axis=1)
    dW = X.T @ binary / N
    W -= 0.1 * dW
"""


def _write(tmp_path: Path, source: str, name: str = "labels.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def _line(source: str, fragment: str) -> int:
    return next(n for n, text in enumerate(textwrap.dedent(source).splitlines(), 1) if fragment in text)


def _errors(trace: Trace) -> list[tuple[str, int | None, str]]:
    return [(f.id, f.line, f.message[:120]) for f in trace.findings if f.severity == "error"]


def _before_training(source: str) -> dict[str, np.ndarray]:
    """The data and the initial parameters, by running the program's lines before its training loop here."""
    namespace: dict[str, np.ndarray] = {}
    exec(textwrap.dedent(source).split("\nfor ", 1)[0], namespace)  # the test's own program text
    return namespace


def _cross_entropy(probs: np.ndarray, labels: np.ndarray, sample_axis: int) -> float:
    picked = probs[np.arange(labels.size), labels] if sample_axis == 0 else probs[labels, np.arange(labels.size)]
    return float(-np.log(picked).mean())


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _central(f, params: dict[str, np.ndarray], name: str, h: float = 1e-6) -> np.ndarray:  # type: ignore[no-untyped-def]
    grad = np.zeros_like(params[name])
    for i in np.ndindex(grad.shape):
        plus = {k: v.copy() for k, v in params.items()}
        minus = {k: v.copy() for k, v in params.items()}
        plus[name][i] += h
        minus[name][i] -= h
        grad[i] = (f(plus) - f(minus)) / (2 * h)
    return grad


@pytest.mark.parametrize(
    ("index", "shape", "expected"),
    [
        ((range(4), np.array([2, 0, 1, 2])), (4, 3), (0, [2, 0, 1, 2])),
        ((np.arange(4), np.array([2, 0, 1, 2], dtype=np.uint8)), (4, 3), (0, [2, 0, 1, 2])),
        ((np.array([1, 1, 0]), range(3)), (2, 3), (1, [1, 1, 0])),  # columns: classes × samples
        ((range(3), [0, 1, 1]), (3, 2), (0, [0, 1, 1])),  # labels as a Python list
        (np.int64(2), (3,), (0, [2])),  # one sample's label into a 1-D output
    ],
)
def test_a_pick_of_one_class_per_sample_is_a_label_index(index, shape, expected) -> None:  # type: ignore[no-untyped-def]
    found = label_index(index, shape)
    assert found is not None
    assert found[0] == expected[0] and found[1].tolist() == expected[1]


@pytest.mark.parametrize(
    ("index", "shape"),
    [
        ((range(1, 5), np.array([2, 0, 1, 2])), (4, 3)),  # not every sample, in order
        ((range(4), np.array([2, 0, 3, 2])), (4, 3)),  # a class beyond the output
        ((range(4), np.array([0.0, 1.0, 1.0, 0.0])), (4, 3)),  # not integers
        ((range(4), np.array([0, 0, 0, 0])), (4, 1)),  # one class: nothing to pick from
        (True, (3,)),
        (slice(None), (3,)),
        ((slice(None), 0), (4, 3)),
    ],
)
def test_other_indexes_are_not_labels(index, shape) -> None:  # type: ignore[no-untyped-def]
    assert label_index(index, shape) is None


def test_labels_picking_the_output_are_targets_and_the_truth_matches_finite_differences(tmp_path: Path) -> None:
    trace = record_code(_write(tmp_path, ROWS_ALIAS))
    assert (trace.scenario.loss, trace.scenario.reduction) == ("cross_entropy", "mean")
    assert f"your line {_line(ROWS_ALIAS, 'loss = ')} computes it" in trace.scenario.description
    assert trace.train_steps == 3 and not _errors(trace)
    data = _before_training(ROWS_ALIAS)
    X, y = data["X"], data["y"]
    params = {name: data[name] for name in ("W1", "b1", "W2", "b2")}

    def f(p: dict[str, np.ndarray]) -> float:
        h = np.maximum(0.0, X @ p["W1"] + p["b1"])
        return _cross_entropy(_softmax(h @ p["W2"] + p["b2"], 1), y, 0)

    assert trace.losses[0] == pytest.approx(f(params), rel=1e-12)
    for name in params:
        np.testing.assert_allclose(trace.reference_gradients[0][name], _central(f, params, name), rtol=1e-5, atol=1e-9)
    # The in-place `dscores[range(N), y] -= 1` on the output's own array is the backward pass, not the forward.
    phases = {s.source.line: s.phase for s in trace.steps if s.train_step == 0 and s.source is not None}
    assert phases[_line(ROWS_ALIAS, "dscores[range(N), y] -= 1")] == "backward"
    assert phases[_line(ROWS_ALIAS, "dscores /= N")] == "backward"
    assert phases[_line(ROWS_ALIAS, "probs = ")] == "forward"


def test_labels_written_into_a_copy_of_a_columns_output_with_no_loss_value(tmp_path: Path) -> None:
    trace = record_code(_write(tmp_path, COLUMNS_NO_LOSS))
    assert (trace.scenario.loss, trace.scenario.layout) == ("cross_entropy", "columns")
    assert trace.train_steps == 2 and not _errors(trace)
    data = _before_training(COLUMNS_NO_LOSS)
    X, labels = data["X"], data["labels"]
    params = {name: data[name] for name in ("W1", "b1", "W2", "b2")}

    def f(p: dict[str, np.ndarray]) -> float:
        a1 = np.tanh(p["W1"] @ X + p["b1"])
        return _cross_entropy(_softmax(p["W2"] @ a1 + p["b2"], 0), labels, 1)

    for name in params:
        np.testing.assert_allclose(trace.reference_gradients[0][name], _central(f, params, name), rtol=1e-5, atol=1e-9)


def test_one_label_per_sample_into_a_1d_output(tmp_path: Path) -> None:
    trace = record_code(_write(tmp_path, PER_SAMPLE))
    assert trace.scenario.loss == "cross_entropy" and trace.train_steps == 6 and not _errors(trace)


@pytest.mark.parametrize("source", [EYE, FANCY_ONE_HOT], ids=["eye", "fancy-assignment"])
def test_one_hot_targets_built_from_labels(tmp_path: Path, source: str) -> None:
    trace = record_code(_write(tmp_path, source))
    assert (trace.scenario.loss, trace.scenario.reduction) == ("cross_entropy", "mean")
    assert trace.train_steps == 3 and not _errors(trace)


def test_a_wrong_delta_at_the_labels_is_found(tmp_path: Path) -> None:
    """The `-= 1` at the labels forgotten: dscores is then probs / N, and every gradient after it is wrong."""
    source = ROWS_ALIAS.replace("    dscores[range(N), y] -= 1\n", "")
    trace = record_code(_write(tmp_path, source), loss="cross_entropy", reduction="mean")
    errors = _errors(trace)
    assert errors and all(line is not None and line >= _line(source, "dscores /= N") for _id, line, _m in errors), (
        errors
    )


def test_scores_picked_at_the_labels_by_a_hinge_loss_are_not_probabilities(tmp_path: Path) -> None:
    with pytest.raises(CannotAnalyse):
        record_code(_write(tmp_path, HINGE))
    # Told the loss, it still finds no output and targets: nothing is judged against a loss that does not fit.
    with pytest.raises(CannotAnalyse):
        record_code(_write(tmp_path, HINGE), loss="cross_entropy", reduction="mean")


def test_a_scalar_bias_gradient_of_softmax_deltas_is_a_bias_axis_mistake(tmp_path: Path) -> None:
    """Softmax deltas sum to 0 over the classes, so a sum over every axis is rounding noise: it is still the
    bias gradient summed over the wrong axes, not a broadcast of a right gradient."""
    source = ROWS_ALIAS.replace("db2 = dscores.sum(axis=0, keepdims=True)", "db2 = dscores.sum()")
    trace = record_code(_write(tmp_path, source), loss="cross_entropy", reduction="mean")
    assert [(i, line) for i, line, _m in _errors(trace)] == [("bias-sum-axis", _line(source, "db2 = "))], _errors(trace)


def test_a_delta_at_the_labels_built_from_the_scores_is_a_loss_output_mismatch(tmp_path: Path) -> None:
    source = ROWS_ALIAS.replace("dscores = probs\n", "dscores = scores.copy()\n")
    trace = record_code(_write(tmp_path, source), loss="cross_entropy", reduction="mean")
    errors = _errors(trace)
    assert {i for i, _line, _m in errors} <= {"loss-output-mismatch", "non-finite"}, errors
    assert ("loss-output-mismatch", _line(source, "dscores = scores.copy()")) in [(i, line) for i, line, _m in errors]


# The combined softmax + cross-entropy backward as a helper: handed the scores instead of the probabilities,
# the mistake is the argument, so it is named at the call.
HELPER = """
import numpy as np


def softmax_ce_backward(dvalues, y_true):
    samples = len(dvalues)
    dinputs = dvalues.copy()
    dinputs[range(samples), y_true] -= 1
    return dinputs / samples


np.random.seed(9)
N, D, K = 14, 3, 3
X = np.random.randn(N, D)
y = np.random.randint(0, K, size=N)
W = 0.1 * np.random.randn(D, K)
for it in range(3):
    z = X @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = np.mean(-np.log(p[range(N), y]))
    dz = softmax_ce_backward(p, y)
    W -= 0.5 * (X.T @ dz)
"""


def test_a_helper_handed_the_scores_instead_of_the_probabilities_is_named_at_the_call(tmp_path: Path) -> None:
    clean = record_code(_write(tmp_path, HELPER))
    assert clean.scenario.loss == "cross_entropy" and not _errors(clean)
    source = HELPER.replace("softmax_ce_backward(p, y)", "softmax_ce_backward(z, y)")
    trace = record_code(_write(tmp_path, source, "planted.py"), loss="cross_entropy", reduction="mean")
    hits = [(i, line) for i, line, _m in _errors(trace)]
    assert ("loss-output-mismatch", _line(source, "softmax_ce_backward(z, y)")) in hits, _errors(trace)
    assert {i for i, _line in hits} <= {"loss-output-mismatch", "non-finite"}, _errors(trace)


def test_labels_named_by_a_hint(tmp_path: Path) -> None:
    """`# bptrace: output=p targets=y` naming integer labels: the one-hot is built for them."""
    source = HELPER.replace("import numpy as np\n", "import numpy as np\n# bptrace: output=p targets=y\n", 1)
    trace = record_code(_write(tmp_path, source), loss="cross_entropy", reduction="mean")
    assert trace.train_steps == 3 and not _errors(trace)
    assert "L = cross_entropy(p, y)" in next(s.formula.text for s in trace.steps if s.target == "L")


def test_a_loss_computed_in_another_module_is_said_with_its_file(tmp_path: Path) -> None:
    (tmp_path / "losses.py").write_text(textwrap.dedent("""
        import numpy as np


        def cross_entropy(probs, y):
            return np.mean(-np.log(probs[range(len(y)), y]))
    """), encoding="utf-8")
    source = HELPER.replace("import numpy as np\n", "import numpy as np\nfrom losses import cross_entropy\n", 1)
    source = source.replace("loss = np.mean(-np.log(p[range(N), y]))", "loss = cross_entropy(p, y)")
    trace = record_code(_write(tmp_path, source))
    assert "Loss inferred: cross_entropy, mean (your line 6 of losses.py computes it" in trace.scenario.description
    assert not _errors(trace)


SOFTMAX_REG = """
import numpy as np

np.random.seed(12)
N, D, C = 16, 3, 3
X = np.random.randn(N, D)
y = np.random.randint(0, C, size=N)
W = 0.01 * np.random.randn(D, C)
reg = 0.0
for it in range(3):
    scores = X.dot(W)
    probs = np.exp(scores)
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N + reg * np.sum(W * W)
    dscores = probs.copy()
    dscores[np.arange(N), y] -= 1
    dW = X.T.dot(dscores) / N
    dW += 2 * reg * W
    W -= 0.5 * dW
"""


def test_a_missing_mean_is_named_where_the_gradient_was_written_not_where_it_was_last_touched(tmp_path: Path) -> None:
    assert not _errors(record_code(_write(tmp_path, SOFTMAX_REG)))
    source = SOFTMAX_REG.replace("dW = X.T.dot(dscores) / N", "dW = X.T.dot(dscores)")
    trace = record_code(_write(tmp_path, source, "planted.py"), loss="cross_entropy", reduction="mean")
    assert [(i, line) for i, line, _m in _errors(trace)] == [("gradient-scale", _line(source, "dW = X.T.dot"))]


def test_a_transposed_gradient_is_named_where_it_was_written(tmp_path: Path) -> None:
    source = SOFTMAX_REG.replace("dW = X.T.dot(dscores) / N", "dW = dscores.T.dot(X) / N")
    trace = record_code(_write(tmp_path, source), loss="cross_entropy", reduction="mean")
    assert [(i, line) for i, line, _m in _errors(trace)] == [("transpose", _line(source, "dW = dscores.T"))]
