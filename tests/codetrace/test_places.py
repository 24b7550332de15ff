"""Where a finding is named (issue 11, points 6 and 7): the line that computed the wrong value, in the file
where it ran; an argument mistake where the array was handed over; each mistake once, no consequences."""

from __future__ import annotations

from pathlib import Path

from bptrace.codetrace import record_code

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# A layer-class network spread over two modules: the derivative helper and the loss gradient live in
# helpers.py, the layers call them from main.py (per-sample SGD, the update inside backward).
HELPERS = """\
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_prime(x):
    s = sigmoid(x)
    return s * (1 - s)


def mse_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / y_true.size
"""

MAIN = """\
import numpy as np

from helpers import mse_prime, sigmoid, sigmoid_prime


class Dense:
    def __init__(self, n_in, n_out):
        self.w = np.random.rand(n_in, n_out) - 0.5

    def forward(self, x):
        self.x = x
        return np.dot(x, self.w)

    def backward(self, grad, lr):
        grad_x = np.dot(grad, self.w.T)
        self.w -= lr * np.dot(self.x.T, grad)
        return grad_x


class Sigmoid:
    def forward(self, x):
        self.z = x
        self.a = sigmoid(x)
        return self.a

    def backward(self, grad, lr):
        return sigmoid_prime(self.z) * grad


np.random.seed(0)
layers = [Dense(2, 3), Sigmoid(), Dense(3, 1), Sigmoid()]
X = np.array([[[0.0, 1.0]], [[1.0, 0.0]], [[1.0, 1.0]]])
Y = np.array([[[1.0]], [[1.0]], [[0.0]]])
for epoch in range(2):
    for j in range(len(X)):
        out = X[j]
        for layer in layers:
            out = layer.forward(out)
        grad = mse_prime(Y[j], out)
        for layer in reversed(layers):
            grad = layer.backward(grad, 0.5)
"""


def _modules(tmp_path: Path, helpers: str = HELPERS, main: str = MAIN) -> Path:
    (tmp_path / "helpers.py").write_text(helpers)
    (tmp_path / "main.py").write_text(main)
    return tmp_path / "main.py"


def _line(text: str, fragment: str) -> int:
    lines = [n for n, s in enumerate(text.splitlines(), 1) if fragment in s]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


def _errors(path: Path, loss: str = "mse", reduction: str = "mean") -> list[tuple[str, str | None, int | None]]:
    trace = record_code(path, loss=loss, reduction=reduction)
    return [(f.id, f.file, f.line) for f in trace.findings if f.severity == "error"]


def test_the_correct_multi_module_network_checks_clean(tmp_path: Path) -> None:
    assert _errors(_modules(tmp_path)) == []


def test_a_wrong_helper_body_is_named_in_the_helper_module(tmp_path: Path) -> None:
    helpers = HELPERS.replace("return s * (1 - s)", "return s * (1 + s)")
    errors = _errors(_modules(tmp_path, helpers=helpers))
    assert errors == [("gradient-mismatch", "helpers.py", _line(helpers, "return s * (1 + s)"))]


def test_the_wrong_argument_is_named_at_the_call_that_passed_it(tmp_path: Path) -> None:
    main = MAIN.replace("return sigmoid_prime(self.z) * grad", "return sigmoid_prime(self.a) * grad")
    errors = _errors(_modules(tmp_path, main=main))
    assert errors == [("derivative-on-activation", "main.py", _line(main, "sigmoid_prime(self.a) * grad"))]


def test_a_wrong_value_inside_a_method_is_named_there_not_at_its_call(tmp_path: Path) -> None:
    main = MAIN.replace("grad_x = np.dot(grad, self.w.T)", "grad_x = np.dot(grad, self.w)")
    main = main.replace("Dense(3, 1)", "Dense(3, 3)").replace("Dense(2, 3)", "Dense(3, 3)")
    main = main.replace(
        "[[0.0, 1.0]], [[1.0, 0.0]], [[1.0, 1.0]]", "[[0.0, 1.0, 0.5]], [[1.0, 0.0, 0.2]], [[1.0, 1.0, 0.9]]"
    )
    main = main.replace("[[[1.0]], [[1.0]], [[0.0]]]", "[[[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]], [[0.0, 0.0, 1.0]]]")
    errors = _errors(_modules(tmp_path, main=main))
    assert errors == [("transpose", "main.py", _line(main, "grad_x = np.dot(grad, self.w)"))]


def test_a_cache_filled_with_the_activation_is_named_where_it_was_filled(tmp_path: Path) -> None:
    text = (FIXTURES / "cache_dicts.py").read_text()
    buggy = text.replace(
        "    A = 1 / (1 + np.exp(-Z))\n    return A, Z",
        "    A = 1 / (1 + np.exp(-Z))\n    cache = A\n    return A, cache",
    )
    assert buggy != text
    path = tmp_path / "buggy.py"
    path.write_text(buggy)
    assert _errors(path, "bce", "mean") == [("derivative-on-activation", "buggy.py", _line(buggy, "cache = A"))]


def test_an_output_gradient_used_right_once_and_wrong_once_is_named_at_the_wrong_use(tmp_path: Path) -> None:
    text = (FIXTURES / "functions_columns.py").read_text()
    assert "dZ2 = (A2 - Y) / m" in text
    # ∂L/∂A2 (bce, sigmoid) kept as dA2, turned into dZ2 right for the rest, used raw for the weights.
    buggy = text.replace("dZ2 = (A2 - Y) / m", "dA2 = (A2 - Y) / (A2 * (1 - A2)) / m\n    dZ2 = dA2 * A2 * (1 - A2)")
    buggy = buggy.replace("dW2 = np.dot(dZ2, A1.T)", "dW2 = np.dot(dA2, A1.T)")
    assert buggy.count("np.dot(dA2, A1.T)") == 1
    path = tmp_path / "buggy.py"
    path.write_text(buggy)
    assert _errors(path, "bce", "mean") == [("loss-output-mismatch", "buggy.py", _line(buggy, "np.dot(dA2, A1.T)"))]


def test_an_output_delta_already_through_the_sigmoid_is_named_where_it_was_computed(tmp_path: Path) -> None:
    text = (FIXTURES / "cache_dicts.py").read_text()
    buggy = text.replace("dA2 = -(np.divide(Y, A2) - np.divide(1 - Y, 1 - A2))", "dA2 = A2 - Y")
    assert buggy != text
    path = tmp_path / "buggy.py"
    path.write_text(buggy)
    assert _errors(path, "bce", "mean") == [("loss-output-mismatch", "buggy.py", _line(buggy, "dA2 = A2 - Y"))]


WARMUP = """\
import numpy as np


def dense_backward(grad, inputs, weights):
    return inputs.T.dot(grad), grad.dot(weights.T)


np.random.seed(0)
x = np.random.randn(8, 3)
y = np.random.randn(8, 2)
w1 = np.random.randn(3, 4)
w2 = np.random.randn(4, 2)
for t in range(3):
    h = x.dot(w1)
    h_relu = np.maximum(h, 0)
    y_pred = h_relu.dot(w2)
    loss = np.square(y_pred - y).sum()
    grad_y_pred = 2.0 * (y_pred - y)
    grad_w2, grad_h_relu = dense_backward(grad_y_pred, h_relu, w2)
    grad_h = grad_h_relu.copy()
    grad_h[h < 0] = 0
    grad_w1, _ = dense_backward(grad_h, x, w1)
    w1 -= 1e-3 * grad_w1
    w2 -= 1e-3 * grad_w2
"""


def _warmup(tmp_path: Path, old: str = "", new: str = "") -> tuple[Path, str]:
    text = WARMUP.replace(old, new) if old else WARMUP
    assert not old or text != WARMUP
    path = tmp_path / "warmup.py"
    path.write_text(text)
    return path, text


def test_the_warmup_checks_clean(tmp_path: Path) -> None:
    assert _errors(_warmup(tmp_path)[0], "sse", "sum") == []


def test_a_derivative_at_a_linear_output_is_a_loss_output_mismatch(tmp_path: Path) -> None:
    path, text = _warmup(
        tmp_path, "grad_y_pred = 2.0 * (y_pred - y)", "grad_y_pred = 2.0 * (y_pred - y) * (y_pred > 0)"
    )
    assert _errors(path, "sse", "sum") == [("loss-output-mismatch", "warmup.py", _line(text, "(y_pred > 0)"))]


def test_an_activation_gradient_handed_to_a_helper_that_needs_dz_is_named_at_the_call(tmp_path: Path) -> None:
    path, text = _warmup(tmp_path, "dense_backward(grad_h, x, w1)", "dense_backward(grad_h_relu, x, w1)")
    assert _errors(path, "sse", "sum") == [
        ("gradient-mismatch", "warmup.py", _line(text, "dense_backward(grad_h_relu, x"))
    ]
