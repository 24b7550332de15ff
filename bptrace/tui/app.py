"""The bptrace Textual app and ``run_app``, the entry point the CLI calls.

Start-up stays light: Textual and numpy only. Recording a picked scenario
and everything sympy runs in thread workers after the first frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from bptrace.errors import BadInput
from bptrace.inert import inert_trace, visible
from bptrace.trace import Trace
from bptrace.tui.debugger import DebuggerScreen


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
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, trace: Trace | None = None) -> None:
        super().__init__()
        self.trace = trace

    def on_mount(self) -> None:
        if self.trace is None:
            from bptrace.tui.picker import PickerScreen

            self.push_screen(PickerScreen())
        else:
            self.push_screen(trace_screen(self.trace))

    def action_help(self) -> None:
        from bptrace.tui.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def show_picker(self) -> None:
        from bptrace.tui.picker import PickerScreen

        self.switch_screen(PickerScreen())

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
        self.switch_screen(trace_screen(trace))


def trace_screen(trace: Trace) -> Screen[None]:
    """The debugger, or a plain explanation when there is nothing to step through.

    Both show the trace with control characters made visible (a trace is input); the
    debugger exports the trace as recorded, so a JSON export loses nothing.
    """
    from bptrace.tui.empty import EmptyTraceScreen

    shown = inert_trace(trace)
    return DebuggerScreen(shown, recorded=trace) if trace.steps else EmptyTraceScreen(shown)


def run_app(trace: Trace | None) -> int:
    """Run the TUI until the learner quits; the exit status for the CLI."""
    app = BptraceApp(trace)
    app.run()
    return app.return_code or 0
