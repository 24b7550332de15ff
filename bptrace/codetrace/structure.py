"""Find, in the recorded ops, what the learner's code means: parameters and their updates,
training steps, the network's output and targets, its forward pass and its layers.

Everything is decided from the data flow and the numbers, never from names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.layers import Layer, find_layers, layers_like, node_parents
from bptrace.codetrace.runtime import Const, Node
from bptrace.codetrace.targets import find_labels, hinted_labels, labels_ydep

ELEMENTWISE_BINARY = frozenset({"add", "subtract", "multiply", "divide", "true_divide"})
MATMUL = frozenset({"matmul", "dot"})
# Walking back from a loss expression to the output: log(A), 1 − A, A.clip(…).
_LOSS_WRAPPERS = frozenset({"log", "subtract", "clip", "negative"})
# `np.random.randn(n, h) * 0.01`, `… / np.sqrt(n)`, `2 * np.random.random(s) - 1`: still an initialisation.
_SCALING = frozenset({"multiply", "divide", "true_divide", "sqrt", "astype", "copy", "reshape", "transpose", "add",
                      "subtract"})
_INITIALISERS = frozenset({"zeros", "ones", "full", "empty", "randn", "rand", "normal", "uniform"})


def _drawn(node: Node) -> bool:
    """A random draw, whatever computed its shape (``np.random.randn(D, np.max(y) + 1)``). Not zeros: an
    accumulator ``np.zeros(n)`` is no parameter."""
    return node.op.startswith("random.")


@dataclass
class Update:
    node: int  # the new version of the parameter (or the failed op's place)
    site: int
    old: int  # the version it replaces
    gradient: int | None  # the learner's gradient array in the update
    learning_rate: float  # 1.0 when the code has none
    sign: int  # −1 for W -= …, +1 for W += …
    failed: bool = False


@dataclass
class StepInfo:
    index: int
    start: int
    end: int
    updates: list[Update] = field(default_factory=list)
    output: int | None = None
    target: int | None = None
    first_loss_op: int | None = None
    cone: set[int] = field(default_factory=set)
    params: dict[int, int] = field(default_factory=dict)  # parameter lineage root -> version used here
    ydep: set[int] = field(default_factory=set)
    layers: list[Layer] = field(default_factory=list)
    target_value: np.ndarray | None = None  # one-hot targets built from integer labels (targets.py)


class Structure:
    def __init__(self, nodes: list[Node], failed: list[tuple[int, str, tuple[int | Const, ...]]],
                 hints: dict[str, str] | None = None) -> None:
        self.nodes = nodes
        self.hints = hints or {}
        self.root: dict[int, int] = {}  # parameter version -> lineage root
        self._sources: dict[int, bool] = {}
        self._pdep: set[int] | None = None
        self.updates = self._find_updates(failed)
        self.steps = self._segment()
        self.columns = True
        for step in self.steps:
            self._outputs(step)
        self._layout()
        self.names = self._canonical_names()
        for step in self.steps:
            step.layers = layers_like(self.nodes, step, self.steps[0], self.columns) if step.index else find_layers(self.nodes, step, self.columns)

    # ------------------------------------------------------------ parameters and updates

    def is_source(self, index: int) -> bool:
        """A version of a parameter: an initialisation (drawn or written, maybe scaled), or an update's result."""
        if index in self.root:
            return True
        known = self._sources.get(index)
        if known is None:
            node = self.nodes[index]
            parents = node_parents(node)
            known = not parents or _drawn(node) or (node.op in _SCALING and all(self.is_source(p) for p in parents))
            self._sources[index] = known
        return known

    def _find_updates(self, failed: list[tuple[int, str, tuple[int | Const, ...]]]) -> list[Update]:
        updates: list[Update] = []
        candidates = [(n.index, n.site, n.op, n.parents, False) for n in self.nodes if (n.inplace or n.rebind)]
        candidates += [(-1, site, op, parents, True) for site, op, parents in failed]
        for index, site, op, parents, did_fail in candidates:
            if op not in ("subtract", "add") or len(parents) < 2 or not isinstance(parents[0], int):
                continue
            old = parents[0]
            if not self.is_source(old) or not isinstance(parents[1], int):
                continue
            gradient, rate = self._step_of(parents[1])
            root = self.root.get(old, old)
            if index >= 0:
                self.root[index] = root
            self.root.setdefault(old, root)
            updates.append(Update(index, site, old, gradient, rate, -1 if op == "subtract" else 1, did_fail))
        if not updates:
            # No update ran (the code stops after backward, or raised first): parameters are then
            # the arrays drawn at random or filled with zeros/ones, as initialisations are.
            for node in self.nodes:
                if not node_parents(node) and (node.op.startswith("random.") or node.op in _INITIALISERS):
                    self.root[node.index] = node.index
        return updates

    def _step_of(self, value: int) -> tuple[int | None, float]:
        """``lr * dW`` -> (dW, lr); ``dW`` alone -> (dW, 1.0)."""
        node = self.nodes[value]
        if node.op in ("multiply", "divide") and len(node.parents) == 2:
            ints = [p for p in node.parents if isinstance(p, int)]
            # A 0-d gradient (`np.sum(dZ1)` without an axis) times a Python learning rate is still lr·dW.
            arrays = [p for p in ints if np.ndim(self.nodes[p].value) > 0] or ints
            scalars = [p for p in node.parents if p not in arrays]
            if len(arrays) == 1 and len(scalars) == 1:
                s = scalars[0]
                rate = float(np.asarray(s.value if isinstance(s, Const) else self.nodes[s].value))
                if node.op == "divide":
                    if node.parents[1] is not s:
                        return value, 1.0
                    rate = 1.0 / rate
                return arrays[0], rate
        return value, 1.0

    def _segment(self) -> list[StepInfo]:
        """A training step updates each parameter once; the next one starts after its last update."""
        steps: list[StepInfo] = []
        current = StepInfo(0, 0, len(self.nodes))
        seen: set[int] = set()
        for update in self.updates:
            root = self.root.get(update.old, update.old)
            if root in seen:
                last = max(u.node for u in current.updates)
                current.end = last + 1
                steps.append(current)
                current = StepInfo(len(steps), last + 1, len(self.nodes))
                seen = set()
            seen.add(root)
            current.updates.append(update)
        steps.append(current)
        return steps

    # ------------------------------------------------------------ output, targets, forward cone

    def _param_dependent(self) -> set[int]:
        """Every node computed from some version of a parameter (one pass over the whole run)."""
        if self._pdep is None:
            roots = set(self.root.values())
            pdep: set[int] = set()
            for node in self.nodes:
                if node.index in self.root or node.index in roots or any(p in pdep for p in node_parents(node)):
                    pdep.add(node.index)
            self._pdep = pdep
        return self._pdep

    def _outputs(self, step: StepInfo) -> None:
        pdep = self._param_dependent()
        candidates: list[tuple[int, int, int]] = []  # (op, output side, target side)
        for node in self._loss_candidates(step):
            if node.op not in ELEMENTWISE_BINARY or len(node.parents) != 2:
                continue
            a, b = node.parents
            if not (isinstance(a, int) and isinstance(b, int)) or (a in pdep) == (b in pdep):
                continue
            out, target = (a, b) if a in pdep else (b, a)
            if np.size(self.nodes[target].value) < 2 and np.size(self.nodes[out].value) > 1:
                continue
            if np.size(self.nodes[target].value) != np.size(self.nodes[out].value) or out in self.root:
                continue
            candidates.append((node.index, out, target))
            if step.index and len(candidates) == 1 and self.nodes[node.index].site == self._loss_site():
                break  # the same line as step 0's loss: no need to look further
        chosen = self._hinted(step, pdep) or next((c for c in candidates if not self._is_mask(c, candidates)), None)
        labels = find_labels(self, step, pdep, self.steps[0] if self.steps else None) if chosen is None \
            else hinted_labels(self, chosen, pdep)
        if labels is not None:  # integer labels: probs[range(N), y]
            chosen = (labels.pick, labels.output, labels.target)
            step.target_value = labels.onehot
        if chosen is not None:
            step.first_loss_op = chosen[0]
            step.output = self._unwrap(chosen[1], pdep)
            step.target = chosen[2]
        if step.output is None:
            return
        step.cone = self._cone(step.output, pdep)
        for index in step.cone:
            if index in self.root:  # a version of a parameter (W.T read from it is not one)
                step.params[self.root.get(index, index)] = index
        step.ydep = self._ydep(step) if labels is None else labels_ydep(self, step, labels)

    def _hinted(self, step: StepInfo, pdep: set[int]) -> tuple[int, int, int] | None:
        """The learner's ``# bptrace: output=A2 targets=Y``: the step's first array bound to the output's
        name (computed from parameters), the latest bound to the targets' name before it, and the first op
        that reads either after the output (where the loss starts)."""
        want_out, want_y = self.hints.get("output"), self.hints.get("targets")
        if not (want_out and want_y):
            return None
        out = next((n.index for n in self.nodes[step.start : step.end] if want_out in n.names and n.index in pdep), None)
        if out is None:
            return None
        target = next((n.index for n in reversed(self.nodes[:out]) if want_y in n.names and n.index not in pdep), None)
        if target is None:
            return None
        first = next((n.index for n in self.nodes[out + 1 : step.end]
                      if target in n.parents or out in n.parents), None)
        return None if first is None else (first, out, target)

    def _loss_site(self) -> int | None:
        first = self.steps[0].first_loss_op if self.steps else None
        return self.nodes[first].site if first is not None else None

    def _is_mask(self, candidate: tuple[int, int, int], candidates: list[tuple[int, int, int]]) -> bool:
        """A dropout-like mask multiplies a forward value, and later the gradient that flowed back through it;
        the targets Y meet only the output."""
        op, out, target = candidate
        later = [c for c in candidates if c[0] > op and c[2] == target and c[1] != out]
        return any(op in self._ancestors(c[1]) for c in later)

    def _ancestors(self, index: int) -> set[int]:
        seen, stack = set(), [index]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(node_parents(self.nodes[current]))
        return seen

    def _loss_candidates(self, step: StepInfo) -> list[Node]:
        """Step 0's loss line first: a training loop runs the same lines every step."""
        nodes = self.nodes[step.start : step.end]
        first = self.steps[0].first_loss_op if step.index else None
        if first is None:
            return nodes
        site = self.nodes[first].site
        return [n for n in nodes if n.site == site] + nodes

    def _unwrap(self, out: int, pdep: set[int]) -> int:
        node = self.nodes[out]
        while node.op in _LOSS_WRAPPERS and node.index not in self.root:
            inner = [p for p in node_parents(node) if p in pdep]
            if len(inner) != 1 or np.shape(self.nodes[inner[0]].value) != np.shape(node.value):
                break
            if node.op == "subtract" and not isinstance(node.parents[0], Const):
                break  # 1 - A is a wrapper; A - B is the learner's own expression
            node = self.nodes[inner[0]]
        return node.index

    def _cone(self, output: int, pdep: set[int]) -> set[int]:
        cone, stack = set(), [output]
        while stack:
            index = stack.pop()
            if index in cone or index not in pdep:
                continue
            cone.add(index)
            if index in self.root:
                continue
            stack.extend(node_parents(self.nodes[index]))
        return cone

    def _ydep(self, step: StepInfo) -> set[int]:
        ydep = {step.target} if step.target is not None else set()
        for node in self.nodes[step.start : step.end]:
            if node.index in self.root:
                continue  # an updated parameter is a fresh start, not a gradient
            if any(p in ydep for p in node_parents(node)):
                ydep.add(node.index)
        return ydep

    def _layout(self) -> None:
        """Columns (W @ X) or rows (X @ W), from the first product of a parameter in the forward pass."""
        for step in self.steps:
            for index in sorted(step.cone):
                node = self.nodes[index]
                if node.op in MATMUL and len(node.parents) == 2:
                    left, right = (self._base(p) for p in node.parents)
                    if left in step.params.values() or right in step.params.values():
                        self.columns = left in step.params.values()
                        return

    def _base(self, parent: int | Const) -> int | None:
        """The array behind a transpose."""
        if not isinstance(parent, int):
            return None
        node = self.nodes[parent]
        if node.op == "transpose" and isinstance(node.parents[0], int):
            return node.parents[0]
        return parent

    def _canonical_names(self) -> dict[int, str]:
        """W1, b1, W2, b2 … in the order the forward pass uses them (DESIGN's naming)."""
        names: dict[int, str] = {}
        if not self.steps or not self.steps[0].cone:
            return names
        step = self.steps[0]
        version_root = {v: r for r, v in step.params.items()}
        layer = 0
        for index in sorted(step.cone):
            node = self.nodes[index]
            bases = [self._base(p) for p in node.parents]
            params = [version_root[b] for b in bases if b in version_root and version_root[b] not in names]
            if node.op in MATMUL and params:
                layer += 1
                names[params[0]] = f"W{layer}"
            elif node.op == "add" and params and layer:
                names[params[0]] = f"b{layer}"
        for root in step.params:
            names.setdefault(root, f"p{len(names) + 1}")
        return names

    def derivation(self, step: StepInfo, index: int) -> set[int]:
        """``index`` and the gradient-carrying nodes it was computed from."""
        chain, stack = set(), [index]
        while stack:
            current = stack.pop()
            if current not in chain:
                chain.add(current)
                stack.extend(p for p in node_parents(self.nodes[current]) if p in step.ydep)
        return chain

