"""A gradient that is exactly c times the true one: name c, its likely cause, and the line that wrote it.

The factor comes from a least-squares fit of the learner's effective gradient on the true one
(``compare.fit``), so any constant is found, not only the batch size: 2.0 (a sum of squares without
½), ½, m or 1/m, 50/60 (m taken from another array), a learning rate folded in twice.
"""

from __future__ import annotations

import ast
import math
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from bptrace.codetrace.compare import close, fit
from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.layers import node_parents
from bptrace.codetrace.runtime import Const

if TYPE_CHECKING:
    from bptrace.codetrace.matcher import Matcher


def same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-3)


def legit(factor: float, samples: int) -> bool:
    """A factor an intermediate array may carry: the sign, and where the reduction's 1/m is placed."""
    f = abs(factor)
    return same(f, 1.0) or (samples > 1 and (same(f, samples) or same(f, 1.0 / samples)))


def factor_of(matcher: Matcher, value: np.ndarray, known: float | None = None) -> float | None:
    """The c with value ≈ c·(some true gradient): any c for arrays of two or more entries; for a single
    number (which any c fits) only the factors the matcher allows, and ±``known``, a factor already fitted
    on arrays of several entries (a per-sample network's output delta is one number)."""
    value = np.asarray(value)
    if value.size < 2:
        matched = matcher.match(value)
        if matched is None and known is not None:
            for node in matcher.order:
                g = matcher.truth.grads[node]
                c = next((c for c in (known, -known) if g.shape == value.shape and close(value, c * g)), None)
                if c is not None:
                    return c
        return None if matched is None else matched[1]
    for node in matcher.order:
        g = matcher.truth.grads[node]
        if g.shape == value.shape:
            c = fit(value, g)
            if c is not None:
                return c
    return None


def cause(factor: float, samples: int, loss: str | None = None) -> str:
    """The factor in words, with its likely cause."""
    m = samples
    if same(factor, 2.0):
        return "2.0×: the gradient of Σ(ŷ−y)² without the ½ (or a 2 the loss does not have)"
    if same(factor, 0.5):
        return "0.5×: the 2 of Σ(ŷ−y)² left out (the loss has no ½)" if loss != "half_sse" else \
            "0.5×: a ½ the loss does not have"
    if m > 1 and same(factor, m):
        return f"{m}× (m = {m} samples): the 1/m of a mean loss is missing"
    if m > 1 and same(factor, 1.0 / m):
        return f"1/{m}× (m = {m} samples): divided by m once too often, or 1/m with a sum loss"
    ratio = Fraction(factor).limit_denominator(1000)
    if abs(float(ratio) - factor) <= 1e-6 * abs(factor) and ratio.denominator > 1:
        n, d = ratio.numerator, ratio.denominator
        if m > 1 and d != 1 and (m % n == 0 or m % d == 0):
            # 1/d' used where 1/m was meant: m/d' = n/d reduced.
            used = Fraction(m) / ratio
            if used.denominator == 1:
                return (f"{n}/{d}× = {factor:.4g}×: 1/m with m = {int(used)} used where the batch has {m} samples "
                        "(m taken from another array?)")
        return f"{n}/{d}× = {factor:.4g}×"
    return f"{factor:.4g}×"


def introducer(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int, k: float) -> int | None:
    """The op of the derivation that wrote the stray factor: its output carries the factor (or one no
    reduction explains) while the gradients it was computed from carry none (``2 * dW``, ``/ K``, ``1/60``,
    a second ``/ m``)."""
    m = matcher.truth.samples
    start = step.first_loss_op or 0
    for index in sorted(ctx.structure.derivation(step, gradient)):
        if index < start:
            continue
        if not _scalar_op(ctx, index, step.ydep):
            continue
        # The array the scalar multiplies (its own derivation may lie outside the step's: a layer object
        # handed the delta by a caller).
        parents = [p for p in node_parents(ctx.nodes[index]) if np.ndim(ctx.nodes[p].value) > 0 or p in step.ydep]
        own = factor_of(matcher, ctx.value(index))
        if own is None or not (same(abs(own), abs(k)) or not legit(own, m)):
            continue  # a factor an intermediate may carry (2·(ŷ−y) turning (ŷ−y) right is no stray factor)
        known = [f for f in (factor_of(matcher, ctx.value(p)) for p in parents) if f is not None]
        if known and all(legit(f, m) and not same(abs(f), abs(own)) for f in known):
            return index
    return None


def birth(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int, k: float) -> int | None:
    """The output delta, when it carries the factor from the start: the first array of the derivation
    that does, built from no other gradient (``p - Y`` missing its ``/ n``, ``(ŷ - y)`` missing its 2)."""
    start = step.first_loss_op or 0
    for index in sorted(ctx.structure.derivation(step, gradient)):
        if index < start or not (index == gradient or ctx.named(index)):
            continue
        own = factor_of(matcher, ctx.value(index), k)
        if own is None or not same(abs(own), abs(k)):
            continue
        # The statement's own subexpressions (``(y_pred - y_true)`` of ``return (y_pred - y_true) / n``)
        # are where it was born, not a gradient it was made from.
        chain = {c for c in ctx.structure.derivation(step, index) - {index} if not _same_statement(ctx, c, index)}
        if any(c >= start and factor_of(matcher, ctx.value(c), k) is not None for c in chain):
            return None  # made from a gradient by an op that is not a scalar: not where a factor was left out
        return index
    return None


def _scalar_op(ctx: CodeContext, index: int, ydep: set[int]) -> bool:
    """``2 * dW``, ``dW / N``, ``dscores /= K``: an op that multiplies or divides by a scalar; or a matrix
    product with such an operand, ``2 * X.T @ dZ1`` being ``(2 * X.T) @ dZ1``."""
    node = ctx.nodes[index]
    if node.op in ("matmul", "dot") and len(node.parents) == 2:
        operands = [p for p in node.parents if isinstance(p, int) and p not in ydep]
        return any(_same_statement(ctx, p, index) and _scalar_op(ctx, p, ydep) for p in operands)
    if node.op not in ("multiply", "divide", "true_divide") or len(node.parents) != 2:
        return False
    for parent in node.parents:
        if isinstance(parent, Const):
            return True
        if parent not in ydep and np.ndim(ctx.nodes[parent].value) == 0:
            return True
    return False


def batch_source(ctx: CodeContext, index: int, samples: int) -> tuple[int, str, int] | None:
    """For an op that scales by 1/n (or divides by n) with a whole n that is not the batch size: where the
    program bound n, as (bind site, name, n). ``m, n = data.shape`` read from the whole data set, say,
    where the batch is a slice of it."""
    node = ctx.nodes[index]
    consts = [(i, p.value) for i, p in enumerate(node.parents) if isinstance(p, Const)]
    if node.op not in ("multiply", "divide", "true_divide") or len(consts) != 1 or node.site < 0:
        return None
    position, value = consts[0]
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or value == 0:
        return None
    n = float(value) if node.op != "multiply" else 1.0 / float(value)
    if not (n > 1 and abs(n - round(n)) < 1e-9 * n and round(n) != samples):
        return None
    site = ctx.sites[node.site]
    try:
        tree = ast.parse(site.text, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(tree, ast.BinOp):
        return None
    operand = tree.left if position == 0 else tree.right
    names = [n_.id for n_ in ast.walk(operand) if isinstance(n_, ast.Name)]
    if len(names) != 1:
        return None
    binds = [i for i, s in enumerate(ctx.sites) if s.kind == "bind" and names[0] in s.names and s.file == site.file
             and s.line <= site.line]
    local = [i for i in binds if ctx.sites[i].depth == site.depth] or [i for i in binds if ctx.sites[i].depth == 0]
    if not local:
        return None
    return max(local, key=lambda i: ctx.sites[i].line), names[0], round(n)


def usual(factor: float, samples: int, rates: list[float], rtol: float) -> bool:
    """A factor a mistake writes exactly: 2, ½, m, 1/m, a learning rate folded in, or a ratio of small
    whole numbers (50/60). A wrong derivative can look like a constant factor too (σ′(σ(z)) ≈ 0.94·σ′(z)
    when every z is near 0); such an inexact ratio is left to the localisation by derivative."""
    f = abs(factor)
    m = float(max(samples, 1))
    candidates = [2.0, 0.5, m, 1.0 / m] + [abs(r) for r in rates if r] + [abs(r) * m for r in rates if r]
    if any(math.isclose(f, c, rel_tol=rtol) for c in candidates):
        return True
    ratio = Fraction(f).limit_denominator(12)
    return ratio.numerator <= 1000 and math.isclose(f, float(ratio), rel_tol=rtol)


def _same_statement(ctx: CodeContext, a: int, b: int) -> bool:
    sa, sb = ctx.nodes[a].site, ctx.nodes[b].site
    return sa >= 0 and sb >= 0 and ctx.sites[sa].stmt == ctx.sites[sb].stmt
