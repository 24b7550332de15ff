"""One training step judged on its own, so its values can be let go (the memory budget, budget.py).

The step's recorded nodes are copied into a list of their own, renumbered; every array they read
from before the step (the data, the parameters as the previous step left them) becomes a leaf at the
front, as if the script had started there. The usual analysis (structure, truth, diagnose) then sees a
one-step recording. Only the loss and the gradient check's verdicts are kept from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.diagnose import check_step
from bptrace.codetrace.rewrite import Site
from bptrace.codetrace.runtime import RELEASED, Const, Node, UserCall
from bptrace.codetrace.structure import Structure
from bptrace.codetrace.truth import Truth, step_truth
from bptrace.trace import Verdict


@dataclass(frozen=True)
class Judged:
    """A training step past the budget: what is kept of it."""

    loss: float
    verdicts: dict[str, Verdict]  # by the name the parameter has in the kept steps (W1, b1, …)


def step_nodes(nodes: list[Node], calls: list[UserCall], start: int, end: int
               ) -> tuple[list[Node], list[UserCall], dict[int, int]]:
    """Nodes ``start``..``end`` renumbered, after one leaf per earlier node they read; the calls made
    in that range; and where each original node went (for the leaves, their original index)."""
    outside: dict[int, int] = {}
    for node in nodes[start:end]:
        for p in node.parents:
            if isinstance(p, int) and p < start and p not in outside:
                outside[p] = len(outside)
    shift = len(outside) - start  # a node of the step at index i lands at i + shift
    where = {p: k for p, k in outside.items()} | {i: i + shift for i in range(start, end)}

    def at(p: int | Const) -> int | Const:
        return where[p] if isinstance(p, int) else p

    out = [Node(k, -1, "leaf", (), nodes[p].value, names=list(nodes[p].names), best=nodes[p].best)
           for p, k in outside.items()]
    for node in nodes[start:end]:
        out.append(replace(node, index=node.index + shift, parents=tuple(at(p) for p in node.parents),
                           kwargs=dict(node.kwargs), names=list(node.names),
                           binds=[(site, max(count + shift, 0)) for site, count in node.binds]))
    made = [replace(c, arg_nodes=tuple(where.get(a) if a is not None else None for a in c.arg_nodes),
                    result=where.get(c.result) if c.result is not None else None,
                    start=c.start + shift, end=c.end + shift if c.end >= 0 else -1)
            for c in calls if start <= c.start < end]
    return out, made, where


def judge_step(nodes: list[Node], calls: list[UserCall], sites: list[Site], start: int, end: int,
               loss: str, reduction: str, hints: dict[str, str], names: dict[int, str],
               lineage: dict[int, int], layer_sites: list[tuple[int, int, str]]) -> Judged | None:
    """The loss and verdicts of the training step recorded in nodes ``start``..``end``; None when the
    step cannot be judged on its own (no update, no output found). ``names`` maps a parameter's lineage
    root (an original node index) to its name in the kept steps, ``lineage`` a version to its root;
    ``layer_sites`` are the kept steps' layers, checked first."""
    own, made, where = step_nodes(nodes, calls, start, end)
    if any(n.value is RELEASED for n in own):  # read a value already let go: no honest verdict
        return None
    structure = Structure(own, [], hints=hints, layer_sites=layer_sites)
    steps = [s for s in structure.steps if s.updates]
    if len(steps) != 1:
        return None
    step = steps[0]
    ctx = CodeContext(own, sites, made, structure)  # no recorder: nothing here calls the learner's code
    truth = step_truth(ctx, step, loss, reduction)
    if not isinstance(truth, Truth):
        return None
    check = check_step(ctx, step, truth)
    from bptrace.gradcheck import verdict  # the report's own verdict, so both agree

    back = {k: p for p, k in where.items()}
    by_name = {name: root for root, name in structure.names.items()}
    verdicts: dict[str, Verdict] = {}
    for name, got in check.gradients.items():
        root = by_name.get(name)
        original = back.get(root) if root is not None else None
        kept = names.get(lineage.get(original, original)) if original is not None else None
        if kept is None:
            continue
        verdicts[kept] = verdict(got, check.true_gradients[name])
    return Judged(truth.loss, verdicts)
