"""Targets given as integer class labels: ``probs[range(N), y]``, ``dscores[range(N), y] -= 1``.

Such targets never meet the output as an array: the labels sit inside an index (the recorder keeps
an index as a ``Const``), so no elementwise ``A - Y`` shows where the loss starts. A pick of the
output (or of an elementwise function of it, ``log(probs)``, ``clip(probs, …)``) by one label per
sample is recognised here, from the index's numbers: one component enumerates the samples
(``range(N)``, ``np.arange(N)``), the other holds one class per sample. The one-hot targets are then
built in the output's own shape by writing 1 at the learner's own index, so they follow the layout
(``probs[y, range(N)]`` for columns) without guessing it.

The ops that mix the labels in (the pick of the loss, the ``-= 1`` at the labels of the backward
pass) seed the gradient-carrying set, as ``A - Y`` does for array targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bptrace.codetrace.flow import StepInfo, unwrap_loss
from bptrace.codetrace.layers import node_parents
from bptrace.codetrace.runtime import Const, Node

_PICKS = frozenset({"getitem", "setitem"})
COPIES = frozenset({"copy", "astype", "array", "asarray"})


@dataclass(frozen=True)
class Labels:
    """One training step's integer labels, as the learner's code uses them."""

    pick: int  # the first op that picks the output at the labels: where the loss starts
    output: int  # the network's output (probabilities)
    target: int  # the label array's node, else the pick itself (there is then no array to name)
    onehot: np.ndarray  # the targets in the output's shape
    classes: np.ndarray  # the labels, one per sample


def label_index(index: Any, shape: tuple[int, ...]) -> tuple[int, np.ndarray] | None:
    """(sample axis, labels) when ``index`` picks one entry per sample of an array of ``shape``:
    ``(range(N), y)`` or ``(y, range(N))`` for a 2-D array, one class number for a 1-D one (one sample)."""
    if len(shape) == 1:
        if isinstance(index, bool) or not isinstance(index, int | np.integer):
            return None
        return (0, np.array([int(index)])) if 0 <= int(index) < shape[0] and shape[0] > 1 else None
    if len(shape) != 2 or not isinstance(index, tuple) or len(index) != 2:
        return None
    for sample_axis in (0, 1):
        samples, classes = index[sample_axis], index[1 - sample_axis]
        n, k = shape[sample_axis], shape[1 - sample_axis]
        if k < 2 or not _enumerates(samples, n):
            continue
        labels = _integers(classes)
        if (
            labels is not None
            and labels.shape == (n,)
            and (labels.size == 0 or (labels.min() >= 0 and labels.max() < k))
        ):
            return sample_axis, labels
    return None


def _enumerates(part: Any, n: int) -> bool:
    """``range(N)`` / ``np.arange(N)``: every sample once, in order."""
    if isinstance(part, range):
        return part == range(n)
    values = _integers(part)
    return values is not None and values.shape == (n,) and bool(np.array_equal(values, np.arange(n)))


def _integers(part: Any) -> np.ndarray | None:
    if isinstance(part, range):
        return np.arange(part.start, part.stop, part.step)
    if isinstance(part, list | tuple) and all(
        isinstance(v, int | np.integer) and not isinstance(v, bool) for v in part
    ):
        return np.asarray(part, dtype=np.int64)
    if isinstance(part, np.ndarray) and part.ndim == 1 and part.dtype.kind in "iu":
        return part
    return None


def _probabilities(value: np.ndarray, sample_axis: int) -> bool:
    """Integer labels pick a probability per sample (softmax + cross-entropy): nothing else here is a loss
    bptrace knows, and a hinge loss's scores (``scores[range(N), y]``) must not be judged as one."""
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 1:
        return bool((value >= 0).all() and np.isclose(value.sum(), 1.0, atol=1e-4))
    return bool((value >= 0).all() and np.allclose(value.sum(axis=1 - sample_axis), 1.0, atol=1e-4))


def find_labels(nodes: list[Node], root: dict[int, int], step: StepInfo, pdep: set[int],
                first: StepInfo | None) -> Labels | None:
    """The step's first pick of the output at integer labels (step ``first``'s line first: a training loop
    runs the same lines every step). ``root``: parameter version -> lineage root."""
    # A pick (`probs[range(N), y]`), or a write at the labels when the code computes no loss value
    # (`dZ[range(N), y] -= 1` on a copy of the output: the subscript it reads is not recorded apart).
    candidates = [n for n in nodes[step.start : step.end] if n.op in _PICKS]
    if first is not None and first is not step and first.first_loss_op is not None:
        site = nodes[first.first_loss_op].site
        candidates = [n for n in candidates if n.site == site] + candidates
    for node in candidates:
        array = node.parents[0] if node.parents else None
        if not isinstance(array, int) or array not in pdep or len(node.parents) != (2 if node.op == "getitem" else 3):
            continue
        index = node.parents[1]
        if not isinstance(index, Const):
            continue
        shape = np.shape(nodes[array].value)
        found = label_index(index.value, shape)
        if found is None:
            continue
        output = _unwrap(nodes, root, array, pdep)
        sample_axis, classes = found
        if np.shape(nodes[output].value) != shape or not _probabilities(nodes[output].value, sample_axis):
            continue
        onehot = np.zeros(shape)
        onehot[index.value] = 1.0
        return Labels(node.index, output, _label_node(nodes, node.index, index.value, classes), onehot, classes)
    return None


def hinted_labels(nodes: list[Node], root: dict[int, int], chosen: tuple[int, int, int],
                  pdep: set[int]) -> Labels | None:
    """``# bptrace: output=probs targets=y`` naming integer labels: one class per sample of a 2-D output."""
    pick, output, target = chosen
    labels, out = np.asarray(nodes[target].value), np.shape(nodes[output].value)
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(out) != 2 or labels.size == np.prod(out):
        return None
    output = _unwrap(nodes, root, output, pdep)
    for sample_axis in (0, 1):  # rows first when samples and classes are as many
        index = (np.arange(labels.size), labels) if sample_axis == 0 else (labels, np.arange(labels.size))
        if out[sample_axis] == labels.size and label_index(index, out) is not None \
                and _probabilities(nodes[output].value, sample_axis):
            onehot = np.zeros(out)
            onehot[index] = 1.0
            return Labels(pick, output, target, onehot, labels)
    return None


def _unwrap(nodes: list[Node], root: dict[int, int], index: int, pdep: set[int]) -> int:
    """The probabilities within ``log(probs)``, ``clip(probs, …)``, ``probs.copy()``."""
    while True:
        node = nodes[unwrap_loss(nodes, root, index, pdep)]
        inner = node_parents(node)
        if node.op not in COPIES or len(inner) != 1 or inner[0] not in pdep or inner[0] in root \
                or np.shape(nodes[inner[0]].value) != np.shape(node.value):
            return node.index
        index = inner[0]


def _label_node(nodes: list[Node], before: int, index: Any, classes: np.ndarray) -> int:
    """The node holding the label array itself (for its name), else the pick."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [p for p in parts if isinstance(p, np.ndarray) and p.ndim == 1 and np.array_equal(p, classes)]
    for node in reversed(nodes[:before]):
        if any(node.value is a for a in arrays):
            return node.index
    return before


def labels_ydep(nodes: list[Node], root: dict[int, int], pdep: set[int], step: StepInfo, labels: Labels) -> set[int]:
    """The gradient-carrying nodes: every pick or write at the labels of a value computed from the
    parameters (``pdep``), and what is computed from those (an updated parameter is a fresh start)."""
    ydep: set[int] = set()
    for node in nodes[step.start : step.end]:
        if node.index in root:
            continue
        if any(p in ydep for p in node_parents(node)) or _mixes_labels(nodes, node, labels.classes, pdep):
            ydep.add(node.index)
    return ydep


def _mixes_labels(nodes: list[Node], node: Node, classes: np.ndarray, pdep: set[int]) -> bool:
    if node.op not in _PICKS or len(node.parents) < 2:
        return False
    array, index = node.parents[0], node.parents[1]
    if not isinstance(array, int) or array not in pdep or not isinstance(index, Const):
        return False
    found = label_index(index.value, np.shape(nodes[array].value))
    return found is not None and np.array_equal(found[1], classes)
