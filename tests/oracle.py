"""An independent float64 model of the same networks, for checking bptrace against.

Nothing here imports bptrace's ops or recorder: activations and losses are
written again, plainly, so a mistake in bptrace cannot hide in its own oracle.
"""

from __future__ import annotations

import numpy as np


def activate(name: str, z: np.ndarray, feature_axis: int) -> np.ndarray:
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "tanh":
        return np.tanh(z)
    if name == "softplus":
        return np.log1p(np.exp(z))
    if name == "linear":
        return z
    if name == "softmax":
        e = np.exp(z - np.max(z, axis=feature_axis, keepdims=True))
        return e / np.sum(e, axis=feature_axis, keepdims=True)
    raise ValueError(name)


def loss_value(
    params: dict[str, np.ndarray],
    X: np.ndarray,
    Y: np.ndarray,
    activations: list[str],
    loss: str,
    reduction: str,
    layout: str,
) -> float:
    columns = layout == "columns"
    feature_axis = 0 if columns else 1
    A = X
    for number, name in enumerate(activations, start=1):
        W, b = params[f"W{number}"], params[f"b{number}"]
        Z = W @ A + b if columns else A @ W + b
        A = activate(name, Z, feature_axis)
    if loss == "half_sse":
        per = 0.5 * np.sum((A - Y) ** 2, axis=feature_axis)
    elif loss == "sse":
        per = np.sum((A - Y) ** 2, axis=feature_axis)
    elif loss == "mse":
        per = np.mean((A - Y) ** 2, axis=feature_axis)
    elif loss == "bce":
        per = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A), axis=feature_axis)
    elif loss == "cross_entropy":
        per = -np.sum(Y * np.log(A), axis=feature_axis)
    else:
        raise ValueError(loss)
    return float(np.sum(per) / (per.size if reduction == "mean" else 1))


def finite_difference_gradients(params: dict[str, np.ndarray], f, h: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of ``f(params)`` for every entry of every parameter."""
    grads = {}
    for name, value in params.items():
        grad = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = {k: v.copy() for k, v in params.items()}
            shifted[name][index] = value[index] + h
            up = f(shifted)
            shifted[name][index] = value[index] - h
            down = f(shifted)
            grad[index] = (up - down) / (2 * h)
        grads[name] = grad
    return grads
