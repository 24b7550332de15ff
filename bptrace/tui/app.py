"""The bptrace Textual app and ``run_app``, the entry point the CLI calls.

Start-up stays light: Textual and numpy only. Recording a picked scenario
and everything sympy runs in thread workers after the first frame.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import var
from textual.screen import ModalScreen, Screen

from bptrace.errors import BadInput
from bptrace.inert import inert_trace, visible
from bptrace.rerun import CodeRun, Failed, WatchTiming
from bptrace.trace import Trace
from bptrace.tui.debugger import DebuggerScreen
from bptrace.tui.messages import RerunDone, SourceSaved, WatchReady, WatchStopped
from bptrace.tui.watch_state import WatchState, now

if TYPE_CHECKING:
    from bptrace.tui.watch import Rerunner


# Screens and providers the first frame of a trace does not show are imported when first needed:
# every module imported before that frame delays it.
def _commands() -> type:
    from bptrace.tui.commands import BptraceCommands

    return BptraceCommands


class BptraceApp(App[int]):
    """Shows a trace in the debugger screen, or the scenario picker when there is none."""

    CSS_PATH = "bptrace.tcss"
    TITLE = "bptrace"
    COMMANDS = App.COMMANDS | {_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help"),
        # Not in the footer: with it, the footer of a code-mode TUI no longer fits 80 columns. The help screen
        # lists it, and the status line says "w stops" while watching.
        Binding("w", "toggle_watch", "Watch", show=False),
        Binding("q", "quit", "Quit"),
    ]

    watching: var[WatchState] = var(WatchState())
    """Watch mode as the status line shows it (bptrace.tui.watch.WatchStatus watches it)."""

    def __init__(self, trace: Trace | None = None, code: CodeRun | None = None, *, watch: bool = False,
                 timing: WatchTiming | None = None) -> None:
        """``code``: how to record the shown code again (``w``); ``watch``: start watching it at once,
        and record it in the app when there is no ``trace`` yet."""
        super().__init__()
        self.trace = trace
        self.rerunner: Rerunner | None = None
        if code is not None:  # code mode only: a scenario's first frame does not wait for watch mode's imports
            from bptrace.tui.watch import Rerunner

            self.rerunner = Rerunner(code, timing or WatchTiming())
        self.watch_at_start = watch and code is not None

    def get_default_screen(self) -> Screen[None]:
        # A trace's screen is the base of the stack, composed with the app in its start-up batch. Pushed from
        # on_mount over Textual's empty default screen instead, the first frame also waited for that screen's
        # styling and layout passes (~25 ms of CPU). Textual cannot switch away from the base (see _show).
        if self.trace is not None:
            return trace_screen(self.trace)
        return super().get_default_screen()

    def on_mount(self) -> None:
        if self.rerunner is not None and self.trace is None:
            from bptrace.tui.watch import WaitingScreen

            self.push_screen(WaitingScreen(self.rerunner.code.script().name))
        elif self.trace is None:
            from bptrace.tui.picker import PickerScreen

            self.push_screen(PickerScreen())
        if self.watch_at_start:
            self._start_watching(record=self.trace is None)

    # ------------------------------------------------------------------ watch mode

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_watch":
            return self.rerunner is not None  # code mode only; elsewhere the key is not shown
        return True

    def action_toggle_watch(self) -> None:
        if self.rerunner is None:
            return
        if self.watching.on:
            self.workers.cancel_group(self, "watch")
            self.workers.cancel_group(self, "rerun")
            self.rerunner.stop()
            self.watching = replace(self.watching, on=False, ready=False, running=False)
            self.notify("Stopped watching.", timeout=2)
        else:
            self._start_watching(record=False)

    def _start_watching(self, *, record: bool) -> None:
        assert self.rerunner is not None
        self.watching = replace(self.watching, on=True, ready=False, script=self.rerunner.code.script().name)
        self.rerunner.watch_files(self)
        if record:
            self._rerun("")

    def _rerun(self, saved: str) -> None:
        assert self.rerunner is not None
        self.rerunner.rerun(self)
        self.watching = replace(self.watching, running=True, saved=saved)

    @on(WatchReady)
    def _watch_ready(self) -> None:
        if self.watching.on:
            self.watching = replace(self.watching, ready=True)

    @on(WatchStopped)
    def _watch_stopped(self, message: WatchStopped) -> None:
        self.watching = replace(self.watching, on=False, ready=False)
        self.notify(f"Watching stopped: {message.reason}", title="Watch mode", severity="error", timeout=10,
                    markup=False)

    @on(SourceSaved)
    def _saved(self, message: SourceSaved) -> None:
        if self.watching.on:
            self._rerun(", ".join(message.names))

    @on(RerunDone)
    async def _rerun_done(self, message: RerunDone) -> None:
        if self.rerunner is None or message.generation != self.rerunner.generation:
            return  # superseded: a newer run is under way, or watching stopped
        await self._show_outcome(message.outcome)
        # Last: the status line (and a test waiting on it) sees the run once the screen shows it.
        self.watching = replace(self.watching, running=False, runs=self.watching.runs + 1, at=now())

    async def _show_outcome(self, outcome: Trace | Failed) -> None:
        assert self.rerunner is not None
        debugger = next((s for s in reversed(self.screen_stack) if isinstance(s, DebuggerScreen)), None)
        if isinstance(outcome, Trace) and outcome.steps:
            self.trace = outcome
            if debugger is not None:
                await debugger.show_run(outcome)
            else:
                await self._replace_base(trace_screen(outcome))
            return
        problem = problem_lines(outcome)
        if debugger is not None:
            debugger.show_problem(problem)
            return
        from bptrace.tui.watch import WaitingScreen

        waiting = next((s for s in self.screen_stack if isinstance(s, WaitingScreen)), None)
        if waiting is None:
            waiting = WaitingScreen(self.rerunner.code.script().name)
            await self._replace_base(waiting)
        waiting.show_problem(problem)

    async def _replace_base(self, screen: Screen[None]) -> None:
        """Show ``screen`` instead of the current one; dialogs open over the old one close with it."""
        while len(self.screen_stack) > 1 and isinstance(self.screen, ModalScreen):  # a dialog is never the base
            await self.pop_screen()
        await self.switch_screen(screen)

    def action_help(self) -> None:
        from bptrace.tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def show_picker(self) -> None:
        from bptrace.tui.picker import PickerScreen

        self._show(PickerScreen())

    def _show(self, screen: Screen[None]) -> None:
        """``screen`` instead of the current one. The trace the app started on is the base of the stack, which
        Textual cannot switch away from (switch_screen pops a result callback only pushed screens have): the
        first screen shown instead goes over it, and the next ones replace that one (two screens at most)."""
        if len(self.screen_stack) == 1:
            self.push_screen(screen)
        else:
            self.switch_screen(screen)

    def open_scenario(self, path: Path) -> None:
        """Record ``path`` in a worker, then show it (recording XOR's 500 steps takes a moment)."""
        self.notify(f"Recording {path.name}…", timeout=2)
        self.run_worker(lambda: self._record(path), thread=True, group="record", exclusive=True, name="record")

    def _record(self, path: Path) -> None:
        from bptrace.sources import trace_from_source

        try:
            trace = trace_from_source(path)
        except BadInput as error:
            self.call_from_thread(self._record_failed, str(error))
            return
        self.call_from_thread(self._show_trace, trace)

    def _record_failed(self, message: str) -> None:
        self.notify(visible(message), title="Cannot open scenario", severity="error", timeout=8, markup=False)
        from bptrace.tui.picker import PickerScreen

        if isinstance(self.screen, PickerScreen):
            self.screen.stop_loading()

    def _show_trace(self, trace: Trace) -> None:
        self.trace = trace
        self._show(trace_screen(trace))


def trace_screen(trace: Trace) -> Screen[None]:
    """The debugger, or a plain explanation when there is nothing to step through.

    Both show the trace with control characters made visible (a trace is input); the
    debugger exports the trace as recorded, so a JSON export loses nothing.
    """
    shown = inert_trace(trace)
    if trace.steps:
        return DebuggerScreen(shown, recorded=trace)
    from bptrace.tui.empty import EmptyTraceScreen  # rare: not imported before a debugger's first frame

    return EmptyTraceScreen(shown)


def problem_lines(outcome: Trace | Failed) -> list[str]:
    """Why a save gave nothing to step through, as plain lines: its one-line message, or the findings of a
    script that stopped before its first step (e.g. a NameError)."""
    if isinstance(outcome, Failed):
        return [f"✗ {outcome.message}"]
    shown = inert_trace(outcome)
    found = [f"✗ {f.id}" + (f" at {f.file}:{f.line}" if f.file and f.line else "") + f": {f.message}"
             for f in shown.findings]
    return found or ["✗ the script recorded no step to show"]


def run_app(trace: Trace | None, code: CodeRun | None = None, *, watch: bool = False) -> int:
    """Run the TUI until the learner quits; the exit status for the CLI."""
    app = BptraceApp(trace, code, watch=watch)
    app.run()
    return app.return_code or 0
