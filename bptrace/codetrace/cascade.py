"""Which findings are new: what only follows from a mistake already named is a consequence, not a new error.

- ``gradient-mismatch`` says only that an array equals no true gradient. When that array was computed on a
  line another finding names, or from an array made on one (the wrong output delta, in this or an earlier
  training step), the mismatch follows from it: a locally right op handed a wrong value is not a new
  mistake, so it is not reported.
- A training step whose gradient or update is wrong leaves the parameters where a correct program would
  not have put them. What first goes wrong in a later step (the run diverging to NaN, a bias that a
  broadcast grew, a saturated output whose delta no longer matches) follows from that mistake: the code
  runs the same lines every step, so an independent mistake is already found in the first wrong step.
  Those later errors are not reported as new; the first wrong step's finding says the run went on to them.
  A warning first met there (np.exp overflowing as the weights run away) follows from it the same way.
"""

from __future__ import annotations

from dataclasses import replace

from bptrace.codetrace.context import CodeContext, Hit
from bptrace.pitfalls import CATALOGUE

# Findings about the run rather than about one op of the backward pass name no upstream mistake; errors about
# the run's numbers, not about a line's computation, are never a cause of a later step's findings. Each
# catalogue unit says which it is (Pitfall.names_upstream, Pitfall.causes_later).
_NOT_UPSTREAM = frozenset(i for i, pitfall in CATALOGUE.items() if not pitfall.names_upstream)
_NOT_A_CAUSE = frozenset(i for i, pitfall in CATALOGUE.items() if not pitfall.causes_later)


def drop_consequences(ctx: CodeContext, hits: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    return _later_steps(ctx, _accumulated(ctx, _mismatches(ctx, hits)))


# Ops that carry an array on unchanged in kind: a sum of per-sample gradients (``nb + dnb``), a copy.
_CARRY = frozenset({"add", "copy", "array", "asarray"})


def _accumulated(ctx: CodeContext, hits: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    """A finding about an array that only adds up arrays another finding of the same id names (Nielsen's
    ``nabla_b = [nb + dnb …]`` summing the wrong per-sample delta) is that finding again, not a new one."""
    dropped: set[int] = set()
    named: dict[str, set[int]] = {}
    for k in sorted(range(len(hits)), key=lambda k: hits[k][1].node):  # the arrays in the order they were made
        finding_id, hit = hits[k]
        earlier = named.setdefault(finding_id, set())
        if earlier and _sums_of(ctx, hit.node, earlier):
            dropped.add(k)
        else:
            earlier.add(hit.node)
    return [h for k, h in enumerate(hits) if k not in dropped]


def _sums_of(ctx: CodeContext, index: int, sources: set[int]) -> bool:
    stack, seen = [index], set()
    while stack:
        current = stack.pop()
        if current in sources:
            return True
        if current in seen or current < min(sources) or ctx.nodes[current].op not in _CARRY:
            continue
        seen.add(current)
        stack.extend(p for p in ctx.nodes[current].parents if isinstance(p, int))
    return False


def _mismatches(ctx: CodeContext, hits: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    upstream = [h for finding_id, h in hits if finding_id not in _NOT_UPSTREAM]
    named = {_line(ctx, h.site) for h in upstream if h.site is not None}
    named.discard(None)
    if not named:
        return hits
    nodes = {h.node for h in upstream}  # the arrays named, wherever their op ran (a helper's `return a - y`)
    kept = []
    for finding_id, hit in hits:
        if finding_id == "gradient-mismatch" and (_line(ctx, hit.site) in named or _from_named(ctx, hit, named, nodes)):
            continue
        kept.append((finding_id, hit))
    return kept


def _later_steps(ctx: CodeContext, hits: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    """Errors and warnings first met in a training step after the first one with a wrong gradient or update
    are its consequences: dropped, and said in the first wrong step's finding."""
    if not ctx.structure.steps:
        return hits
    steps = [_step(ctx, hit) for _id, hit in hits]
    causes = [s for (finding_id, _hit), s in zip(hits, steps, strict=True)
              if s is not None and _error(finding_id) and finding_id not in _NOT_A_CAUSE]
    if not causes:
        return hits
    first = min(causes)
    kept: list[tuple[str, Hit]] = []
    later: list[str] = []
    known = {(finding_id, _line(ctx, hit.site)) for (finding_id, hit), s in zip(hits, steps, strict=True)
             if s is not None and s <= first}
    for (finding_id, hit), s in zip(hits, steps, strict=True):
        if s is not None and s > first and CATALOGUE[finding_id].severity != "info":
            where = _line(ctx, hit.site)
            said = f"{finding_id} at line {where[1]}" if where else finding_id
            if (finding_id, where) not in known and said not in later:
                later.append(said)
            continue
        kept.append((finding_id, hit))
    if later:
        at = next(k for k, (finding_id, hit) in enumerate(kept)
                  if _step(ctx, hit) == first and _error(finding_id) and finding_id not in _NOT_A_CAUSE)
        finding_id, hit = kept[at]
        kept[at] = (finding_id, replace(hit, message=f"{hit.message} Later training steps start from the "
                                        f"parameters this step left wrong; what then went wrong ({', '.join(later)}) "
                                        "follows from it and is not reported separately."))
    return kept


def _error(finding_id: str) -> bool:
    return CATALOGUE[finding_id].severity == "error"


def _step(ctx: CodeContext, hit: Hit) -> int | None:
    """The training step a hit's node belongs to (None: the data preparation before the first one; after the
    last, one more than its index)."""
    step = ctx.step_holding(hit.node)
    if step is not None:
        return step.index
    last = ctx.structure.steps[-1]
    return last.index + 1 if hit.node >= last.end else None


def _line(ctx: CodeContext, site: int | None) -> tuple[str, int] | None:
    if site is None or site < 0:
        return None
    return ctx.sites[site].file, ctx.sites[site].line


def _from_named(ctx: CodeContext, hit: Hit, named: set[tuple[str, int] | None], nodes: set[int]) -> bool:
    """Was the hit's array computed from an array another finding names, or from one made on a line it names?"""
    if not ctx.structure.steps:
        return False
    step = ctx.step_of(hit.node)
    own = _line(ctx, hit.site)
    for index in ctx.structure.derivation(step, hit.node) - {hit.node}:
        if index in nodes:
            return True
        where = _line(ctx, ctx.op_site(index))
        if where != own and where in named:
            return True
    return False
