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

from bptrace.codetrace.updates import Lineages, is_candidate

if TYPE_CHECKING:
    from bptrace.codetrace.budget import Budget
    from bptrace.codetrace.runtime import Recorder


class StepLimit:
    """Follows the training steps while the recorder records; stops it after ``limit`` of them."""

    def __init__(self, recorder: Recorder, limit: int) -> None:
        self.recorder = recorder
        self.limit = limit
        self.lineages = Lineages(recorder.nodes)  # the same rule, fed the same candidates in the same order
        self.seen: set[int] = set()  # parameters updated in the current step
        self.step_sites: list[int] = []  # the sites of the current step's updates, in order
        self.done = 0  # complete training steps recorded
        self.cut = (0, 0, 0)  # len of nodes, calls, failed just after the latest update
        self.cut_bytes = 0  # what the recording held then (runtime.Recorder.kept)
        self.step_start = (0, 0, 0)  # the cut at the end of the previous training step
        self.budget: Budget | None = None  # the memory budget (budget.py), told of every complete step
        self.per_step = 1  # how often the counted site ran in a recorded step (a `for k in params` loop: 4)

    def update(self, index: int) -> None:
        """The recorder recorded an in-place `W -= …` or a rebinding `W = W - …`: updates.py's rule."""
        recorder = self.recorder
        node = recorder.nodes[index]
        if not is_candidate(node):
            return
        root = self.lineages.update(index, node.op, node.parents)
        if root is None:
            return
        if root in self.seen:  # a parameter updated again: training step `done` is complete
            self.done += 1
            if self.budget is not None:
                self.budget.step_done(recorder, self.lineages.root, self.done, self.step_start, self.cut,
                                      self.cut_bytes)
            self.step_start = self.cut
            if self.done == self.limit:
                self.per_step = self.step_sites.count(node.site) or 1
                kept = self.cut
                if self.budget is not None and self.budget.exceeded:
                    self.budget.capture(recorder, self.lineages.root)
                    kept = self.budget.kept
                recorder.stop(*kept, tally_site=node.site)  # type: ignore[misc]
                return
            self.seen, self.step_sites = set(), []
        self.seen.add(root)
        self.step_sites.append(node.site)
        self.cut = (index + 1, len(recorder.calls), len(recorder.failed))
        self.cut_bytes = recorder.kept

    def finish(self) -> None:
        """The script ended (or raised) while recording: past the budget, its last training step is judged
        like the others and only the kept steps stay recorded."""
        budget, recorder = self.budget, self.recorder
        if budget is None or not budget.exceeded or not recorder.enabled:
            return
        if self.seen:  # the last step made its updates (else it was cut short before any)
            self.done += 1
            budget.judge(recorder, self.lineages.root, self.step_start[0], len(recorder.nodes), self.step_start[1])
        assert budget.kept is not None
        budget.capture(recorder, self.lineages.root)
        recorder.truncate(*budget.kept)

    def total(self) -> int | None:
        """Training steps the script ran in all, once recording stopped (None: it never did)."""
        if self.recorder.tally_site < 0:
            return None
        return self.limit + math.ceil(self.recorder.tally / self.per_step)

