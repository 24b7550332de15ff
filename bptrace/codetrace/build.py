"""Assemble the Trace: one Step per recorded op (plus the true loss), findings, gradients."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.diagnose import StepCheck
from bptrace.codetrace.rewrite import Site
from bptrace.codetrace.runtime import Const
from bptrace.codetrace.structure import StepInfo
from bptrace.codetrace.truth import Truth
from bptrace.pitfalls import CATALOGUE
from bptrace.trace import Finding, Formula, Phase, SourceRef, Step, Term


@dataclass
class Built:
    steps: list[Step] = field(default_factory=list)
    step_of_node: dict[int, int] = field(default_factory=dict)


@lru_cache(maxsize=65536)
def _latex(text: str) -> str:
    escaped = "".join("\\" + c if c in "_%&#{}$" else c for c in text.replace("\\", "/"))
    return rf"\texttt{{{escaped}}}"


@lru_cache(maxsize=65536)
def _formula(site: Site | None, target: str) -> Formula:
    """The line as the learner wrote it; a loop runs the same lines, so this is cached."""
    if site is None:
        return Formula(target, _latex(target))
    text = site.text if site.kind in ("iop", "setitem") or target == site.text else f"{target} = {site.text}"
    return Formula(text, _latex(text))


def _phases(ctx: CodeContext, step: StepInfo) -> dict[int, Phase]:
    # The update itself and its `lr * dW`; a gradient computed inside the update's statement is backward.
    update_nodes = {u.node for u in step.updates}
    for u in step.updates:
        if u.node >= 0 and isinstance(ctx.nodes[u.node].parents[1], int) and ctx.nodes[u.node].parents[1] != u.gradient:
            update_nodes.add(ctx.nodes[u.node].parents[1])
    feeds_update: set[int] = set()
    stack = [u.gradient for u in step.updates if u.gradient is not None]
    while stack:
        index = stack.pop()
        if index in feeds_update:
            continue
        feeds_update.add(index)
        stack.extend(p for p in ctx.nodes[index].parents if isinstance(p, int) and p >= step.start)
    phases: dict[int, Phase] = dict.fromkeys(step.data, "forward")  # the data it reads, prepared before
    for index in range(step.start, step.end):
        if index in update_nodes:
            phases[index] = "update"
        elif step.first_loss_op is not None and index < step.first_loss_op:
            phases[index] = "forward"  # the targets are data the forward pass reads, not a gradient
        elif index in step.ydep:
            phases[index] = "backward" if index in feeds_update else "loss"
        elif step.first_loss_op is not None and index > step.first_loss_op and index not in step.cone:
            phases[index] = "backward"
        else:
            phases[index] = "forward"
    return phases


def _const_name(parent: Const) -> str:
    text = repr(parent.value)
    return text if len(text) <= 24 else text[:21] + "…"


def build_steps(
    ctx: CodeContext, truths: dict[int, Truth], checks: dict[int, StepCheck], loss: str, reduction: str
) -> Built:
    built = Built()
    nodes, sites, structure = ctx.nodes, ctx.sites, ctx.structure
    root_of, parameter_names = structure.root, structure.names
    names = [ctx.name(i) for i in range(len(nodes))]  # each node's name once, not once per use
    # Per site (a loop runs the same lines every step): its SourceRef (immutable, so shared) and whether
    # it binds a name (ctx.named without the node's own names).
    sources = [SourceRef(site.file, site.line) for site in sites]
    targeted = [site.target is not None for site in sites]
    steps = built.steps
    for step in structure.steps:
        phases = _phases(ctx, step)
        references = checks[step.index].references if step.index in checks else {}
        # The arrays the updates descend along: the learner's ∂L/∂W (of the canonical W1, b1, …).
        gradient_of = {u.gradient: parameter_names[root_of.get(u.old, u.old)] for u in step.updates
                       if u.gradient is not None and root_of.get(u.old, u.old) in parameter_names}
        loss_op = step.first_loss_op if step.index in truths else None
        for index in [*step.data, *range(step.start, step.end)]:
            if index == loss_op:
                steps.append(_loss_step(ctx, step, truths[step.index], len(steps), loss, reduction))
            node = nodes[index]
            site_index = node.site
            site = sites[site_index] if site_index >= 0 else None
            target = names[index]
            phase = phases[index]
            terms: tuple[Term, ...] = ()
            if phase == "backward" and node.op == "multiply":
                terms = tuple(
                    Term(ctx.name(p), np.asarray(nodes[p].value), "upstream" if p in step.ydep else "local",
                         _latex(ctx.name(p)))
                    for p in node.parents if isinstance(p, int)
                )
            meta: dict[str, object] = {"names": list(dict.fromkeys(node.names))} if node.names else {}
            root = root_of.get(index)
            parameter = parameter_names.get(root) if root is not None else None  # a version of W1, b1, …
            built.step_of_node[index] = len(steps)
            named = bool(node.names) or (site_index >= 0 and targeted[site_index])  # ctx.named(index)
            steps.append(Step(
                index=len(steps), train_step=step.index, phase=phase, op=node.op, target=target,
                inputs=tuple([names[p] if isinstance(p, int) else _const_name(p) for p in node.parents]),
                value=np.asarray(node.value),
                terms=terms, formula=_formula(site, target), reference=references.get(index),
                source=sources[site_index] if site is not None else None,
                meta=meta,
                kind="update" if parameter is not None and phase == "update" else "op",
                of=gradient_of.get(index), parameter=parameter,
                learner_name=target if named else None,
            ))
    return built


def _loss_step(ctx: CodeContext, step: StepInfo, truth: Truth, index: int, loss: str, reduction: str) -> Step:
    assert step.output is not None and step.target is not None
    out, target = ctx.name(step.output), ctx.name(step.target)
    text = f"L = {loss}({out}, {target}), {reduction} over {truth.samples} sample(s)"
    return Step(
        index=index, train_step=step.index, phase="loss", op=loss, target="L", inputs=(out, target),
        value=np.array(truth.loss), formula=Formula(text, _latex(text)),
        meta={"loss": loss, "reduction": reduction, "samples": truth.samples, "derived_by": "bptrace"},
        kind="loss", learner_name="L",
    )


def finding(ctx: CodeContext, built: Built, finding_id: str, hit: Hit) -> Finding:
    pitfall = CATALOGUE[finding_id]
    site = ctx.sites[hit.site] if hit.site is not None else None
    step = built.step_of_node.get(hit.node)
    return Finding(finding_id, pitfall.severity, step, hit.message, site.file if site else None,
                   site.line if site else None, fix=hit.fix or pitfall.fix, explanation=pitfall.explanation)
