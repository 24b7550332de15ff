"""Shown instead of the debugger when a trace has no steps (e.g. the learner's code raised at once)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from bptrace.trace import Trace
from bptrace.tui.findings_pane import finding_content


class EmptyTraceScreen(Screen[None]):
    """Nothing to step through: say so, and show the trace's findings, which say why."""

    def __init__(self, trace: Trace) -> None:
        super().__init__()
        self.trace = trace

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("bptrace ", "bold $accent"), self.trace.scenario.name), id="status")
        parts = [Content.styled("This trace has no steps to show.", "bold")]
        parts.extend(finding_content(finding) for finding in self.trace.findings)
        with VerticalScroll(id="empty"):
            yield Static(Content("\n\n").join(parts), markup=False)
        yield Footer()
