"""The memory budget of a recording (``--max-memory``): full detail while it fits, verdicts after.

The recorder counts the bytes its nodes hold (runtime.Recorder.kept). At the end of each training
step (StepLimit sees it, bound.py) the budget looks at what the steps so far keep. Once they no
longer fit, detail stops growing: the steps that fit are kept as they are (at least the first, so
there is always something to step through), and every later step is judged on its own as soon as
it is complete (window.py): its loss and its gradients' verdicts are kept, its values let go.

The loss is decided once, on the kept steps, when the budget is first exceeded (as record_code would
have decided it), so every step is judged under the same loss; record_code reuses that decision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bptrace.codetrace.context import CodeContext
from bptrace.codetrace.infer import Inferred, infer_loss
from bptrace.codetrace.structure import Structure
from bptrace.codetrace.window import Judged, judge_step

if TYPE_CHECKING:
    from bptrace.codetrace.runtime import Recorder

Cut = tuple[int, int, int]  # len of nodes, calls, failed at the end of a training step


class Budget:
    def __init__(self, limit: int, loss: str | None, reduction: str | None, hints: dict[str, str]) -> None:
        self.limit = limit
        self.loss, self.reduction = loss, reduction
        self.hints = hints
        self.inferred: Inferred | None = None  # the loss inferred on the kept steps, when none was given
        self.kept: Cut | None = None  # once exceeded: the end of the last training step kept in detail
        self.judged: list[Judged | None] = []  # per training step past the budget, in order
        self.names: dict[int, str] = {}  # parameter lineage root -> its name in the kept steps
        self.layer_sites: list[tuple[int, int, str]] = []  # the kept steps' layers, by line (structure.py)
        self.failed = False  # the kept steps gave no loss to judge later ones with
        self.final: dict[str, np.ndarray] = {}  # parameters after the last judged step (capture)
        # Once exceeded: the structure of the kept steps, which are all the recording keeps (analyse reads it).
        self.structure: Structure | None = None

    @property
    def exceeded(self) -> bool:
        return self.kept is not None

    def step_done(self, recorder: Recorder, lineage: dict[int, int], done: int, start: Cut, end: Cut,
                  end_bytes: int) -> None:
        """Training step ``done - 1`` (recorded between the cuts ``start`` and ``end``) is complete;
        ``end_bytes`` is what the recording held at ``end``."""
        if self.kept is None:
            if end_bytes <= self.limit or done == 1:
                return
            self._exceed(recorder, start)
        self.judge(recorder, lineage, start[0], end[0], start[1])
        recorder.release(start[0], end[0])  # this step's nodes, and the earlier ones the script still held
        for call in recorder.calls[start[1]:end[1]]:
            call.args = ()  # a call's arguments would keep its arrays alive

    def _exceed(self, recorder: Recorder, kept: Cut) -> None:
        """The steps before ``kept`` are all that keeps values; fix the loss and the names on them now."""
        self.kept = kept
        nodes = recorder.nodes[: kept[0]]
        failed = [(f.site, f.op, f.parents) for f in recorder.failed[: kept[2]]]
        structure = self.structure = Structure(nodes, failed, hints=self.hints)
        self.names = dict(structure.names)
        first = structure.steps[0].layers if structure.steps else []
        self.layer_sites = [(nodes[la.z].site, nodes[la.a].site, la.activation) for la in first]
        if self.loss is None:
            was = recorder.enabled
            recorder.enabled = False  # inference may call the learner's helpers: not part of the run
            try:
                ctx = CodeContext(nodes, recorder.sites, recorder.calls[: kept[1]], structure, recorder)
                self.inferred = infer_loss(ctx, self.reduction)
            finally:
                recorder.enabled = was
            if self.inferred is None:
                self.failed = True
                return
            self.loss, self.reduction = self.inferred.loss, self.inferred.reduction
        self.reduction = self.reduction or "mean"

    def judge(self, recorder: Recorder, lineage: dict[int, int], start: int, end: int, calls: int) -> None:
        """Judge the training step in nodes ``start``..``end`` (calls from ``calls`` on), and keep the verdict."""
        if self.failed or self.loss is None:
            self.judged.append(None)
            return
        was = recorder.enabled
        recorder.enabled = False
        try:
            judged = judge_step(recorder.nodes, recorder.calls[calls:], recorder.sites, start, end, self.loss,
                                self.reduction or "mean", self.hints, self.names, lineage,
                                self.layer_sites)
        except Exception:  # a step the one-step analysis cannot read is a step without a verdict, not a crash
            judged = None
        finally:
            recorder.enabled = was
        self.judged.append(judged)

    def capture(self, recorder: Recorder, lineage: dict[int, int]) -> None:
        """The parameters as the last judged step left them (the trace's ``parameters``), before the
        nodes past the kept steps are cut."""
        latest: dict[int, int] = {}
        for version, root in lineage.items():
            if version >= 0 and root in self.names:
                latest[root] = max(latest.get(root, root), version)
        for root, version in latest.items():
            value = recorder.nodes[version].value if version < len(recorder.nodes) else None
            if isinstance(value, np.ndarray) and version not in recorder.released:
                self.final[self.names[root]] = np.array(value, dtype=np.float64)
