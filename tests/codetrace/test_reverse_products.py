"""The reverse pass's rules for ``@``/``np.matmul`` and ``np.dot`` against central finite differences.

Every operand rank a learner's code can hand them: one sample's 1-D ``x`` (a per-record loop), matrices,
stacks of matrices (np.matmul broadcasts them; np.dot sums over a's last axis and b's second to last).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.codetrace.reverse import RULES, broadcasts_to, unbroadcast
from bptrace.codetrace.runtime import Node

_SHAPES = {0: [()], 1: [(3,)], 2: [(3, 3), (1, 3), (3, 1), (2, 3)], 3: [(2, 3, 3), (1, 3, 2)]}
_OPS = {"matmul": np.matmul, "dot": np.dot}


def _cases() -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    cases = []
    for name, op in _OPS.items():
        for ra, rb in itertools.product(_SHAPES, repeat=2):
            for sa, sb in itertools.product(_SHAPES[ra], _SHAPES[rb]):
                try:
                    op(np.ones(sa), np.ones(sb))
                except ValueError:
                    continue  # numpy itself refuses these shapes
                cases.append((name, sa, sb))
    return cases


def _numeric(op, a: np.ndarray, b: np.ndarray, g: np.ndarray, side: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """∂⟨g, op(a, b)⟩/∂(a or b) by central differences, in float64."""
    x = (a if side == 0 else b).astype(np.float64)
    out = np.zeros(x.shape)
    h = 1e-6
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        fu = op(up, b) if side == 0 else op(a, up)
        fd = op(down, b) if side == 0 else op(a, down)
        out[i] = float(np.sum((fu - fd) * g)) / (2 * h)
    return out


@pytest.mark.parametrize(("name", "sa", "sb"), _cases(), ids=lambda v: str(v))
def test_product_rules_match_finite_differences(name: str, sa: tuple[int, ...], sb: tuple[int, ...]) -> None:
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    op = _OPS[name]
    value = op(a, b)
    g = rng.standard_normal(np.shape(value))
    node = Node(index=2, op=name, parents=(0, 1), value=value, site=-1)
    parts = RULES[name](node, g, [a, b], (True, True))
    for side, part in enumerate(parts):
        assert part is not None
        got = unbroadcast(part, (a, b)[side].shape)
        np.testing.assert_allclose(got, _numeric(op, a, b, g, side), atol=1e-6, err_msg=f"side {side}")


_BIAS_SHAPES = [(), (1,), (3,), (4,), (1, 3), (3, 1), (4, 1), (1, 1), (2, 4, 3), (1, 4, 3)]


@pytest.mark.parametrize("shape", _BIAS_SHAPES, ids=str)
@pytest.mark.parametrize("target", [(4, 3), (3,), (2, 4, 3)], ids=str)
def test_broadcasts_to_agrees_with_numpy_and_unbroadcast_sums_the_broadcast_axes(
        shape: tuple[int, ...], target: tuple[int, ...]) -> None:
    try:
        fits = np.broadcast_shapes(shape, target) == target
    except ValueError:
        fits = False
    assert broadcasts_to(shape, target) == fits
    if fits:
        # ⟨g, broadcast(b)⟩ is linear in b: its gradient, by central differences, is what unbroadcast gives.
        g = np.random.default_rng(3).standard_normal(target)
        b = np.zeros(shape)
        numeric = np.zeros(shape)
        for i in np.ndindex(shape):
            up, down = b.copy(), b.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            numeric[i] = (np.sum(g * np.broadcast_to(up, target)) - np.sum(g * np.broadcast_to(down, target))) / 2e-6
        np.testing.assert_allclose(unbroadcast(g, shape), numeric, atol=1e-6)


def test_only_the_wanted_side_is_computed() -> None:
    a, b = np.ones((3,)), np.ones((3, 2))
    node = Node(index=2, op="dot", parents=(0, 1), value=a @ b, site=-1)
    parts = RULES["dot"](node, np.ones(2), [a, b], (False, True))
    assert parts[0] is None and parts[1] is not None


_PER_RECORD = """\
import numpy as np

np.random.seed(0)
X = np.random.randn(8, 3)
Y = (X[:, 0] > 0).astype(float)
W1 = np.random.randn(3, 4) * 0.5
W2 = np.random.randn(4) * 0.5


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


for epoch in range(3):
    dW1 = np.zeros_like(W1)
    dW2 = np.zeros_like(W2)
    for x, y in zip(X, Y):
        h = sigmoid(np.dot(x, W1))
        out = sigmoid(h @ W2)
        d_out = (out - y) * out * (1 - out)
        dW2 += d_out * h
        d_h = np.dot(d_out, W2) * h * (1 - h)
        dW1 += np.outer(x, d_h)
    W1 -= 0.5 * dW1 / len(X)
    W2 -= 0.5 * dW2 / len(X)
"""


def test_a_per_record_loop_over_one_dimensional_samples(tmp_path: Path) -> None:
    """``for x, y in zip(X, Y)`` with x of shape (n,): the truth of an epoch's update is the gradient of the
    mean half-SSE over the records, written out here and differenced numerically."""
    path = tmp_path / "per_record.py"
    path.write_text(_PER_RECORD, encoding="utf-8")
    trace = record_code(path, loss="half_sse", reduction="mean")
    assert not [f for f in trace.findings if f.severity == "error"], trace.findings
    assert trace.train_steps == 3
    rng = np.random.RandomState(0)
    X = rng.randn(8, 3)
    Y = (X[:, 0] > 0).astype(float)
    W1, W2 = rng.randn(3, 4) * 0.5, rng.randn(4) * 0.5

    def loss(w1: np.ndarray, w2: np.ndarray) -> float:
        out = 1 / (1 + np.exp(-(1 / (1 + np.exp(-(X @ w1)))) @ w2))
        return float(np.mean(0.5 * (out - Y) ** 2))

    for name, param in (("W1", W1), ("W2", W2)):
        numeric = np.zeros(param.shape)
        for i in np.ndindex(param.shape):
            up, down = param.copy(), param.copy()
            up[i] += 1e-6
            down[i] -= 1e-6
            args_up = (up, W2) if name == "W1" else (W1, up)
            args_down = (down, W2) if name == "W1" else (W1, down)
            numeric[i] = (loss(*args_up) - loss(*args_down)) / 2e-6
        np.testing.assert_allclose(trace.reference_gradients[0][name], numeric, rtol=1e-5, atol=1e-9)
