"""Where an array entered the function that used it: the learner's call that passed it as an argument.

When a function is handed the wrong array (``dense1.backward(dense2.dinputs)``, skipping the ReLU's
backward), the mistake is the argument at the call, not a line inside the function (DESIGN: an argument
mistake is named at the call that passed the argument).
"""

from __future__ import annotations

import types
from typing import Any

from bptrace.codetrace.context import CodeContext


def passed_at(ctx: CodeContext, value: int, use: int) -> int | None:
    """The site of the call that handed ``value`` to the function in which ``use`` was computed: the latest
    such call begun before ``use`` whose function's code holds ``use``'s line."""
    site = ctx.nodes[use].site
    if site < 0:
        return None
    where = ctx.sites[site]
    for call in sorted(ctx.calls, key=lambda c: c.start, reverse=True):
        if call.start <= use and value in call.arg_nodes and _holds(call.func, where.file, where.line):
            return call.site
    return None


def _holds(func: Any, file: str, line: int) -> bool:
    target = func.__func__ if isinstance(func, types.MethodType) else func
    code = getattr(target, "__code__", None)
    if code is None or code.co_filename != file:
        return False
    lines = [n for _start, _end, n in code.co_lines() if n is not None]
    return bool(lines) and code.co_firstlineno <= line <= max(lines)
