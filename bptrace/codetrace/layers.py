"""Layers, from the numbers: which forward arrays are f(z) of an earlier one, for which activation f."""

from __future__ import annotations

import bisect
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from bptrace.codetrace.runtime import Node
from bptrace.ops import ACTIVATIONS

_LAYER_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "softmax")
_AFFINE = frozenset({"add", "matmul", "dot"})


@dataclass
class Layer:
    z: int
    a: int
    activation: str


def node_parents(node: Node) -> list[int]:
    return [p for p in node.parents if isinstance(p, int)]


def layers_like(nodes: list[Node], cone: set[int], params: Collection[int], first: list[Layer],
                columns: bool) -> list[Layer]:
    """A later training step runs the same lines: check step 0's layers at the same sites first. ``cone``:
    the step's forward nodes; ``params``: the parameter versions it reads."""
    by_site: dict[int, list[int]] = {}
    for index in sorted(cone):
        by_site.setdefault(nodes[index].site, []).append(index)
    layers: list[Layer] = []
    feature_axis = 0 if columns else -1
    # Per-sample passes summed into one update run each layer's lines once per sample: pair them in order.
    kinds = dict.fromkeys((nodes[la.z].site, nodes[la.a].site, la.activation) for la in first)
    for z_site, a_site, activation in kinds:
        zs, as_ = by_site.get(z_site, []), by_site.get(a_site, [])
        if not zs:
            return find_layers(nodes, cone, params, columns)
        for z_index in zs:
            # Its activation: the next value made at the activation's line (a helper shared by layers
            # makes the others' too; the check below rejects a wrong pairing).
            after = bisect.bisect_right(as_, z_index)
            if after == len(as_):
                return find_layers(nodes, cone, params, columns)
            a_index = as_[after]
            z, a = (np.asarray(nodes[i].value) for i in (z_index, a_index))
            if z.shape != a.shape or _which_activation(z, a, feature_axis, (activation,)) is None:
                return find_layers(nodes, cone, params, columns)
            layers.append(Layer(z_index, a_index, activation))
    return sorted(layers, key=lambda la: la.a)


def find_layers(nodes: list[Node], cone: set[int], params: Collection[int], columns: bool) -> list[Layer]:
    layers: list[Layer] = []
    feature_axis = 0 if columns else -1
    for index in sorted(cone):
        a = np.asarray(nodes[index].value)
        if a.dtype.kind != "f" or index in params:
            continue
        found: Layer | None = None
        for z_index in _near_ancestors(nodes, index, cone):
            z = np.asarray(nodes[z_index].value)
            if z.shape != a.shape or np.allclose(z, a):
                continue
            name = _which_activation(z, a, feature_axis, (found.activation,) if found else _LAYER_ACTIVATIONS)
            if name:
                found = Layer(z_index, index, name)
                if nodes[z_index].op in _AFFINE or name != "softmax":
                    break  # softmax is shift-invariant: prefer Z itself to the shifted Z - max(Z)
        if found is not None:
            layers.append(found)
    # An activation composed of several ops (1/(1+exp(-z))) matches once, at its result. Saturated, its
    # inner ops can look like one too (exp(-z) ≈ σ(-z) when z ≫ 0): drop a match lying inside another's.
    inner = {la.z for la in layers}
    for la in layers:
        inner.update(n for n in _near_ancestors(nodes, la.a, cone) if la.z in _near_ancestors(nodes, n, cone))
    return [la for la in layers if la.a not in inner]


def _near_ancestors(nodes: list[Node], index: int, cone: set[int], depth: int = 6) -> list[int]:
    found: list[int] = []
    frontier = [index]
    for _ in range(depth):
        frontier = [p for i in frontier for p in node_parents(nodes[i]) if p in cone]
        found.extend(p for p in frontier if p not in found)
    return found


def _which_activation(
    z: np.ndarray, a: np.ndarray, feature_axis: int, names: tuple[str, ...] = _LAYER_ACTIVATIONS
) -> str | None:
    if a.size == 0:
        return None
    low, high = float(np.min(a)), float(np.max(a))
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    fits = {"sigmoid": 0 <= low and high <= 1, "tanh": -1 <= low and high <= 1, "relu": low >= 0,
            # Softmax over one unit is the constant 1: it fits any z, so it names no layer.
            "leaky_relu": True, "softmax": 0 <= low and high <= 1 and z.ndim > 0 and z.shape[feature_axis] > 1}
    # float32 code rounds each op at about 1e-7: its activations match at float32 precision.
    rtol = 1e-7 if min(_width(z), _width(a)) >= 8 else 2e-5
    with np.errstate(all="ignore"):
        for name in names:
            if not fits[name]:
                continue  # a range the activation cannot produce: no need to compute it
            expected = ACTIVATIONS[name].forward(z.astype(np.float64), feature_axis)
            if float(np.max(np.abs(expected - a))) <= 1e-12 + rtol * max(abs(low), abs(high)):
                return name
    return None


def _width(array: np.ndarray) -> int:
    return array.dtype.itemsize if array.dtype.kind == "f" else 8
