"""Bounded detail: record a script's first K training steps in full, let the rest run unrecorded.

Learner scripts train for thousands of steps; recording all of them is slow and keeps every
array. Training steps are only known for sure after the run (structure.py: a step ends when a
parameter is updated a second time), so the recorder applies the same rule as it goes, to the
updates alone. When the first update of training step K comes, every update of step K−1 has
happened: recording stops there and everything recorded after step K−1's last update (its
forward and backward pass) is dropped, so the analysed trace ends on a complete training step.

Afterwards only the site of that first update is counted, cheaply, to say how many training
steps the script ran in all.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from bptrace.codetrace.layers import node_parents
from bptrace.codetrace.structure import _SCALING, _drawn

if TYPE_CHECKING:
    from bptrace.codetrace.runtime import Recorder


class StepLimit:
    """Follows the training steps while the recorder records; stops it after ``limit`` of them."""

    def __init__(self, recorder: Recorder, limit: int) -> None:
        self.recorder = recorder
        self.limit = limit
        self.root: dict[int, int] = {}  # parameter version -> lineage root (as Structure.root)
        self.sources: dict[int, bool] = {}
        self.seen: set[int] = set()  # parameters updated in the current step
        self.step_sites: list[int] = []  # the sites of the current step's updates, in order
        self.done = 0  # complete training steps recorded
        self.cut = (0, 0, 0)  # len of nodes, calls, failed just after the latest update
        self.per_step = 1  # how often the counted site ran in a recorded step (a `for k in params` loop: 4)

    def update(self, index: int) -> None:
        """The recorder recorded an in-place `W -= …` or a rebinding `W = W - …`: Structure's update rule."""
        recorder = self.recorder
        node = recorder.nodes[index]
        if node.op not in ("subtract", "add") or len(node.parents) < 2:
            return
        old, step = node.parents[0], node.parents[1]
        if not (isinstance(old, int) and isinstance(step, int) and self._is_source(old)):
            return
        root = self.root.get(old, old)
        self.root[index] = root
        self.root.setdefault(old, root)
        if root in self.seen:  # a parameter updated again: training step `done` is complete
            self.done += 1
            if self.done == self.limit:
                self.per_step = self.step_sites.count(node.site) or 1
                recorder.stop(*self.cut, tally_site=node.site)
                return
            self.seen, self.step_sites = set(), []
        self.seen.add(root)
        self.step_sites.append(node.site)
        self.cut = (index + 1, len(recorder.calls), len(recorder.failed))

    def _is_source(self, index: int) -> bool:
        """Structure.is_source: an initialisation (drawn or written, maybe scaled) or an update's result."""
        if index in self.root:
            return True
        known = self.sources.get(index)
        if known is None:
            node = self.recorder.nodes[index]
            parents = node_parents(node)
            known = not parents or _drawn(node) or (node.op in _SCALING and all(self._is_source(p) for p in parents))
            self.sources[index] = known
        return known

    def total(self) -> int | None:
        """Training steps the script ran in all, once recording stopped (None: it never did)."""
        if self.recorder.tally_site < 0:
            return None
        return self.limit + math.ceil(self.recorder.tally / self.per_step)


def note(recorded: int, total: int) -> str:
    """The scenario description's sentence (bptrace run's report shows it under its header)."""
    steps = "training step 0" if recorded == 1 else f"training steps 0–{recorded - 1}"
    return (f"Recorded in detail: {steps} ({recorded} of {total}); the rest of the script ran unrecorded "
            "(--steps N records more).")
