"""The debugger screen: timeline on the left, the current step in the centre, context below.

``current_step`` is the one piece of state that redraws everything; its
watcher hands each pane what it shows (attributes down), and panes report
clicks as messages (messages up). Symbolic forms come from worker threads.
"""

from __future__ import annotations

import re
import threading
from functools import partial
from pathlib import Path
from typing import ClassVar

import numpy as np
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from bptrace.errors import BadInput
from bptrace.inert import inert_trace, visible
from bptrace.limits import budget_text, step_ranges
from bptrace.trace import Step, Trace
from bptrace.tui.findings_pane import FindingsPane
from bptrace.tui.forms import FormCache, warm_up
from bptrace.tui.keybar import KeyBar
from bptrace.tui.loss_chart import LossChart
from bptrace.tui.messages import ElementReady, FormulasReady
from bptrace.tui.model import Location, TraceIndex
from bptrace.tui.network import NetworkDiagram
from bptrace.tui.source_pane import SourcePane
from bptrace.tui.step_view import StepContext, StepView
from bptrace.tui.timeline import Timeline, step_label
from bptrace.verdict_diff import LineMap, diff_findings, place_of, relocate


def default_element(shape: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(0 for _ in shape[:2])


def fits(index: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    return len(index) == min(len(shape), 2) and all(i < n for i, n in zip(index, shape, strict=False))


def move_element(index: tuple[int, ...], shape: tuple[int, ...], delta: int) -> tuple[int, ...]:
    """The element ``delta`` places on in row-major order, clamped to the matrix."""
    if not index:
        return index
    size = int(np.prod(shape[:2]))
    flat = int(np.ravel_multi_index(index, shape[:2])) + delta
    return tuple(int(i) for i in np.unravel_index(min(max(flat, 0), size - 1), shape[:2]))


def export_name(trace: Trace, suffix: str = ".json") -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", trace.scenario.name.lower()).strip("_")[:40] or "trace"
    return f"{slug}{suffix}"


class DebuggerScreen(Screen[None]):
    """One trace, stepped through like a program in a debugger."""

    # State is held in `var`s, not `reactive`s: a reactive on a Screen repaints the whole screen on
    # every change, and the watchers below already refresh exactly the panes that change.
    # priority: the focused step view would otherwise take ←/→/home/end to scroll.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,right", "step(1)", "Next", priority=True),
        Binding("p,left", "step(-1)", "Prev", priority=True),
        Binding("home", "first", "First", show=False, priority=True),
        Binding("end", "last", "Last", show=False, priority=True),
        Binding("f", "finding(1)", "Finding"),
        Binding("F", "finding(-1)", "Prev finding", show=False),
        Binding("b", "breakpoint", "Break"),
        Binding("c", "continue", "Cont."),
        Binding("g", "goto", "Goto"),
        Binding("s", "symbolic", "Detail"),
        Binding("left_square_bracket", "element(-1)", "Prev element", show=False),
        Binding("right_square_bracket", "element(1)", "Next element", show=False),
        Binding("d", "digits", "Digits", show=False),
        Binding("e", "export", "Export"),
    ]

    current_step: var[int] = var(0, init=False)
    """Index of the step shown; everything on screen follows it."""
    element_mode: var[bool] = var(False, init=False)
    """``s``: show one element written out instead of only the matrix form."""
    full_digits: var[bool] = var(False, init=False)
    """``d``: all 17 significant digits instead of 4."""

    def __init__(self, trace: Trace, *, recorded: Trace | None = None) -> None:
        super().__init__()
        self.trace = trace
        self.recorded = recorded or trace  # what `e` exports: ``trace`` may be the display copy (bptrace.inert)
        self.breakpoints: set[Location] = set()
        self.element_index: tuple[int, ...] = ()
        self._load(trace)
        # Watch mode: what changed since the last run (or why the last save gave no trace), and the steps
        # whose verdict flipped (bptrace.verdict_diff). Both outlive a re-run's recompose.
        self.changes: list[str] = []
        self.changes_bad = False
        self.flipped: dict[int, str] = {}

    def _load(self, trace: Trace) -> None:
        self.trace = trace
        self.index = TraceIndex(trace)
        self.forms = FormCache(trace)
        self.totals = (
            sum(1 for f in trace.findings if f.severity == "error"),
            trace.warning_count(),
        )

    def compose(self) -> ComposeResult:
        info = self.trace.scenario
        yield Static(id="status", markup=False)
        if getattr(self.app, "rerunner", None) is not None:  # code mode opened from a file: `w` watches it
            from bptrace.tui.watch import WatchStatus

            yield WatchStatus(id="watch-status")
        with Horizontal(id="body"):
            timeline = Timeline(self.index, id="timeline")
            timeline.breakpoints = self.breakpoints
            timeline.flipped = self.flipped
            yield timeline
            with Vertical(id="centre"):
                if info.mode == "code" and info.source_text is not None:
                    yield SourcePane(info.source_file or "source", info.source_text, id="source")
                yield StepView(id="step-view")
                yield FindingsPane(id="findings-pane")
                with Horizontal(id="strip"):
                    yield NetworkDiagram(info, id="network")
                    yield LossChart(self.trace.losses, id="loss")
        # compact, and ^p left to the help screen: every contract key fits in 80 columns
        yield KeyBar()

    def on_mount(self) -> None:
        self._show_trace()
        if self.trace.scenario.interrupted:  # `tui --code` with Ctrl-C while the script ran: this is what it recorded
            self.notify(f"Interrupted (Ctrl-C): the script was stopped; these are the {len(self.trace.losses)} "
                        "training step(s) recorded until then.", title="Interrupted", severity="warning", timeout=10)

    def _show_trace(self) -> None:
        """Everything a freshly composed screen shows (at mount, and after a re-run's recompose)."""
        info = self.trace.scenario
        kept = info.notes.get("values_for_train_steps")
        # A JSON export keeps step values for some training steps only: say so, or the timeline's gap puzzles.
        budget = info.notes.get("memory_budget")
        size = budget.get("bytes") if isinstance(budget, dict) else None
        partial = (f"  ·  values for training steps {step_ranges(kept)} of {self.trace.train_steps}"
                   + (f" (memory budget {budget_text(size)})" if isinstance(size, int) else "")
                   if isinstance(kept, list) else "")
        inferred = ", inferred" if info.notes.get("loss_inferred") else ""  # no --loss given: the run said why
        loss = "no loss inferred" if info.notes.get("loss_unknown") else f"{info.loss} ({info.reduction}{inferred})"
        self.query_one("#status", Static).update(
            Content.assemble(
                ("bptrace ", "bold $accent"), info.name,
                (f"  ·  {info.mode} mode · {loss}{partial}", "$text-muted"),
            )
        )
        self.query_one(StepView).focus()
        self.query_one(FindingsPane).show_changes(self.changes, bad=self.changes_bad)
        self.refresh_step()
        # The worker starts now (whoever waits for the workers sees it) but imports sympy only after the first
        # frame: that import holds the GIL for much of half a second, which the first paint would wait behind.
        # Two refreshes: while Textual's start-up batch holds the paint, a screen runs "after refresh" callbacks
        # at once, so one alone let sympy's import begin before the first frame (~20 ms of its CPU by then).
        painted = threading.Event()
        self._start_formulas(painted)
        self.call_after_refresh(self.call_after_refresh, painted.set)

    def _start_formulas(self, painted: threading.Event) -> None:
        self.run_worker(partial(self._formulas_worker, self.forms, len(self.trace.steps), self.current_step, painted),
                        thread=True, group="forms", name="formulas", exclusive=True)

    # ------------------------------------------------------------------ watch mode (the app's re-runs)

    async def show_run(self, recorded: Trace) -> None:
        """A re-run's trace replaces this one. The cursor stays on the same place in the learner's terms
        (training step, then line or parameter), breakpoints stay on their lines, and the findings pane
        says what changed."""
        shown = inert_trace(recorded)
        old = self.trace
        lines = LineMap.between(old, shown)
        place = place_of(old, self.current_step)
        diff = diff_findings(old, shown, lines)
        self.workers.cancel_group(self, "forms")
        self.workers.cancel_group(self, "element")
        self.recorded = recorded
        self._load(shown)
        self.breakpoints = {_moved(b, lines) for b in self.breakpoints}
        self.flipped = diff.flipped
        self.changes, self.changes_bad = diff.lines(), False
        self.set_reactive(DebuggerScreen.current_step, relocate(shown, place, lines))
        if not fits(self.element_index, shown.steps[self.current_step].shape):
            self.element_index = default_element(shown.steps[self.current_step].shape)
        await self.recompose()
        if self.is_attached:  # not when the app quit meanwhile
            self._show_trace()

    def show_problem(self, lines: list[str]) -> None:
        """A save that gave no trace: say why, where the changes go; the last good trace stays."""
        self.changes, self.changes_bad = [*lines, "The last good run stays on screen; save again to re-run."], True
        self.query_one(FindingsPane).show_changes(self.changes, bad=True)

    # ------------------------------------------------------------------ state → panes

    def watch_current_step(self) -> None:
        shape = self.trace.steps[self.current_step].shape
        if not fits(self.element_index, shape):  # keep the element across steps of the same shape
            self.element_index = default_element(shape)
        self.refresh_step()

    def watch_element_mode(self) -> None:
        self.refresh_step()

    def watch_full_digits(self) -> None:
        self.refresh_step()

    def refresh_step(self) -> None:
        """Hand every pane what it shows for the current step."""
        i = self.current_step
        step = self.trace.steps[i]
        info = self.trace.scenario
        self.query_one(Timeline).current = i
        network = self.query_one(NetworkDiagram)
        network.node = self.index.node_of(i)
        network.backward = step.phase == "backward"
        self.query_one(LossChart).train_step = step.train_step
        self.query_one(FindingsPane).show(self.index.findings.get(i, []), self.index.next_finding(i), self.totals)
        if step.source is not None or info.mode == "code":
            for pane in self.query(SourcePane):
                pane.show_source(step.source)
        element = chain = None
        if self.element_mode:
            element = self.forms.element(i, self.element_index)
            chain = self.forms.chain(i, self.element_index)
            if element is None:
                self._request_element()
        flagged = i in self.index.findings or step.reference is not None
        self.query_one(StepView).show(
            StepContext(step, len(self.trace.steps), self.forms.formula(i), self.full_digits, self.element_mode,
                        self.element_index, element, chain, flagged)
        )

    # ------------------------------------------------------------------ workers

    def _formulas_worker(self, forms: FormCache, count: int, start: int, painted: threading.Event) -> None:
        """Import sympy off the UI thread once the screen is painted; the current step first, then the rest (of
        the trace of its time: a re-run replaces the cache and cancels this worker)."""
        painted.wait(timeout=1.0)  # the timeout: forms come even if that refresh never does
        worker = get_current_worker()
        if worker.is_cancelled:
            return
        if forms.formula(start) is None:
            problem = warm_up()
            if problem:
                self.app.call_from_thread(self.notify, f"Symbolic forms are unavailable: {problem}",
                                          severity="warning", timeout=8, markup=False)
            forms.compute_formulas([start])
            self.post_message(FormulasReady(1))
        order = (i for i in (*range(start, count), *range(start)) if not worker.is_cancelled)
        added = forms.compute_formulas(order)
        self.post_message(FormulasReady(added))

    def _request_element(self) -> None:
        step = self.trace.steps[self.current_step]
        index = self.element_index
        # The cache and step as they are now: a re-run may replace both while the worker runs.
        self.run_worker(partial(self._element_worker, self.forms, step, index), thread=True, group="element",
                        name="element")

    def _element_worker(self, forms: FormCache, step: Step, index: tuple[int, ...]) -> None:
        forms.compute_element(step, index)
        if forms is self.forms:
            self.post_message(ElementReady(step.index, index))

    @on(FormulasReady)
    def _formulas_ready(self) -> None:
        self.refresh_step()

    @on(ElementReady)
    def _element_ready(self, message: ElementReady) -> None:
        if message.step == self.current_step and message.index == self.element_index:
            self.refresh_step()

    @on(Timeline.StepSelected)
    def _step_clicked(self, message: Timeline.StepSelected) -> None:
        self.current_step = message.step

    # ------------------------------------------------------------------ actions (the key contract)

    def go(self, index: int | None, nothing: str) -> None:
        if index is None:
            self.notify(nothing, timeout=3)
            return
        self.current_step = max(0, min(index, len(self.trace.steps) - 1))

    def action_step(self, delta: int) -> None:
        target = self.current_step + delta
        self.go(target if 0 <= target < len(self.trace.steps) else None,
                "Already at the last step." if delta > 0 else "Already at the first step.")

    def action_first(self) -> None:
        self.current_step = 0

    def action_last(self) -> None:
        self.current_step = len(self.trace.steps) - 1

    def action_finding(self, direction: int) -> None:
        if direction > 0:
            self.go(self.index.next_finding(self.current_step), "No finding after this step.")
        else:
            self.go(self.index.previous_finding(self.current_step), "No finding before this step.")

    def action_breakpoint(self) -> None:
        location = self.index.location(self.current_step)
        where = f"line {location[2]}" if location[0] == "line" else step_label(self.trace.steps[self.current_step])
        if location in self.breakpoints:
            self.breakpoints.discard(location)
            self.notify(f"Breakpoint removed: {where}", timeout=2, markup=False)
        else:
            self.breakpoints.add(location)
            self.notify(f"Breakpoint: {where}, in every training step", timeout=2, markup=False)
        self.query_one(Timeline).refresh_marks()

    def action_continue(self) -> None:
        self.go(self.index.next_stop(self.current_step, self.breakpoints),
                "No breakpoint or finding ahead; b sets a breakpoint.")

    def action_goto(self) -> None:
        first_of = {t: self.index.first_of_train_step(t) or 0 for t in range(self.trace.train_steps)}

        def answered(answer: str | None) -> None:
            if answer is not None:  # checked against the trace of its time: a re-run may have come since
                self.current_step = min(int(answer), len(self.trace.steps) - 1)

        from bptrace.tui.dialogs import GoToDialog

        self.app.push_screen(GoToDialog(len(self.trace.steps), self.trace.train_steps, first_of), answered)

    def action_symbolic(self) -> None:
        if not self.element_mode:
            shape = self.trace.steps[self.current_step].shape
            if not fits(self.element_index, shape):
                self.element_index = default_element(shape)
        self.element_mode = not self.element_mode

    def action_element(self, delta: int) -> None:
        if not self.element_mode:
            return
        self.element_index = move_element(self.element_index, self.trace.steps[self.current_step].shape, delta)
        self.refresh_step()

    def action_digits(self) -> None:
        self.full_digits = not self.full_digits

    def action_export(self, suffix: str = ".json") -> None:
        def answered(path: str | None) -> None:
            if path is not None:
                self.run_worker(partial(self._export_worker, path), thread=True, group="export", name="export")

        from bptrace.tui.dialogs import ExportDialog

        self.app.push_screen(ExportDialog(export_name(self.trace, suffix)), answered)

    def _export_worker(self, path: str) -> None:
        from bptrace.export import export_trace

        try:
            fmt = export_trace(self.recorded, Path(path).expanduser())
        except BadInput as error:
            self.app.call_from_thread(
                self.notify, visible(str(error)), title="Export failed", severity="error", timeout=8, markup=False
            )
        except OSError as error:
            self.app.call_from_thread(self.notify, f"{path}: {error.strerror or error}", title="Export failed",
                                      severity="error", timeout=8, markup=False)
        else:
            self.app.call_from_thread(self.notify, f"Wrote {path} ({fmt})", title="Exported", timeout=5, markup=False)


def _moved(location: Location, lines: LineMap) -> Location:
    """A breakpoint on a line of the learner's file, followed to where that line is now."""
    if location[0] != "line":
        return location
    line = lines.line(location[1], int(location[2]), strict=False)
    return location if line is None else ("line", location[1], str(line))
