"""Code mode: the learner's file with the current step's line highlighted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static


class SourcePane(VerticalScroll, can_focus=False):
    """Line numbers and text; the highlighted line is kept in view."""

    def __init__(self, file: str, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines = text.splitlines()
        self.border_title = file
        self.line: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="source-text", markup=False)

    def show_line(self, line: int | None) -> None:
        if line == self.line and line is not None:
            return
        self.line = line
        width = len(str(len(self.lines)))
        rendered = []
        for number, text in enumerate(self.lines, start=1):
            gutter = f"{'▶' if number == line else ' '}{number:>{width}} "
            if number == line:
                rendered.append(Content.styled(f"{gutter}{text}", "bold reverse $accent"))
            else:
                rendered.append(Content.assemble((gutter, "$text-muted"), text))
        self.query_one("#source-text", Static).update(Content("\n").join(rendered))
        if line is not None:
            self.call_after_refresh(self._centre, line)

    def _centre(self, line: int) -> None:
        self.scroll_to(y=max(0, line - 1 - self.scrollable_content_region.height // 2), animate=False)
