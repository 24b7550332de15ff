"""What a training step is, and the data-flow walks that both structure.py (finding the steps) and
targets.py (integer labels) need: the plain records Structure fills, which nodes were computed from a
parameter, and the output inside a loss expression.

This module depends only on runtime and layers, so structure.py and targets.py can both import it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.layers import Layer, node_parents
from bptrace.codetrace.runtime import Const, Node

ELEMENTWISE_BINARY = frozenset({"add", "subtract", "multiply", "divide", "true_divide"})
MATMUL = frozenset({"matmul", "dot"})
# Walking back from a loss expression to the output: log(A), 1 − A, A.clip(…).
_LOSS_WRAPPERS = frozenset({"log", "subtract", "clip", "negative"})


@dataclass
class Update:
    node: int  # the new version of the parameter (or the failed op's place)
    site: int
    old: int  # the version it replaces
    gradient: int | None  # the learner's gradient array in the update
    learning_rate: float  # 1.0 when the code has none
    sign: int  # −1 for W -= …, +1 for W += …
    failed: bool = False
    factors: tuple[float, ...] = ()  # the scalars multiplied into the gradient (`lr * del_w / n`: lr, 1/n)
    divisors: tuple[float, ...] = ()  # the n of each `/ n` the update writes


@dataclass
class StepInfo:
    index: int
    start: int
    end: int
    updates: list[Update] = field(default_factory=list)
    output: int | None = None
    target: int | None = None
    first_loss_op: int | None = None
    # (first loss op, output, target) of each forward pass the step's updates learn from, in run order:
    # one for a batch, one per sample when per-sample gradients are summed before one update.
    pairs: list[tuple[int, int, int]] = field(default_factory=list)
    data: list[int] = field(default_factory=list)  # step 0: what it reads of the data preparation before it
    cone: set[int] = field(default_factory=set)
    params: dict[int, int] = field(default_factory=dict)  # parameter lineage root -> version used here
    ydep: set[int] = field(default_factory=set)
    layers: list[Layer] = field(default_factory=list)
    target_value: np.ndarray | None = None  # one-hot targets built from integer labels (targets.py)


def param_dependent(nodes: list[Node], root: dict[int, int]) -> set[int]:
    """Every node computed from some version of a parameter (one pass over the whole run); ``root`` maps
    each parameter version to its lineage root."""
    roots = set(root.values())
    pdep: set[int] = set()
    for node in nodes:
        if node.index in root or node.index in roots or any(p in pdep for p in node_parents(node)):
            pdep.add(node.index)
    return pdep


def unwrap_loss(nodes: list[Node], root: dict[int, int], out: int, pdep: set[int]) -> int:
    """The output within a loss expression's wrappers: A in log(A), 1 − A, A.clip(…)."""
    node = nodes[out]
    while node.op in _LOSS_WRAPPERS and node.index not in root:
        inner = [p for p in node_parents(node) if p in pdep]
        if len(inner) != 1 or np.shape(nodes[inner[0]].value) != np.shape(node.value):
            break
        if node.op == "subtract" and not isinstance(node.parents[0], Const):
            break  # 1 - A is a wrapper; A - B is the learner's own expression
        node = nodes[inner[0]]
    return node.index
