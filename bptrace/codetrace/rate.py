"""What an update statement does to its parameter, read algebraically.

``W2 -= lr * A1.T @ dZ2`` is ``(lr * A1.T) @ dZ2`` in Python: the learning rate sits inside the product,
and no array of the program holds the gradient. Scalar factors move freely through products, so the
update is read as ΔP = sign · (product of the statement's scalar factors) · G, where G is what is left
once the scalars are pulled out: the learner's gradient, as a value (and as a node when one holds it).

Only the update's own statement is read: a ``1/m`` written in the line that computes ``dW`` belongs to
the gradient, a ``/ n_records`` written in the update line belongs to the update.
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.flow import MATMUL, Update
from bptrace.codetrace.runtime import Const

_DIVIDE = frozenset({"divide", "true_divide"})


@dataclass
class Rate:
    """An update statement's scalars and the gradient they multiply."""

    factors: list[float] = field(default_factory=list)  # every scalar factor, in the order met
    gradient: int | None = None  # the node holding G, when one does
    step: int | None = None  # the node of the whole step (sign aside): ΔP = sign · step
    fused: bool = False  # a scalar written as a quotient (eta / len(batch)): it may hold a 1/m

    @property
    def product(self) -> float:
        return math.prod(self.factors) if self.factors else 1.0

    def learning_rate(self, samples: int) -> float:
        """The factors that are not the reduction's 1/m: what the learner chose as a step size."""
        rate = [f for f in self.factors if not _is_reduction(f, samples)]
        return math.prod(rate) if rate else 1.0

    def reduction(self, samples: int) -> float:
        """The product of the factors that are the reduction's 1/m (1.0 when there are none)."""
        return math.prod(f for f in self.factors if _is_reduction(f, samples)) if self.factors else 1.0


def _is_reduction(factor: float, samples: int) -> bool:
    return samples > 1 and math.isclose(factor, 1.0 / samples, rel_tol=1e-9)


def read_update(ctx: CodeContext, update: Update, ydep: set[int]) -> Rate | None:
    """The update's scalars and gradient; None for an update that raised (no step node to read)."""
    if update.node < 0:
        return None
    parents = ctx.nodes[update.node].parents
    if len(parents) < 2 or not isinstance(parents[1], int):
        return None
    stmt = _stmt(ctx, update.node)
    rate = Rate(step=parents[1])
    current: int | None = parents[1]
    while current is not None:
        current = _peel(ctx, current, stmt, ydep, rate)
    return rate


def _peel(ctx: CodeContext, index: int, stmt: int | None, ydep: set[int], rate: Rate) -> int | None:
    """Pull one scalar factor out of ``index``; the node to look at next, or None when done."""
    node = ctx.nodes[index]
    if _stmt(ctx, index) != stmt or not node.parents:
        rate.gradient = index
        return None
    parents = node.parents
    if node.op == "negative" and isinstance(parents[0], int):
        rate.factors.append(-1.0)
        return parents[0]
    if node.op == "multiply" and len(parents) == 2:
        scalar = [p for p in parents if _scalar(ctx, p, ydep) is not None]
        arrays = [p for p in parents if p not in scalar]
        if len(scalar) == 1 and len(arrays) == 1 and isinstance(arrays[0], int):
            rate.factors.append(_scalar(ctx, scalar[0], ydep))  # type: ignore[arg-type]
            rate.fused = rate.fused or _written_as_quotient(ctx, index, parents.index(scalar[0]))
            return arrays[0]
    if node.op in _DIVIDE and len(parents) == 2 and isinstance(parents[0], int):
        value = _scalar(ctx, parents[1], ydep)
        if value is not None and value != 0:
            rate.factors.append(1.0 / value)
            return parents[0]
    if (node.op in MATMUL or node.op == "multiply") and len(parents) == 2:
        # (lr * A1.T) @ dZ2, (lr * h[:, None]) * error: a scalar inside an operand scales the whole product.
        pulled = False
        for parent in parents:
            if (
                isinstance(parent, int)
                and _stmt(ctx, parent) == stmt
                and ctx.nodes[parent].op in ("multiply", *_DIVIDE)
            ):
                inner = Rate()
                rest = _peel(ctx, parent, stmt, ydep, inner)
                if inner.factors and rest is not None:
                    rate.factors.extend(inner.factors)
                    rate.fused = rate.fused or inner.fused
                    pulled = True
        if pulled:
            rate.gradient = None  # no array of the program holds the gradient itself
            return None
    rate.gradient = index
    return None


def _scalar(ctx: CodeContext, parent: int | Const, ydep: set[int]) -> float | None:
    """A scalar operand that is not itself a gradient: a Python number, a 0-d NumPy value (np.float32(0.3))."""
    if isinstance(parent, Const):
        value = parent.value
    else:
        if parent in ydep or np.ndim(ctx.nodes[parent].value) != 0:
            return None
        value = ctx.nodes[parent].value
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _stmt(ctx: CodeContext, index: int) -> int | None:
    site = ctx.nodes[index].site
    return ctx.sites[site].stmt if site >= 0 else None


def _written_as_quotient(ctx: CodeContext, index: int, position: int) -> bool:
    """Is the scalar operand written as a quotient in the source (``(eta / len(batch)) * nw``)? Such a
    factor can carry the reduction's 1/m folded into the learning rate."""
    site = ctx.nodes[index].site
    if site < 0:
        return False
    quotients = ctx.quotient_operands.get(site)
    if quotients is None:
        quotients = ctx.quotient_operands[site] = _quotient_operands(ctx.sites[site].text)
    return quotients[0 if position == 0 else 1]


def _quotient_operands(text: str) -> tuple[bool, bool]:
    """For a product ``a * b``, whether each operand is written as a quotient."""
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        return (False, False)
    if not (isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult)):
        return (False, False)
    left, right = (isinstance(operand, ast.BinOp) and isinstance(operand.op, ast.Div)
                   for operand in (tree.left, tree.right))
    return left, right


def effective_gradient(ctx: CodeContext, update: Update, rate: Rate) -> np.ndarray | None:
    """−ΔP / |product of the scalars|: the gradient the update descends along, as the learner computed it
    (``W += -lr * dW`` and ``W -= lr * dW`` both descend along dW). From the step's own value, not from
    new − old, which would lose precision to cancellation."""
    if rate.step is None or rate.product == 0:
        return None
    step = np.asarray(ctx.nodes[rate.step].value)
    sign = 1.0 if ctx.nodes[update.node].op == "add" else -1.0
    with np.errstate(all="ignore"):
        # (−sign·step) / |product| in one float64 copy, worked on in place: the same operations in the same
        # order as the expression, without its two full-size temporaries.
        out = step.astype(np.float64)
        if out.ndim == 0:
            return -sign * out / abs(rate.product)
        np.multiply(out, -sign, out=out)
        np.divide(out, abs(rate.product), out=out)
        return out
