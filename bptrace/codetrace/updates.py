"""What an update of a parameter is: the one rule that Structure (after the run) and StepLimit (while
recording, bound.py) both apply, so that `--steps N` cuts where the analysis finds the steps.

An update is ``P ± step`` that replaces P: in place (``W -= …``), rebound to what it was computed from
(``W = W - …``, ``p["W"] = p["W"] - …``), or a list element rebuilt by a comprehension
(``self.weights = [w - … for w, nw in zip(self.weights, …)]``); rewrite.py marks the last two. P must be a
version of a parameter: an initialisation (drawn or written, maybe scaled) or an earlier update's result,
and the program must have read its lineage before (a forward pass reads its parameters). A gradient
accumulator (``del_w = np.zeros(…)`` then ``del_w += error_term * x``) is only ever added to before
anything reads it: it is not a parameter, and adding to it is not an update.

This module depends on nothing else in codetrace, so structure.py and bound.py can both import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

# `np.random.randn(n, h) * 0.01`, `… / np.sqrt(n)`, `2 * np.random.random(s) - 1`: still an initialisation.
SCALING = frozenset({"multiply", "divide", "true_divide", "sqrt", "astype", "copy", "reshape", "transpose", "add",
                     "subtract"})
INITIALISERS = frozenset({"zeros", "ones", "full", "empty", "randn", "rand", "normal", "uniform"})
UPDATE_OPS = frozenset({"subtract", "add"})


class _Const(Protocol):
    value: object


class NodeLike(Protocol):
    """What the rule reads of a recorded node (runtime.Node)."""

    index: int
    op: str
    parents: tuple[int | _Const, ...]
    value: object
    names: list[str]
    inplace: bool
    rebind: bool
    quotients: dict[int, tuple[float, float]] | None


def array_parents(node: NodeLike) -> list[int]:
    return [p for p in node.parents if isinstance(p, int)]


def drawn(node: NodeLike) -> bool:
    """A random draw, whatever computed its shape (``np.random.randn(D, np.max(y) + 1)``). Not zeros: an
    accumulator ``np.zeros(n)`` is no parameter."""
    return node.op.startswith("random.")


def is_candidate(node: NodeLike) -> bool:
    """`old ± step` written back to where `old` came from: an update if `old` turns out to be a parameter."""
    return (node.inplace or node.rebind) and node.op in UPDATE_OPS and len(node.parents) >= 2


class Lineages:
    """Parameter versions and their lineage roots, built by feeding the candidate updates in run order."""

    def __init__(self, nodes: list[NodeLike]) -> None:
        self.nodes = nodes
        self.root: dict[int, int] = {}  # parameter version -> lineage root
        self._sources: dict[int, bool] = {}
        self._read: set[int] = set()  # lineages (by root) that some op other than an update of them read
        self._scanned = 0

    def is_source(self, index: int) -> bool:
        """A version of a parameter: an initialisation (drawn or written, maybe scaled), or an update's result."""
        if index in self.root:
            return True
        known = self._sources.get(index)
        if known is None:
            node = self.nodes[index]
            parents = array_parents(node)
            known = not parents or drawn(node) or (node.op in SCALING and all(self.is_source(p) for p in parents))
            self._sources[index] = known
        return known

    def _scan(self, upto: int) -> None:
        """Note which lineages the ops before ``upto`` read (each node is looked at once)."""
        root, read = self.root, self._read
        for node in self.nodes[self._scanned : upto]:
            parents = node.parents[1:] if is_candidate(node) else node.parents  # `W -= …` itself is no read
            for p in parents:
                if isinstance(p, int):
                    read.add(root.get(p, p))
        self._scanned = max(self._scanned, upto)

    def update(self, index: int, op: str, parents: tuple[int | _Const, ...]) -> int | None:
        """The lineage root when the op (recorded at ``index``, or -1 for one that raised) updates a
        parameter; the new version joins the lineage."""
        if op not in UPDATE_OPS or len(parents) < 2 or not isinstance(parents[0], int) \
                or not isinstance(parents[1], int):
            return None
        old = parents[0]
        if not self.is_source(old):
            return None
        self._scan(index if index >= 0 else len(self.nodes))
        root = self.root.get(old, old)
        if root not in self._read:
            return None  # only ever added to: an accumulator, not a parameter
        if index >= 0:
            self.root[index] = root
        self.root.setdefault(old, root)
        return root


@dataclass(frozen=True)
class Step:
    """``lr * dW`` in an update: the learner's gradient array and the scalar factors applied to it."""

    gradient: int
    learning_rate: float  # the product of the factors; 1.0 when the code has none
    factors: tuple[float, ...]  # each scalar multiplier peeled off, outermost first (`/ n` as 1/n)
    divisors: tuple[float, ...] = ()  # the n of each `/ n` written in the update (a batch size, maybe)


def step_of(nodes: list[NodeLike], value: int) -> Step:
    """``lr * dW`` -> (dW, lr); ``lr * del_w / n`` -> (del_w, lr/n); ``dW`` alone -> (dW, 1.0). Factors are
    peeled off the update's own expression only: an array the code named (``dW = 1/m * …``) is the gradient."""
    factors: list[float] = []
    divisors: list[float] = []
    while True:
        node = nodes[value]
        if node.op not in ("multiply", "divide", "true_divide") or len(node.parents) != 2:
            break
        ints = [p for p in node.parents if isinstance(p, int)]
        # A 0-d gradient (`np.sum(dZ1)` without an axis) times a Python learning rate is still lr·dW.
        arrays = [p for p in ints if np.ndim(nodes[p].value) > 0] or ints
        scalars = [p for p in node.parents if not (isinstance(p, int) and p in arrays)]
        if len(arrays) != 1 or len(scalars) != 1:
            break
        s = scalars[0]
        factor = float(np.asarray(nodes[s].value if isinstance(s, int) else s.value))
        if node.op != "multiply":
            if node.parents[1] is not s or factor == 0:
                break
            divisors.append(factor)
            factor = 1.0 / factor
        quotient = (node.quotients or {}).get(node.parents.index(s)) if not isinstance(s, int) else None
        if node.op == "multiply" and quotient is not None and quotient[1] != 0:
            factors += [float(quotient[0]), 1.0 / float(quotient[1])]  # `(eta / len(batch)) * nw`: eta and 1/m
            divisors.append(float(quotient[1]))
        else:
            factors.append(factor)
        value = arrays[0]
        if nodes[value].names:
            break
    rate = float(np.prod(factors)) if factors else 1.0
    return Step(value, rate, tuple(factors), tuple(divisors))
