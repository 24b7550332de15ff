"""Check every gradient the learner's code produced against the truth; name the first divergence.

Per parameter update ``W -= lr * G`` the effective gradient G is compared with
the true ∂L/∂W. A wrong G is explained directly when the numbers say how
(sign, 1/m, transpose, bias axis, shape); otherwise its derivation is walked
in the order the code ran, to the first named array that equals no true
gradient, and ``explain`` names the cause there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from bptrace.codetrace.compare import close, relative_error, scales
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.explain import explain, explain_cause
from bptrace.codetrace.structure import StepInfo, Update
from bptrace.codetrace.truth import Truth
from bptrace.codetrace.warn import silent_broadcast
from bptrace.numbers import array_summary


@dataclass
class StepCheck:
    """One training step's verdict: errors found, references per node, gradients both ways."""

    hits: dict[str, list[Hit]] = field(default_factory=dict)
    references: dict[int, np.ndarray] = field(default_factory=dict)
    gradients: dict[str, np.ndarray] = field(default_factory=dict)
    true_gradients: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, finding_id: str, hit: Hit) -> None:
        self.hits.setdefault(finding_id, []).append(hit)
        if hit.expected is not None:  # the guilty step shows what it should have held
            self.references[hit.node] = hit.expected


class Matcher:
    """Which true gradient (and factor) an array of the learner's equals."""

    def __init__(self, ctx: CodeContext, step: StepInfo, truth: Truth) -> None:
        self.ctx, self.step, self.truth = ctx, step, truth
        layer_nodes = [la.a for la in step.layers] + [la.z for la in step.layers]
        in_layers = set(layer_nodes)
        others = sorted((n for n in step.cone if n not in in_layers), reverse=True)
        self.order = [n for n in layer_nodes + others if n in truth.grads]
        self.factors = scales(truth.samples)
        self._pivots: dict[tuple[int, ...], tuple[list[int], np.ndarray, np.ndarray]] | None = None

    def _pivot_table(self) -> dict[tuple[int, ...], tuple[list[int], np.ndarray, np.ndarray]]:
        """Each gradient's largest element, where `close` is tightest: one vectorised scalar test per shape
        rules most candidates out before the whole-array one (a step of 40 per-sample passes has hundreds
        of same-shape gradients)."""
        if self._pivots is None:
            by_shape: dict[tuple[int, ...], list[int]] = {}
            for node in self.order:
                by_shape.setdefault(self.truth.grads[node].shape, []).append(node)
            self._pivots = {}
            for shape, nodes in by_shape.items():
                if not int(np.prod(shape)):
                    continue
                flats = [self.truth.grads[n].reshape(-1) for n in nodes]
                at = np.array([int(np.argmax(np.abs(f))) for f in flats])
                want = np.array([f[i] for f, i in zip(flats, at, strict=True)], dtype=np.float64)
                self._pivots[shape] = (nodes, at, want)
        return self._pivots

    def match(self, value: np.ndarray) -> tuple[int, float] | None:
        value = np.asarray(value)
        pivots = self._pivot_table().get(value.shape)
        if pivots is None or value.dtype.kind not in "fiub":
            return self._match_all(value)
        nodes, at, want = pivots
        got = value.reshape(-1)[at].astype(np.float64)
        with np.errstate(all="ignore"):
            for factor in self.factors:
                # A necessary condition of close() at the top element, kept loose (1%) so that it stays one
                # whatever tolerance close() applies (float32 is compared at float32 precision).
                near = np.abs(got - factor * want) <= 1e-2 * np.abs(factor * want)
                for k in np.flatnonzero(near):
                    if close(value, factor * self.truth.grads[nodes[k]]):
                        return nodes[k], factor
        return None

    def _match_all(self, value: np.ndarray) -> tuple[int, float] | None:
        for factor in self.factors:
            for node in self.order:
                g = self.truth.grads[node]
                if g.shape == value.shape and close(value, factor * g):
                    return node, factor
        return None

    def nearest(self, value: np.ndarray) -> int | None:
        """The forward node whose gradient the array is closest to (for expected-vs-got)."""
        value = np.asarray(value, dtype=np.float64)
        best = [(relative_error(value, self.truth.grads[n]), n) for n in self.order if self.truth.grads[n].shape == value.shape]
        return min(best)[1] if best else None


def check_step(ctx: CodeContext, step: StepInfo, truth: Truth) -> StepCheck:
    result = StepCheck()
    matcher = Matcher(ctx, step, truth)
    explained: set[int] = set()
    for update in sorted(step.updates, key=lambda u: (u.gradient or 0)):
        root = ctx.structure.root.get(update.old, update.old)
        name = ctx.structure.names.get(root, ctx.name(update.old))
        version = step.params.get(root)
        if update.gradient is None or version is None or version not in truth.grads:
            continue
        g = truth.grads[version]
        got = np.asarray(ctx.value(update.gradient), dtype=np.float64)  # no copy: only read
        if not (g.size == 0 or (math.isfinite(g.max()) and math.isfinite(g.min()))):  # max/min: no temporary
            continue  # no verdict against a non-finite truth; non-finite values are their own finding
        direction = -update.sign * (1.0 if update.learning_rate >= 0 else -1.0)
        effective = got if direction > 0 else -got  # W -= lr·dW: the learner's own array, not a copy of it
        result.gradients[name] = effective
        result.true_gradients[name] = g
        result.references[update.gradient] = g if direction > 0 else -g
        _check_parameter(ctx, step, truth, matcher, update, name, effective, g, result, explained)
    for finding_id in ("gradient-scale", "update-sign", "shape-broadcast", "transpose"):
        _collapse(ctx, result, finding_id)
    if step.index == 0 or result.hits:  # every step of a long loop would cost more than it shows
        _reference_deltas(ctx, step, matcher, result)
    # A reference of another shape than the learner's array (bias summed over the wrong axis, a broadcast
    # delta) has no entry to compare with: the finding's message says the expected shape instead.
    result.references = {i: r for i, r in result.references.items() if np.shape(r) == np.shape(ctx.nodes[i].value)}
    result.gradients = dict(sorted(result.gradients.items(), key=_parameter_order))
    result.true_gradients = dict(sorted(result.true_gradients.items(), key=_parameter_order))
    return result


def _parameter_order(item: tuple[str, object]) -> tuple[int, str]:
    """W1, b1, W2, b2 … (layer number first)."""
    name = item[0]
    return (int(name[1:]) if name[1:].isdigit() else 1 << 20, name)


def _reference_deltas(ctx: CodeContext, step: StepInfo, matcher: Matcher, result: StepCheck) -> None:
    """Each named array of the backward pass that is a true gradient gets it as its reference."""
    start = step.first_loss_op or step.start
    for index in sorted(step.ydep):
        if index < start or index in result.references or not ctx.named(index):
            continue
        matched = matcher.match(ctx.value(index))
        if matched is not None:
            node, factor = matched
            result.references[index] = factor * matcher.truth.grads[node]


def _collapse(ctx: CodeContext, result: StepCheck, finding_id: str) -> None:
    """One finding for one habit: the first line, naming the others, not four copies."""
    hits = sorted(result.hits.get(finding_id, []), key=lambda h: h.node)
    if len(hits) < 2:
        return
    first_line = ctx.sites[hits[0].site].line if hits[0].site is not None else None
    lines = sorted({ctx.sites[h.site].line for h in hits[1:] if h.site is not None} - {first_line})
    also = f" The same at line(s) {', '.join(map(str, lines))}." if lines else ""
    first = hits[0]
    result.hits[finding_id] = [Hit(first.node, first.site, first.message + also, first.expected)]


def _check_parameter(
    ctx: CodeContext, step: StepInfo, truth: Truth, matcher: Matcher, update: Update, name: str,
    effective: np.ndarray, g: np.ndarray, result: StepCheck, explained: set[int],
) -> None:
    grad_node = update.gradient
    assert grad_node is not None
    got_site = ctx.op_site(grad_node)
    learner = ctx.sites[update.site].target
    shown = name if learner in (None, name) else f"{name} ({learner})"
    m = truth.samples
    if close(effective, g):
        return
    # `W -= (eta / len(batch)) * nabla_w`, `W += lr * del_w / n_records`: the update divides the summed
    # gradient by m itself, so the sum is m times the mean and the step is right.
    folded = m > 1 and any(math.isclose(n, m) for n in update.divisors)
    if folded and close(effective, m * g):
        return
    numbers = f"expected ∂L/∂{shown} = {array_summary(g)}, got {array_summary(effective)}"
    if effective.shape != g.shape:
        if _after_broadcast(ctx, step, grad_node):
            pass  # reported where the broadcast happened (warn.silent_broadcast)
        elif effective.size == g.size and close(effective.reshape(g.shape), g):
            result.add("shape-broadcast", Hit(grad_node, got_site, f"{ctx.name(grad_node)} has shape "
                       f"{effective.shape} but {name} has shape {g.shape}: the numbers are right, the shape makes "
                       "the update broadcast."))
        elif name.startswith("b") and _bias_axis(ctx, step, truth, update, effective):
            result.add("bias-sum-axis", Hit(grad_node, got_site, f"{ctx.name(grad_node)} has shape "
                       f"{effective.shape}, {name} has shape {g.shape}: the bias gradient must sum ∂L/∂Z over the "
                       f"samples only ({numbers})."))
        elif effective.T.shape == g.shape and any(close(effective.T, f * g) for f in scales(m)):
            result.add("transpose", Hit(grad_node, got_site, f"{ctx.name(grad_node)} is the transpose of ∂L/∂{name} ({numbers})."))
        else:
            result.add("shape-broadcast", Hit(grad_node, got_site, f"{ctx.name(grad_node)} has shape {effective.shape} "
                       f"but {name} has shape {g.shape}: numpy broadcast them silently ({numbers})."))
        explained.add(grad_node)
        return
    if close(effective, -g) or (folded and close(effective, -m * g)):
        # The same step taken downhill: old − (new − old). Without the update's node, the hit is the
        # gradient, whose reference (±∂L/∂W) is already set above.
        downhill = 2 * ctx.value(update.old).astype(np.float64) - ctx.value(update.node) if update.node >= 0 else None
        result.add("update-sign", Hit(update.node if update.node >= 0 else grad_node, update.site,
                   f"{name} moved up its gradient: the update adds lr·∂L/∂{name} instead of subtracting it ({numbers}).",
                   downhill))
        return
    if m > 1 and (close(effective, m * g) or close(effective, g / m)):
        how = "m times" if close(effective, m * g) else "1/m of"
        if how == "m times" and len(step.pairs) > 1 and update.node >= 0:
            # Per-sample gradients summed, each right: the update is where the 1/m of the mean is missing.
            result.add("gradient-scale", Hit(update.node, update.site, f"the update adds up {len(step.pairs)} "
                       f"per-sample gradients of {name} and steps by their sum, m times the true ∂L/∂{shown} with "
                       f"m = {m} samples and reduction 'mean: divide the sum by m' ({numbers})."))
            return
        origin = _scale_origin(ctx, step, matcher, grad_node)
        factor = "m" if how == "m times" else "1/m"
        where = "" if origin == grad_node else f"{ctx.name(origin)} brings in the stray factor {factor}, so "
        result.add("gradient-scale", Hit(origin, ctx.op_site(origin), f"{where}{ctx.name(grad_node)} is {how} the "
                   f"true ∂L/∂{name} with m = {m} samples and reduction '{_reduction_word(truth, m, effective, g)}' "
                   f"({numbers}).", _unscaled(matcher, ctx.value(origin)) if origin != grad_node else None))
        return
    if name.startswith("b") and _bias_axis(ctx, step, truth, update, effective):
        result.add("bias-sum-axis", Hit(grad_node, got_site, f"{ctx.name(grad_node)} sums ∂L/∂Z over the wrong axis ({numbers})."))
        return
    if effective.ndim == 2 and any(close(effective.T, f * g) for f in scales(m)):
        result.add("transpose", Hit(grad_node, got_site, f"{ctx.name(grad_node)} is the transpose of ∂L/∂{name} ({numbers})."))
        return
    divergent = _first_divergence(ctx, step, matcher, grad_node)
    if divergent in explained:
        return
    explained.add(divergent)
    cause = explain_cause(ctx, step, matcher, divergent)
    if cause is not None or divergent != grad_node:
        result.add(*(cause or explain(ctx, step, matcher, divergent)))
    else:
        result.add("gradient-mismatch", Hit(grad_node, got_site, f"{ctx.name(grad_node)} is not ∂L/∂{name} and no known "
                                   f"mistake explains it ({numbers})."))


def _unscaled(matcher: Matcher, value: np.ndarray) -> np.ndarray | None:
    """The true gradient an array is m or 1/m times, in the learner's sign: the array without the stray factor."""
    matched = matcher.match(value)
    return None if matched is None else np.sign(matched[1]) * matcher.truth.grads[matched[0]]


def _reduction_word(truth: Truth, m: int, effective: np.ndarray, g: np.ndarray) -> str:
    return "mean: divide by m" if close(effective, m * g) else "sum: do not divide by m"


def _first_divergence(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int) -> int:
    chain = ctx.structure.derivation(step, gradient)
    start = step.first_loss_op or 0
    for index in sorted(chain):
        if index < start:
            continue  # the targets and what the code derived from them alone
        if (index == gradient or ctx.named(index)) and matcher.match(ctx.value(index)) is None:
            return index
    return gradient


def _scale_origin(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int) -> int:
    """Where the stray m or 1/m was written: the first op of the derivation that turns a true gradient
    (factor 1) into m or 1/m times one. A reduction the code ignores writes none: the gradient is named."""
    m = matcher.truth.samples
    start = step.first_loss_op or 0
    for index in sorted(ctx.structure.derivation(step, gradient)):
        matched = matcher.match(ctx.value(index)) if index >= start else None
        if matched is None or not (np.isclose(abs(matched[1]), m) or np.isclose(abs(matched[1]), 1 / m)):
            continue
        befores = [matcher.match(ctx.value(p)) for p in ctx.nodes[index].parents if isinstance(p, int) and p in step.ydep]
        if any(b is not None and abs(b[1]) == 1.0 for b in befores):
            return index
        if index >= start and all(b is None for b in befores) and _from_output(ctx, step, index) and \
                not _feeds_a_right_gradient(ctx, step, matcher, index):
            return index  # the output delta carries the factor into every gradient: (probs - Y) without / N
    return _first_version(ctx, step, matcher, gradient)


def _first_version(ctx: CodeContext, step: StepInfo, matcher: Matcher, gradient: int) -> int:
    """The learner's gradient array as first computed, when later in-place additions (``dW += reg * W``) kept
    its factor: the line that wrote the scaled numbers, not the one that touched them last."""
    matched = matcher.match(ctx.value(gradient))
    current = gradient
    while matched is not None and ctx.nodes[current].inplace:
        old = ctx.nodes[current].parents[0]
        before = matcher.match(ctx.value(old)) if isinstance(old, int) and old in step.ydep else None
        if before is None or not np.isclose(abs(before[1]), abs(matched[1])):
            break
        current = old
    return current


def _feeds_a_right_gradient(ctx: CodeContext, step: StepInfo, matcher: Matcher, index: int) -> bool:
    """Is some update's gradient computed from ``index`` right? Then the code divides later, per gradient
    (dW = 1/m * dZ @ A.T), and a gradient missing its 1/m is missing it on its own line."""
    for update in step.updates:
        if update.gradient is None or index not in ctx.structure.derivation(step, update.gradient):
            continue
        matched = matcher.match(ctx.value(update.gradient))
        if matched is not None and abs(matched[1]) == 1.0:
            return True
    return False


def _from_output(ctx: CodeContext, step: StepInfo, index: int) -> bool:
    """Is the node computed from the network's output and the targets alone (an output delta)?"""
    parents = [p for p in ctx.nodes[index].parents if isinstance(p, int)]
    return step.output is not None and any(p == step.output or p in step.cone for p in parents) and \
        all(p in step.cone or p not in step.ydep or p == step.target for p in parents)


def _after_broadcast(ctx: CodeContext, step: StepInfo, gradient: int) -> bool:
    hits = silent_broadcast(ctx)
    if not hits:
        return False
    return hits[0].node in ctx.structure.derivation(step, gradient)


def _bias_axis(ctx: CodeContext, step: StepInfo, truth: Truth, update: Update, effective: np.ndarray) -> bool:
    """Does the learner's bias gradient equal ∂L/∂Z unsummed, or summed over another axis?"""
    version = step.params.get(ctx.structure.root.get(update.old, update.old))
    for index in step.cone:
        node = ctx.nodes[index]
        if node.op != "add" or version not in node.parents or index not in truth.grads:
            continue
        gz = truth.grads[index]
        options = [gz] + [gz.sum(axis=a, keepdims=k) for a in range(gz.ndim) for k in (True, False)]
        options += [gz.sum()]
        # A sum that cancels (softmax deltas sum to 0 over the classes) is rounding noise on both sides:
        # judged against the size of the summed terms, not against the noise itself.
        noise = 1e-9 * float(np.abs(gz).max(initial=0.0)) * max(gz.size, 1)
        for option in options:
            option = np.asarray(option)
            for factor in scales(truth.samples):
                if option.shape == effective.shape and (close(effective, factor * option) or (
                        float(np.abs(option).max(initial=0.0)) <= noise
                        and float(np.abs(effective).max(initial=0.0)) <= noise * abs(factor))):
                    return True  # callers ask only after the right sum (and its factors) failed
    return False
