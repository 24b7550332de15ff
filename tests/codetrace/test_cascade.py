"""Findings that are the same mistake again, or its consequence, are not new errors (issue 11 point 7), and
each is named at the line that did it (point 6), in per-sample and per-record loops (point 3)."""

from __future__ import annotations

from pathlib import Path

from bptrace.codetrace import record_code
from bptrace.trace import Trace

# A softmax classifier under cross-entropy (mean); a large learning rate.
SOFTMAX = """\
import numpy as np

rng = np.random.RandomState(4)
N = 30
X = np.vstack([rng.randn(N // 2, 3) + 1.5, rng.randn(N // 2, 3) - 1.5])
y = np.array([0] * (N // 2) + [1] * (N // 2))
W = 0.01 * rng.randn(3, 2)
lr = 200.0

for it in range(20):
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[range(N), y])
    loss = np.sum(correct_logprobs) / N
    dscores = probs.copy()
    dscores[range(N), y] -= 1
    dscores /= N
    dW = X.T @ dscores
    W -= lr * dW
"""

# Per-sample backprop summed over a mini-batch, weights and biases as lists rebound by comprehensions.
PER_SAMPLE = """\
import numpy as np

rng = np.random.RandomState(2)
samples = [(rng.randn(3, 1), np.array([[float(i % 2)], [float((i + 1) % 2)]])) for i in range(8)]
Ws = [rng.randn(4, 3) * 0.5, rng.randn(2, 4) * 0.5]
bs = [np.zeros((4, 1)), np.zeros((2, 1))]


def sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def output_error(a, t):
    return a - t


def backward(x, t):
    a1 = sig(Ws[0] @ x + bs[0])
    z2 = Ws[1] @ a1 + bs[1]
    a2 = sig(z2)
    d2 = output_error(a2, t) * a2 * (1 - a2)
    d1 = (Ws[1].T @ d2) * a1 * (1 - a1)
    return [d1, d2], [d1 @ x.T, d2 @ a1.T]


for epoch in range(2):
    for start in range(0, 8, 4):
        batch = samples[start:start + 4]
        gb = [np.zeros(b.shape) for b in bs]
        gW = [np.zeros(W.shape) for W in Ws]
        for x, t in batch:
            db, dW = backward(x, t)
            gb = [g + d for g, d in zip(gb, db)]
            gW = [g + d for g, d in zip(gW, dW)]
        Ws = [W - 0.5 / len(batch) * g for W, g in zip(Ws, gW)]
        bs = [b - 0.5 / len(batch) * g for b, g in zip(bs, gb)]
"""

# One record at a time, the step's arrays accumulated in a function that is handed the hidden activation.
PER_RECORD = """\
import numpy as np

rng = np.random.RandomState(5)
features = rng.randn(10, 3)
targets = rng.randn(10)
w_ih = rng.normal(0.0, 0.5, (3, 4))
w_ho = rng.normal(0.0, 0.5, 4)


def squash(v):
    return 1 / (1 + np.exp(-v))


def output_delta(z, out, y):
    return out - y


def steps(x, y, hidden, out, acc_ih, acc_ho):
    err = output_delta(out, out, y)
    hidden_err = err * w_ho
    hidden_term = hidden_err * hidden * (1 - hidden)
    acc_ho += err * hidden
    acc_ih += hidden_term * x[:, None]
    return acc_ih, acc_ho


for epoch in range(3):
    acc_ih = np.zeros(w_ih.shape)
    acc_ho = np.zeros(w_ho.shape)
    for x, y in zip(features, targets):
        hidden = squash(np.dot(x, w_ih))
        out = np.dot(hidden, w_ho)
        acc_ih, acc_ho = steps(x, y, hidden, out, acc_ih, acc_ho)
    w_ih -= 0.3 * acc_ih / len(features)
    w_ho -= 0.3 * acc_ho / len(features)
"""

# The same with the hidden layer's σ′ in a helper.
PER_RECORD_HELPER = """\
import numpy as np

rng = np.random.RandomState(5)
features = rng.randn(10, 3)
targets = rng.randn(10)
w_ih = rng.normal(0.0, 0.5, (3, 4))
w_ho = rng.normal(0.0, 0.5, 4)


def squash(v):
    return 1 / (1 + np.exp(-v))


def output_delta(z, out, y):
    return out - y


def back(d, act):
    return d * act * (1 - act)


def steps(x, y, hidden, out, acc_ih, acc_ho):
    err = output_delta(out, out, y)
    hidden_err = err * w_ho
    hidden_term = back(hidden_err, hidden)
    acc_ho += err * hidden
    acc_ih += hidden_term * x[:, None]
    return acc_ih, acc_ho


for epoch in range(3):
    acc_ih = np.zeros(w_ih.shape)
    acc_ho = np.zeros(w_ho.shape)
    for x, y in zip(features, targets):
        hidden = squash(np.dot(x, w_ih))
        out = np.dot(hidden, w_ho)
        acc_ih, acc_ho = steps(x, y, hidden, out, acc_ih, acc_ho)
    w_ih -= 0.3 * acc_ih / len(features)
    w_ho -= 0.3 * acc_ho / len(features)
"""


def _run(tmp_path: Path, text: str, old: str = "", new: str = "", loss: str = "half_sse") -> tuple[Trace, str]:
    if old:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "learner.py"
    path.write_text(text, encoding="utf-8")
    return record_code(path, loss=loss, reduction="mean"), text


def _line(text: str, fragment: str) -> int:
    lines = [n for n, s in enumerate(text.splitlines(), 1) if fragment in s]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]


def _errors(trace: Trace) -> list[tuple[str, int | None]]:
    return [(f.id, f.line) for f in trace.findings if f.severity == "error"]


def test_a_run_diverging_after_a_wrong_update_is_that_updates_consequence(tmp_path: Path) -> None:
    trace, _ = _run(tmp_path, SOFTMAX, loss="cross_entropy")
    assert not trace.findings, trace.findings
    trace, text = _run(tmp_path, SOFTMAX, "W -= lr * dW", "W += lr * dW", loss="cross_entropy")
    assert _errors(trace) == [("update-sign", _line(text, "W += lr * dW"))], trace.findings
    assert "non-finite at line " + str(_line(text, "correct_logprobs = ")) in trace.findings[0].message


def test_a_helpers_output_gradient_named_as_delta_by_its_caller(tmp_path: Path) -> None:
    """``output_error(a, t)`` is ∂L/∂a as it should be; the caller that takes it for ∂L/∂z is the wrong line,
    named once (not again where the per-sample arrays are added up)."""
    trace, _ = _run(tmp_path, PER_SAMPLE)
    assert not trace.findings, trace.findings
    assert trace.train_steps == 4
    trace, text = _run(tmp_path, PER_SAMPLE, "d2 = output_error(a2, t) * a2 * (1 - a2)", "d2 = output_error(a2, t)")
    assert _errors(trace) == [("loss-output-mismatch", _line(text, "d2 = output_error(a2, t)"))], trace.findings


def test_a_helper_that_leaves_its_z_unread_is_the_wrong_line(tmp_path: Path) -> None:
    text = PER_SAMPLE.replace("def output_error(a, t):\n    return a - t",
                              "def output_error(z, a, t):\n    return (a - t) * sig(z) * (1 - sig(z))")
    text = text.replace("d2 = output_error(a2, t) * a2 * (1 - a2)", "d2 = output_error(z2, a2, t)")
    trace, _ = _run(tmp_path, text)
    assert not trace.findings, trace.findings
    trace, text = _run(tmp_path, text, "return (a - t) * sig(z) * (1 - sig(z))", "return a - t")
    assert _errors(trace) == [("loss-output-mismatch", _line(text, "return a - t"))], trace.findings


def test_one_samples_bias_gradient_summed_over_the_wrong_axis(tmp_path: Path) -> None:
    trace, text = _run(tmp_path, PER_SAMPLE, "return [d1, d2], ", "return [d1, np.sum(d2, axis=0)], ")
    assert _errors(trace) == [("bias-sum-axis", _line(text, "np.sum(d2, axis=0)"))], trace.findings


def test_a_derivative_applied_inline_to_an_activation_the_call_also_needs(tmp_path: Path) -> None:
    """``steps(x, y, hidden, …)`` is right to be handed the activation (it forms acc_ho from it): the line
    inside it that applies σ′'s z-form to it is the wrong one, not the call."""
    trace, _ = _run(tmp_path, PER_RECORD)
    assert not trace.findings, trace.findings
    trace, text = _run(tmp_path, PER_RECORD, "hidden_term = hidden_err * hidden * (1 - hidden)",
                       "hidden_term = hidden_err * squash(hidden) * (1 - squash(hidden))")
    assert _errors(trace) == [("derivative-on-activation", _line(text, "hidden_term = "))], trace.findings


def test_a_derivative_helper_handed_the_activation_is_named_at_the_call(tmp_path: Path) -> None:
    trace, _ = _run(tmp_path, PER_RECORD_HELPER)
    assert not trace.findings, trace.findings
    trace, text = _run(tmp_path, PER_RECORD_HELPER, "return d * act * (1 - act)",
                       "return d * squash(act) * (1 - squash(act))")
    assert _errors(trace) == [("derivative-on-activation", _line(text, "hidden_term = back("))], trace.findings


# The canonical mistake (the derivative helper handed Z1) with a large learning rate: the weights run away, and
# np.exp overflows in later training steps. That warning follows from the mistake as the non-finite values do.
RUN_AWAY = """\
import numpy as np

rng = np.random.RandomState(7)
X = rng.randn(4, 12)
Y = (X[:1] + X[1:2] > 0).astype(float)
W1 = 0.5 * rng.randn(5, 4)
W2 = 0.5 * rng.randn(1, 5)
rate = 40.0


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(a):
    return a * (1 - a)


for it in range(30):
    Z1 = W1 @ X
    A1 = sigmoid(Z1)
    Z2 = W2 @ A1
    A2 = sigmoid(Z2)
    loss = 0.5 * np.sum((A2 - Y) ** 2)
    dZ2 = (A2 - Y) * sigmoid_derivative(A2)
    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(Z1)
    W2 -= rate * dZ2 @ A1.T
    W1 -= rate * dZ1 @ X.T
"""


def test_a_warning_that_follows_from_an_earlier_wrong_step_is_said_in_its_finding(tmp_path: Path) -> None:
    path = tmp_path / "run_away.py"
    path.write_text(RUN_AWAY)
    trace = record_code(path, loss="half_sse", reduction="sum")
    assert [(f.id, f.line) for f in trace.findings] == [
        ("derivative-on-preactivation", RUN_AWAY.splitlines().index(
            "    dZ1 = (W2.T @ dZ2) * sigmoid_derivative(Z1)") + 1)]
    message = trace.findings[0].message
    assert "exp-overflow at line 12" in message and "non-finite" in message
    # Without the mistake nothing is wrong and nothing is dropped: the warning was the mistake's alone.
    fixed = tmp_path / "fixed.py"
    fixed.write_text(RUN_AWAY.replace("sigmoid_derivative(Z1)", "sigmoid_derivative(A1)"))
    assert record_code(fixed, loss="half_sse", reduction="sum").findings == ()
