"""Find, in the recorded ops, what the learner's code means: parameters and their updates,
training steps, the network's output and targets, its forward pass and its layers.

Everything is decided from the data flow and the numbers, never from names.
"""

from __future__ import annotations

import numpy as np

from bptrace.codetrace.flow import ELEMENTWISE_BINARY, MATMUL, StepInfo, Update, param_dependent, unwrap_loss
from bptrace.codetrace.layers import Layer, find_layers, layers_like, node_parents
from bptrace.codetrace.runtime import Const, Node
from bptrace.codetrace.targets import find_labels, hinted_labels, labels_ydep
from bptrace.codetrace.updates import INITIALISERS, Lineages, is_candidate, step_of


class Structure:
    def __init__(self, nodes: list[Node], failed: list[tuple[int, str, tuple[int | Const, ...]]],
                 hints: dict[str, str] | None = None, layer_sites: list[tuple[int, int, str]] | None = None) -> None:
        """``layer_sites``: (z site, activation site, activation) of the layers found in an earlier
        recording of the same code (a step judged on its own past the memory budget, window.py): its first
        step checks those first, as later steps check step 0's, instead of searching afresh."""
        self.nodes = nodes
        self.hints = hints or {}
        self._lineages = Lineages(nodes)  # type: ignore[arg-type]
        self.root: dict[int, int] = self._lineages.root  # parameter version -> lineage root
        self._pdep: set[int] | None = None
        self.updates = self._find_updates(failed)
        self.steps = self._segment()
        self.prepared = self._prepare()  # how many ops ran before training step 0 (data preparation)
        self.columns = True
        for step in self.steps:
            self._outputs(step)
        self.steps[0].data = self._data(self.steps[0])
        self._layout()
        self.names = self._canonical_names()
        for step in self.steps:
            params = set(step.params.values())
            first = self.steps[0].layers if step.index else _at_sites(self.nodes, step, layer_sites or [])
            step.layers = layers_like(self.nodes, step.cone, params, first, self.columns) \
                if step.index or first else find_layers(self.nodes, step.cone, params, self.columns)

    # ------------------------------------------------------------ parameters and updates

    def is_source(self, index: int) -> bool:
        """A version of a parameter: an initialisation (drawn or written, maybe scaled), or an update's result."""
        return self._lineages.is_source(index)

    def _find_updates(self, failed: list[tuple[int, str, tuple[int | Const, ...]]]) -> list[Update]:
        """updates.py's rule, fed the candidates in run order (as StepLimit is while recording)."""
        updates: list[Update] = []
        lineages = self._lineages
        candidates = [(n.index, n.site, n.op, n.parents, False) for n in self.nodes if is_candidate(n)]
        candidates += [(-1, site, op, parents, True) for site, op, parents in failed]
        for index, site, op, parents, did_fail in candidates:
            if lineages.update(index, op, parents) is None:
                continue
            assert isinstance(parents[0], int) and isinstance(parents[1], int)
            step = step_of(self.nodes, parents[1])
            updates.append(Update(index, site, parents[0], step.gradient, step.learning_rate,
                                  -1 if op == "subtract" else 1, did_fail, step.factors, step.divisors))
        if not updates:
            # No update ran (the code stops after backward, or raised first): parameters are then
            # the arrays drawn at random or filled with zeros/ones, as initialisations are.
            for node in self.nodes:
                if not node_parents(node) and (node.op.startswith("random.") or node.op in INITIALISERS):
                    self.root[node.index] = node.index
        return updates

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

    def _prepare(self) -> int:
        """Data preparation (loading, normalising, one-hot loops, shuffling) runs before anything depends on
        a parameter: it is not training step 0. Step 0 starts at the first value computed from a parameter;
        the ops before stay recorded (targets and inputs are among them) but are no training step.
        Returns how many ops that is."""
        pdep = self.param_dependent()
        first = self.steps[0]
        start = next((i for i in range(first.start, first.end) if i in pdep), first.start)
        first.start = start
        return start

    def _data(self, step: StepInfo) -> list[int]:
        """What step 0 reads of the preparation (the inputs X, the targets Y, integer labels used as an
        index) is shown with the step: the data it trains on."""
        read = {p for node in self.nodes[step.start : step.end] for p in node_parents(node) if p < step.start}
        return sorted(read | {t for _op, _out, t in step.pairs if t < step.start})

    # ------------------------------------------------------------ output, targets, forward cone

    def param_dependent(self) -> set[int]:
        """Every node computed from some version of a parameter (computed once)."""
        if self._pdep is None:
            self._pdep = param_dependent(self.nodes, self.root)
        return self._pdep

    def _outputs(self, step: StepInfo) -> None:
        pdep = self.param_dependent()
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
            if step.index and len(candidates) == 1 and self.nodes[node.index].site == self._loss_site() \
                    and len(self.steps[0].pairs) == 1:
                break  # the same line as step 0's loss: no need to look further
        chosen = self._hinted(step, pdep) or next(
            (c for c in candidates if not self._is_mask(c, candidates, step)), None
        )
        labels = (
            find_labels(self.nodes, self.root, step, pdep, self.steps[0] if self.steps else None)
            if chosen is None
            else hinted_labels(self.nodes, self.root, chosen, pdep)
        )
        if labels is not None:  # integer labels: probs[range(N), y]
            chosen = (labels.pick, labels.output, labels.target)
            step.target_value = labels.onehot
        if chosen is None:
            return
        first = (chosen[0], self._unwrap(chosen[1], pdep), chosen[2])
        step.pairs = [first] if labels is not None else self._passes(step, first, candidates, pdep)
        step.first_loss_op, step.output, step.target = step.pairs[0]
        step.cone = set()
        for _op, out, _target in step.pairs:
            step.cone |= self._cone(out, pdep)
        for index in step.cone:
            if index in self.root:  # a version of a parameter (W.T read from it is not one)
                step.params[self.root.get(index, index)] = index
        step.ydep = (
            self._ydep(step)
            if labels is None
            else labels_ydep(self.nodes, self.root, self.param_dependent(), step, labels)
        )

    def _passes(self, step: StepInfo, chosen: tuple[int, int, int], candidates: list[tuple[int, int, int]],
                pdep: set[int]) -> list[tuple[int, int, int]]:
        """Every forward pass whose loss the step's updates descend: per-sample backprop summed over a
        mini-batch (or a per-record loop) meets the targets once per sample, at the same line, before one
        update. A pass the updates do not read (an evaluation after the update, a printed loss on the
        whole set) is not part of the training step."""
        if not step.updates:
            return [chosen]
        feeds = self._feeding(step)
        ordered = sorted({c[0]: (c[0], self._unwrap(c[1], pdep), c[2]) for c in candidates}.values())
        if chosen[1] not in feeds:
            chosen = next((c for c in ordered if c[1] in feeds and not self._is_mask(c, candidates, step)), chosen)
        site = self.nodes[chosen[0]].site
        pairs: dict[int, tuple[int, int, int]] = {chosen[1]: chosen}
        for c in ordered:
            if c[1] in feeds and c[1] not in pairs and self.nodes[c[0]].site == site:
                pairs[c[1]] = c
        return sorted(pairs.values())

    def _feeding(self, step: StepInfo) -> set[int]:
        """The step's nodes that the gradients of its updates were computed from."""
        seen: set[int] = set()
        stack = [u.gradient for u in step.updates if u.gradient is not None]
        while stack:
            index = stack.pop()
            if index in seen or index < step.start:
                continue
            seen.add(index)
            stack.extend(node_parents(self.nodes[index]))
        return seen

    def _hinted(self, step: StepInfo, pdep: set[int]) -> tuple[int, int, int] | None:
        """The learner's ``# bptrace: output=A2 targets=Y``: the step's first array bound to the output's
        name (computed from parameters), the latest bound to the targets' name before it, and the first op
        that reads either after the output (where the loss starts)."""
        want_out, want_y = self.hints.get("output"), self.hints.get("targets")
        if not (want_out and want_y):
            return None
        out = next(
            (n.index for n in self.nodes[step.start : step.end] if want_out in n.names and n.index in pdep), None
        )
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

    def _is_mask(self, candidate: tuple[int, int, int], candidates: list[tuple[int, int, int]],
                 step: StepInfo) -> bool:
        """A dropout-like mask multiplies a forward value, and later the gradient that flowed back through it;
        the targets Y meet only the output. (After the step's update, an evaluation on the same targets
        descends from everything through the new weights: that is no sign of a mask.)"""
        op, out, target = candidate
        end = min((u.node for u in step.updates if u.node >= 0), default=len(self.nodes))
        later = [c for c in candidates if end > c[0] > op and c[2] == target and c[1] != out]
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
        return unwrap_loss(self.nodes, self.root, out, pdep)

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
        ydep = {target for _op, _out, target in step.pairs}
        for target in list(ydep):  # `loss(y[j], out)` then `loss_prime(y[j], out)`: y[j] indexed twice
            ydep |= self._copies(target, step.start, step.end)
        for node in self.nodes[step.start : step.end]:
            if node.index in self.root:
                continue  # an updated parameter is a fresh start, not a gradient
            if any(p in ydep for p in node_parents(node)):
                ydep.add(node.index)
        return ydep

    def _copies(self, target: int, start: int, end: int) -> set[int]:
        """Later nodes of the step that recompute the target the same way (the same op on the same arrays)."""
        node = self.nodes[target]
        if node.op == "leaf" or not node.parents:
            return set()
        copies = set()
        for other in self.nodes[max(start, target + 1) : end]:
            if other.op != node.op or len(other.parents) != len(node.parents):
                continue
            try:
                same = all(a == b if isinstance(a, int) else isinstance(b, Const) and repr(a.value) == repr(b.value)
                           for a, b in zip(node.parents, other.parents, strict=True))
            except Exception:  # an index whose comparison is not a bool
                same = False
            if same and other.kwargs == node.kwargs:
                copies.add(other.index)
        return copies

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



def _at_sites(nodes: list[Node], step: StepInfo, sites: list[tuple[int, int, str]]) -> list[Layer]:
    """Layers at the given sites, as a template for ``layers_like`` (which checks each against the numbers)."""
    first: dict[int, int] = {}
    for index in sorted(step.cone):
        first.setdefault(nodes[index].site, index)
    if not all(z in first and a in first for z, a, _act in sites):
        return []
    return [Layer(first[z], first[a], activation) for z, a, activation in sites]
