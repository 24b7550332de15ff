"""bptrace's own reverse-mode pass over the learner's recorded forward ops.

Each rule is the vector-Jacobian product of one NumPy operation, written from
its definition (not from the learner's code), so the truth never repeats the
learner's derivation. Ties of max/maximum get no gradient, matching relu′(0) = 0.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from bptrace.codetrace.runtime import Const, Node

Grad = np.ndarray


class Unsupported(Exception):
    """An op in the forward pass with no rule here: the truth cannot be derived."""

    def __init__(self, node: Node) -> None:
        super().__init__(node.op)
        self.node = node


def _val(parent: int | Const, nodes: list[Node]) -> Any:
    return parent.value if isinstance(parent, Const) else nodes[parent].value


def unbroadcast(g: Grad, shape: tuple[int, ...]) -> Grad:
    """Sum a gradient back down to the shape of the operand that numpy broadcast."""
    g = np.asarray(g, dtype=np.float64)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g.reshape(shape)


def broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Does NumPy broadcast an operand of ``shape`` to ``target`` (each of its axes, aligned at the end, 1 or
    the same)? Then ``unbroadcast`` of a gradient of ``target``'s shape is exact."""
    return len(shape) <= len(target) and all(n in (1, m) for n, m in zip(shape, target[len(target) - len(shape):],
                                                                        strict=True))


def _axis_keep(node: Node, values: list[Any]) -> tuple[Any, bool]:
    axis = node.kwargs.get("axis")
    if axis is None and len(values) > 1:
        axis = values[1]
    return axis, bool(node.kwargs.get("keepdims", False))


def _expand(g: Grad, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Grad:
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape) if shape else np.asarray(g)


def _matmul(g: Grad, a: Any, b: Any, need: tuple[bool, bool]) -> list[Grad | None]:
    """``a @ b`` (np.matmul rules: 1-D operands promoted, batch axes broadcast). Only the wanted sides: the
    product with the data X (784×batch) would be wasted work."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim == 0 or b.ndim == 0 or (a.ndim == 1 and b.ndim == 1):  # a product, or an inner product
        return [g * b if need[0] else None, g * a if need[1] else None]
    # One sample's x (n,) is a (1, n) row on the left and an (n, 1) column on the right; the gradient gets
    # the axis the product dropped.
    a2 = a[np.newaxis, :] if a.ndim == 1 else a
    b2 = b[:, np.newaxis] if b.ndim == 1 else b
    g2 = np.asarray(g, dtype=np.float64)
    if a.ndim == 1:
        g2 = np.expand_dims(g2, -2)
    if b.ndim == 1:
        g2 = np.expand_dims(g2, -1)
    parts = (lambda: unbroadcast(g2 @ np.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape),
             lambda: unbroadcast(np.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape))
    return [part() if wanted else None for part, wanted in zip(parts, need, strict=True)]


def _dot(g: Grad, a: Any, b: Any, need: tuple[bool, bool]) -> list[Grad | None]:
    """``np.dot(a, b)``: matmul up to two dimensions; beyond, a sum over a's last axis and b's second to last
    (b's only one if 1-D), every other axis of both kept: out = a.shape[:-1] + b.shape[:-2] + b.shape[-1:]."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if (a.ndim <= 2 and b.ndim <= 2) or a.ndim == 0 or b.ndim == 0:
        return _matmul(g, a, b, need)
    k = a.shape[-1]
    a2 = a.reshape(-1, k)
    bk = np.moveaxis(b, -2, 0) if b.ndim >= 2 else b  # (k, …b's other axes)
    b2 = bk.reshape(k, -1)
    g2 = np.asarray(g, dtype=np.float64).reshape(a2.shape[0], b2.shape[1])
    parts = (lambda: (g2 @ b2.T).reshape(a.shape),
             lambda: np.moveaxis((a2.T @ g2).reshape(bk.shape), 0, -2) if b.ndim >= 2 else (a2.T @ g2).reshape(b.shape))
    return [part() if wanted else None for part, wanted in zip(parts, need, strict=True)]


def _max_mask(x: np.ndarray, axis: Any) -> np.ndarray:
    top = np.max(x, axis=axis, keepdims=True)
    mask = (x == top).astype(np.float64)
    return mask / mask.sum(axis=axis, keepdims=True)


# Each rule: (node, upstream gradient, operand values, which operands need one) -> gradient per operand.
Rule = Callable[[Node, Grad, list[Any], Any], list[Grad | None]]

_ELEMENTWISE: dict[str, Callable[[Node, Grad, list[Any]], Grad]] = {
    "negative": lambda n, g, v: -g,
    "positive": lambda n, g, v: g,
    "exp": lambda n, g, v: g * n.value,
    "log": lambda n, g, v: g / v[0],
    "tanh": lambda n, g, v: g * (1.0 - n.value**2),
    "sqrt": lambda n, g, v: g * 0.5 / n.value,
    "abs": lambda n, g, v: g * np.sign(v[0]),
    "absolute": lambda n, g, v: g * np.sign(v[0]),
    "square": lambda n, g, v: g * 2.0 * v[0],
    "reciprocal": lambda n, g, v: -g / np.square(v[0]),
    "expit": lambda n, g, v: g * n.value * (1.0 - n.value),
    "copy": lambda n, g, v: g,
    "astype": lambda n, g, v: g,
    "array": lambda n, g, v: g,
    "asarray": lambda n, g, v: g,
    "clip": lambda n, g, v: g * ((v[0] >= _lo(n, v)) & (v[0] <= _hi(n, v))),
}


def _lo(node: Node, values: list[Any]) -> Any:
    return node.kwargs.get("a_min", node.kwargs.get("min", values[1] if len(values) > 1 else None))


def _hi(node: Node, values: list[Any]) -> Any:
    return node.kwargs.get("a_max", node.kwargs.get("max", values[2] if len(values) > 2 else None))


def _rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {
        "add": lambda n, g, v, ns: [g, g],
        "subtract": lambda n, g, v, ns: [g, -g],
        "multiply": lambda n, g, v, ns: [g * v[1], g * v[0]],
        "divide": lambda n, g, v, ns: [g / v[1], -g * v[0] / np.square(v[1])],
        "true_divide": lambda n, g, v, ns: [g / v[1], -g * v[0] / np.square(v[1])],
        "power": lambda n, g, v, ns: [
            g * v[1] * np.power(v[0], v[1] - 1),
            g * np.log(np.where(v[0] > 0, v[0], 1.0)) * n.value,
        ],
        "matmul": lambda n, g, v, ns: _matmul(g, v[0], v[1], ns),
        "dot": lambda n, g, v, ns: _dot(g, v[0], v[1], ns),
        "transpose": lambda n, g, v, ns: [np.transpose(g)],
        "maximum": lambda n, g, v, ns: [g * (v[0] > v[1]), g * (v[1] > v[0])],
        "minimum": lambda n, g, v, ns: [g * (v[0] < v[1]), g * (v[1] < v[0])],
        "where": lambda n, g, v, ns: [None, g * np.asarray(v[0], bool), g * ~np.asarray(v[0], bool)],
        "getitem": lambda n, g, v, ns: [_scatter(np.shape(v[0]), v[1], g)],
        "setitem": lambda n, g, v, ns: [_zero_at(g, v[1]), g[v[1]]],
    }
    for name in ("sum", "mean", "max", "amax"):
        rules[name] = _reduction(name)
    for name in ("reshape", "ravel", "flatten", "squeeze", "expand_dims", "atleast_2d"):
        rules[name] = lambda n, g, v, ns: [np.reshape(g, np.shape(v[0]))]
    for name, local in _ELEMENTWISE.items():
        rules[name] = lambda n, g, v, ns, local=local: [local(n, g, v)]
    return rules


def _reduction(name: str) -> Rule:
    def rule(node: Node, g: Grad, values: list[Any], _need: Any) -> list[Grad | None]:
        x = np.asarray(values[0], dtype=np.float64)
        axis, keepdims = _axis_keep(node, values)
        spread = _expand(np.asarray(g), x.shape, axis, keepdims)
        if name == "mean":
            spread = spread * (np.size(np.asarray(g)) / max(x.size, 1))
        elif name in ("max", "amax"):
            spread = spread * _max_mask(x, axis)
        return [np.array(spread, dtype=np.float64)]

    return rule


def _scatter(shape: tuple[int, ...], index: Any, g: Grad) -> Grad:
    out = np.zeros(shape)
    np.add.at(out, index, g)
    return out


def _zero_at(g: Grad, index: Any) -> Grad:
    out = np.array(g, dtype=np.float64)
    out[index] = 0.0
    return out


RULES = _rules()
NO_GRADIENT = frozenset({"greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "sign"})


def reverse_from(nodes: list[Node], cone: Iterable[int], seeds: dict[int, Grad]) -> dict[int, Grad]:
    """∂L/∂n for every node n of ``cone`` (the nodes the outputs depend on), from ∂L/∂output of each seeded
    output (one per sample when per-sample losses are summed)."""
    members = set(cone)
    grads: dict[int, Grad] = {output: np.asarray(seed, dtype=np.float64) for output, seed in seeds.items()}
    # One error state for the whole pass (entering it costs as much as a small op): a rule's overflow or 0/0
    # is the truth's own business (its NaN/inf gives no verdict), never a warning.
    with np.errstate(all="ignore"):
        for index in sorted(members, reverse=True):
            g = grads.get(index)
            node = nodes[index]
            if g is None:
                continue
            need = tuple(isinstance(p, int) and p in members for p in node.parents)
            if not any(need) or node.op in NO_GRADIENT:
                continue
            rule = RULES.get(node.op)
            if rule is None:
                raise Unsupported(node)
            values = [_val(p, nodes) for p in node.parents]
            parts = rule(node, g, values, need)
            for parent, part, wanted in zip(node.parents, parts, need, strict=False):
                if part is None or not wanted:
                    continue
                part = unbroadcast(part, np.shape(nodes[parent].value))  # type: ignore[index]
                grads[parent] = grads[parent] + part if parent in grads else part  # type: ignore[index]
    return grads
