"""Where a finding is named: the line that computed the wrong value, in the file where it ran.

A value computed wrongly is named at its own op, inside the helper, method or module that ran it (not at
the call that reached it). The one exception is an argument mistake (a correct derivative helper handed
the other array): that is named where the wrong array was handed over, the call that passed it, or the
statement that stored it in the helper's cache (``cache = A`` in the function that made ``A``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from bptrace.codetrace.context import CodeContext

if TYPE_CHECKING:
    from bptrace.codetrace.runtime import UserCall


def _encloses(call: UserCall, index: int) -> bool:
    """Was ``index`` recorded while ``call`` ran? (A call that never returned encloses what followed.)"""
    return call.start <= index and (call.end < 0 or index < call.end)


def enclosing_calls(ctx: CodeContext, index: int) -> list[UserCall]:
    """The learner's calls that were running when ``index`` was recorded, innermost first."""
    return sorted((c for c in ctx.calls if _encloses(c, index)), key=lambda c: c.start, reverse=True)


def _made_by_statement(ctx: CodeContext, index: int, site: int) -> bool:
    """Does the statement of ``site`` compute ``index``: its own op, or a call in it that made the value?"""
    node = ctx.nodes[index]
    stmt = (ctx.sites[site].file, ctx.sites[site].stmt)
    if node.site >= 0 and (ctx.sites[node.site].file, ctx.sites[node.site].stmt) == stmt:
        return True
    return any((ctx.sites[c.site].file, ctx.sites[c.site].stmt) == stmt and _encloses(c, index)
               for c in ctx.calls if c.site >= 0)


def _stored_alias(ctx: CodeContext, x: int, before: int) -> int | None:
    """The first statement that binds ``x`` under another name in the function call that made it
    (``A = …; cache = A``): where an array is put into a cache, the choice of array is made there."""
    node = ctx.nodes[x]
    if node.site < 0:
        return None
    own = ctx.sites[node.site]
    making = enclosing_calls(ctx, x)
    frame_end = making[0].end if making and making[0].end >= 0 else before
    for site, count in node.binds:
        bind = ctx.sites[site]
        if count > min(frame_end, before):
            break
        if bind.file != own.file or bind.depth != own.depth or _made_by_statement(ctx, x, site):
            continue
        return site
    return None


def argument_site(ctx: CodeContext, x: np.ndarray | int, uses: list[int]) -> int | None:
    """Where the array ``x`` (a node, or the values it holds) was handed to the code that computed
    ``uses`` from it: a cache filled with it in the function that made it, else the innermost call of the
    learner's that received it and ran the uses. None when neither is found."""
    first = min(uses)
    if isinstance(x, int):
        stored = _stored_alias(ctx, x, first)
        if stored is not None:
            return stored
        value = ctx.value(x)
    else:
        value = np.asarray(x)
    for call in enclosing_calls(ctx, first):
        if call.site < 0 or not all(_encloses(call, u) for u in uses):
            continue
        for arg in call.arg_nodes:
            if arg is None:
                continue
            if (isinstance(x, int) and arg == x) or (
                    np.shape(ctx.nodes[arg].value) == value.shape and np.array_equal(ctx.value(arg), value)):
                return call.site
    return None


def local_site(ctx: CodeContext, node: int, locals_: list[int]) -> int | None:
    """The line that computed a wrong local derivative: the op that made it, in the helper if a helper
    made it (``return x * (1 + x)``); the product's own line when its factors come from several lines."""
    places = {(ctx.sites[ctx.nodes[i].site].file, ctx.sites[ctx.nodes[i].site].line) for i in locals_
              if ctx.nodes[i].site >= 0}
    if len(places) == 1:
        last = max(locals_)
        return ctx.op_site(last)
    return ctx.op_site(node)


def handed_in(ctx: CodeContext, value: int, use: int) -> bool:
    """Was ``use`` computed inside a call of the learner's that received ``value`` as an argument, made before
    the call (a backward helper such as ``sigmoid_backward(dA, cache)`` applied to it)?"""
    return any(value in call.arg_nodes and value < call.start for call in enclosing_calls(ctx, use))


def diverging_call(ctx: CodeContext, step_nodes: range, node: int, right: Callable[[int], bool]) -> int | None:
    """When the op that went wrong also ran right in this step (the same line, for another layer), the
    code on that line is not at fault: the call that led to it this time is (a sigmoid backward helper
    chosen for a ReLU layer). Returns the innermost call site on the wrong route that no right one took."""
    site = ctx.nodes[node].site
    if site < 0:
        return None
    twins = [n.index for n in ctx.nodes[step_nodes.start : step_nodes.stop] if n.site == site and n.index != node]
    good = [t for t in twins if right(t)]
    if not good:
        return None
    shared = {c.site for t in good for c in enclosing_calls(ctx, t)}
    for call in enclosing_calls(ctx, node):
        if call.site >= 0 and call.site not in shared:
            return call.site
    return None


def read_elsewhere(ctx: CodeContext, site: int, x: int, uses: list[int], product: int) -> bool:
    """Did the call at ``site``, handed ``x``, also read ``x`` for work other than this derivative? Then it
    was right to hand it over (``backpropagation(…, hidden_outputs, …)`` forms a weight gradient from it), and
    the wrong choice is the derivative's own statement inside it, which applied the helper to ``x``."""
    calls = [c for c in enclosing_calls(ctx, min(uses)) if c.site == site and x < c.start]
    if not calls:
        return False
    call = calls[0]
    end = call.end if call.end >= 0 else len(ctx.nodes)
    feeds: set[int] = set()  # what this derivative was computed from, inside the call
    stack = [*uses, product]
    while stack:
        index = stack.pop()
        if index in feeds or index < call.start:
            continue
        feeds.add(index)
        stack.extend(p for p in ctx.nodes[index].parents if isinstance(p, int))
    return any(x in ctx.nodes[i].parents and i not in feeds for i in range(call.start, end))
