"""Which true gradient (and factor) an array of the learner's equals: what diagnose, explain and scale ask."""

from __future__ import annotations

import numpy as np

from bptrace.codetrace.compare import close, relative_error, scales
from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.flow import StepInfo
from bptrace.codetrace.truth import Truth


class Matcher:
    """Which true gradient (and factor) an array of the learner's equals."""

    def __init__(self, ctx: CodeContext, step: StepInfo, truth: Truth) -> None:
        self.ctx, self.step, self.truth = ctx, step, truth
        layer_nodes = [la.a for la in step.layers] + [la.z for la in step.layers]
        in_layers = set(layer_nodes)
        others = sorted((n for n in step.cone if n not in in_layers), reverse=True)
        self.order = [n for n in layer_nodes + others if n in truth.grads]
        # A layer's Z or A first, whatever the factor: Y − A2 is −m·∂L/∂Z2 before it is m·∂L/∂(−Z2), the
        # inside of a hand-written sigmoid.
        self.tiers = ({n for n in layer_nodes if n in truth.grads}, {n for n in others if n in truth.grads})
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
            for tier in self.tiers:  # a layer's Z or A first, whatever the factor
                for factor in self.factors:
                    # A necessary condition of close() at the top element, kept loose (1%) so that it stays
                    # one whatever tolerance close() applies (float32 is compared at float32 precision).
                    near = np.abs(got - factor * want) <= 1e-2 * np.abs(factor * want)
                    for k in np.flatnonzero(near):
                        if nodes[k] in tier and close(value, factor * self.truth.grads[nodes[k]]):
                            return nodes[k], factor
        return None

    def _match_all(self, value: np.ndarray) -> tuple[int, float] | None:
        for tier in self.tiers:
            for factor in self.factors:
                for node in (n for n in self.order if n in tier):
                    g = self.truth.grads[node]
                    if g.shape == value.shape and close(value, factor * g):
                        return node, factor
        return None

    def nearest(self, value: np.ndarray) -> int | None:
        """The forward node whose gradient the array is closest to (for expected-vs-got)."""
        value = np.asarray(value, dtype=np.float64)
        best = [
            (relative_error(value, self.truth.grads[n]), n)
            for n in self.order
            if self.truth.grads[n].shape == value.shape
        ]
        return min(best)[1] if best else None
