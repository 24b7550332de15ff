"""Code mode: the learner's file with the current step's line highlighted."""

from __future__ import annotations

from pathlib import PurePath

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bptrace.trace import SourceRef


class SourcePane(VerticalScroll, can_focus=False):
    """Line numbers and text; the highlighted line is kept in view.

    Titled with the file's name, as findings and steps name it (``impl.py:29``). A step that
    ran in another file (a helper module beside the script) highlights nothing here and says
    where it ran instead: its line number would point at the wrong line of this file.
    """

    def __init__(self, file: str, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines = text.splitlines()
        self.file = PurePath(file).name
        self.border_title = Content(self.file)  # a file name is text: "[draft]impl.py" is no markup
        self.shown: SourceRef | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="source-text", markup=False)

    def show_source(self, source: SourceRef | None) -> None:
        if source == self.shown and source is not None:
            return
        self.shown = source
        here = source is not None and PurePath(source.file).name == self.file
        line = source.line if here and source is not None else None
        self.border_subtitle = Content(f"this step ran in {source.file}:{source.line}" if source and not here else "")
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
