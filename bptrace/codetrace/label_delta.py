"""The loss-output mismatch of integer-label code: an output delta written at the labels into the wrong array.

Kept apart from targets.py, which finds the labels while the structure is built: this is diagnosis, and
reads the finished CodeContext.
"""

from __future__ import annotations

import numpy as np

from bptrace.codetrace.arguments import passed_at
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.layers import node_parents
from bptrace.codetrace.runtime import Const
from bptrace.codetrace.targets import COPIES, label_index
from bptrace.numbers import array_summary


def label_delta(ctx: CodeContext, step: StepInfo, index: int) -> tuple[str, Hit] | None:
    """An output delta written at the labels (``dscores[range(N), y] -= 1``) into a copy of something other
    than the output (the scores before the softmax): the loss-output mismatch of integer-label code. Named
    where the wrong array was chosen: the call that passed it in as an argument, else the line that copied it."""
    structure, nodes = ctx.structure, ctx.nodes
    node = nodes[index]
    if step.target_value is None or step.output is None or node.op != "setitem" or len(node.parents) != 3:
        return None
    array, where = node.parents[0], node.parents[1]
    pdep = structure.param_dependent()
    if not (isinstance(array, int) and isinstance(where, Const) and array in pdep):
        return None
    if label_index(where.value, np.shape(nodes[array].value)) is None:
        return None
    copy, source = None, array
    while nodes[source].op in COPIES and node_parents(nodes[source]) and not nodes[source].inplace:
        copy, source = source, node_parents(nodes[source])[0]
    if source == step.output or source in step.ydep:
        return None  # built from the probabilities: the delta's form is right, a mistake is elsewhere
    site = passed_at(ctx, source, copy if copy is not None else index)
    if site is None:
        site = ctx.site_of(copy) if copy is not None else ctx.site_of(index)
    out = ctx.name(step.output)
    return "loss-output-mismatch", Hit(index, site, f"the output delta {ctx.name(index)} subtracts 1 at the labels "
        f"from {ctx.name(source)} = {array_summary(ctx.value(source))}, not from the output {out} = "
        f"{array_summary(ctx.value(step.output))}: with cross-entropy on a softmax output the delta is {out} minus "
        "the one-hot labels.", fix=f"Start the delta from a copy of the softmax output {out}.")

