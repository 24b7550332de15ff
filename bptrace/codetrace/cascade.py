"""Which findings are new: an unexplained mismatch computed from a line already named is a consequence.

``gradient-mismatch`` says only that an array equals no true gradient. When that array was computed from
one a finding already names (the wrong output delta, in this or an earlier training step), the mismatch
follows from it: a locally right op handed a wrong value is not a new mistake, so it is not reported.
"""

from __future__ import annotations

from bptrace.codetrace.context import CodeContext, Hit

# Findings about the run rather than about one op of the backward pass: they name no upstream mistake.
_NOT_UPSTREAM = frozenset({"non-finite", "exception", "exp-overflow", "saturated-units", "dead-relu",
                           "implicit-learning-rate", "gradient-mismatch"})


def drop_consequences(ctx: CodeContext, hits: list[tuple[str, Hit]]) -> list[tuple[str, Hit]]:
    named = {_line(ctx, h.site) for finding_id, h in hits if finding_id not in _NOT_UPSTREAM and h.site is not None}
    named.discard(None)
    if not named:
        return hits
    kept = []
    for finding_id, hit in hits:
        if finding_id == "gradient-mismatch" and _from_named(ctx, hit, named):
            continue
        kept.append((finding_id, hit))
    return kept


def _line(ctx: CodeContext, site: int | None) -> tuple[str, int] | None:
    if site is None or site < 0:
        return None
    return ctx.sites[site].file, ctx.sites[site].line


def _from_named(ctx: CodeContext, hit: Hit, named: set[tuple[str, int] | None]) -> bool:
    """Was the hit's array computed from an array made on a line another finding names?"""
    if not ctx.structure.steps:
        return False
    step = ctx.step_of(hit.node)
    own = _line(ctx, hit.site)
    for index in ctx.structure.derivation(step, hit.node) - {hit.node}:
        where = _line(ctx, ctx.op_site(index))
        if where != own and where in named:
            return True
    return False
