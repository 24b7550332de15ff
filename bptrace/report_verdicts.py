"""The parts of the ``run`` report that give the answer: the gradient check and the loss, compactly.

Every string that comes from the trace (a learner's names) goes in as ``rich.text.Text``, never as
markup, so a name with brackets prints as written.
"""

from __future__ import annotations

import math

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bptrace.gradcheck import ParameterCheck, check
from bptrace.numbers import number, shape_text, sparkline_cells
from bptrace.trace import Trace

LOSS_ROWS = 12  # up to this many training steps the loss is a plain table; beyond, a sparkline
_EDGE = 3  # first and last rows shown beside the sparkline


def _error(value: float) -> Text:
    if math.isnan(value):
        return Text("—", style="dim")
    return Text(f"{value:.1e}", style="red" if value > 1e-4 else "")


def gradient_check(trace: Trace) -> RenderableType | None:
    """Code mode: the learner's gradient against the true one, per parameter. Reference mode: the
    gradients are bptrace's own (nothing to compare), so their size per step is shown instead."""
    if trace.scenario.mode == "code":
        rows = check(trace)
        return _check_table(rows) if rows else None
    return _size_table(trace) if trace.gradients else None


def _check_table(rows: list[ParameterCheck]) -> Group:
    table = Table(pad_edge=False)
    table.add_column("parameter", no_wrap=True)
    named = any(row.learner_name for row in rows)
    if named:
        table.add_column("in your code", min_width=8, overflow="fold")
    table.add_column("shape", justify="right", no_wrap=True)
    table.add_column("worst", justify="right", no_wrap=True)
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column("steps", justify="right", no_wrap=True)
    table.add_column("", no_wrap=True)
    for row in rows:
        mark = Text("✓", style="green") if row.agrees else Text("✗", style="bold red")
        learner = [Text(row.learner_name or "")] if named else []
        table.add_row(Text(row.name), *learner, shape_text(row.shape), _error(row.worst), _error(row.median),
                      str(row.checked), mark)
    title = Text("Gradient check", style="bold")
    title.append(" · your gradient g against the true ĝ, relative error ‖g−ĝ‖/(‖g‖+‖ĝ‖) "
                 "over the checked training steps", style="italic")
    return Group(title, table)


def _size_table(trace: Trace) -> Group:
    names = list(trace.gradients[0])
    table = Table(pad_edge=False)
    table.add_column("parameter", no_wrap=True)
    table.add_column("shape", justify="right", no_wrap=True)
    table.add_column("first", justify="right", no_wrap=True)
    table.add_column("last", justify="right", no_wrap=True)
    table.add_column("smallest", justify="right", no_wrap=True)
    table.add_column("largest", justify="right", no_wrap=True)
    for name in names:
        norms = [float(np.linalg.norm(g[name])) for g in trace.gradients if name in g]
        table.add_row(Text(name), shape_text(np.shape(trace.gradients[0][name])), number(norms[0]), number(norms[-1]),
                      number(min(norms)), number(max(norms)))
    title = Text("Gradient sizes", style="bold")
    title.append(" · ‖∂L/∂θ‖ over the training steps; reference mode computes the gradients by bptrace's own "
                 "chain rule, so there is no learner gradient to check", style="italic")
    return Group(title, table)


def loss_summary(trace: Trace, width: int) -> Text:
    """All losses on one line for a few training steps; a sparkline and the first and last few beyond."""
    losses = trace.losses
    line = Text("Loss per training step: ", style="bold")
    if len(losses) <= LOSS_ROWS:
        line.append(" · ".join(f"{i}: {number(x, 6)}" for i, x in enumerate(losses)) or "none recorded")
        return line
    first, last = number(losses[0], 6), number(losses[-1], 6)
    room = width - len(line.plain) - len(first) - len(last) - 2
    line.append(f"{first} ")
    line.append("".join(bar for _, _, bar in sparkline_cells(losses, max(8, room))), style="cyan")
    line.append(f" {last}\n  ")
    line.append(" · ".join(f"{i}: {number(losses[i], 6)}" for i in range(_EDGE)))
    line.append("  …  ")
    line.append(" · ".join(f"{i}: {number(losses[i], 6)}" for i in range(len(losses) - _EDGE, len(losses))))
    return line
