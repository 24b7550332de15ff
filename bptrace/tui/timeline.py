"""The timeline: every step, grouped by training step and phase, drawn one visible line at a time.

A trace can hold thousands of steps (500 training steps of XOR make 8,500),
so this is a line-API ScrollView: only the rows on screen are ever rendered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bptrace.kinds import step_label
from bptrace.numbers import number
from bptrace.tui.model import MARKERS, Location, Row, TraceIndex
from bptrace.verdict_diff import FIXED, NEW


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` cells, with … where it was cut."""
    return text if len(text) <= width else text[: max(0, width - 1)].rstrip() + "…"


class Timeline(ScrollView, can_focus=False):
    """Rows of steps; the current one highlighted, findings and breakpoints marked in the gutter."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline--train",
        "timeline--phase",
        "timeline--cursor",
        "timeline--error",
        "timeline--warning",
        "timeline--breakpoint",
        "timeline--fixed",
        "timeline--new",
    }

    current: var[int] = var(0)
    """The step shown in the centre (set by the screen); a var: the watcher repaints only two lines."""

    @dataclass
    class StepSelected(Message):
        """The learner clicked a step."""

        timeline: Timeline
        step: int

    def __init__(self, index: TraceIndex, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.index = index
        self.breakpoints: set[Location] = set()
        self.flipped: dict[int, str] = {}  # watch mode: steps whose verdict flipped since the last run
        self.virtual_size = Size(0, len(index.rows))
        self._lines: LRUCache[tuple[int, bool, int], Strip] = LRUCache(1024)
        self._base: Style | None = None  # rich_style walks every ancestor: once, not once a line

    def refresh_marks(self) -> None:
        """Breakpoints changed: redraw (the rows themselves did not)."""
        self._lines.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._lines.clear()  # a new theme: cached lines carry the old colours
        self._base = None

    def watch_current(self, old: int, new: int) -> None:
        # Only two lines change on a step key; scrolling, when needed, repaints the rest itself.
        for step in (old, new):
            y = self.index.row_of_step[step] - self.scroll_offset.y
            self.refresh(Region(0, y, self.size.width, 1))
        self.scroll_to_region_row(self.index.row_of_step[new])

    def scroll_to_region_row(self, row: int) -> None:
        height = self.scrollable_content_region.height or 1
        top = self.scroll_offset.y
        if row < top + 1 or row >= top + height - 1:
            self.scroll_to(y=max(0, row - height // 3), animate=False)

    def on_resize(self) -> None:
        # The row of `current` once the layout is known (the first Resize), not at mount: a re-run's recompose
        # sets it after mounting. An "after refresh" callback from on_mount could run before that layout (while
        # the recompose's batch held it), scroll against no height, and leave the row off screen.
        self.scroll_to_region_row(self.index.row_of_step[self.current])

    def on_click(self, event: events.Click) -> None:
        y = event.y + self.scroll_offset.y
        if 0 <= y < len(self.index.rows):
            row = self.index.rows[y]
            step = row.step if row.step is not None else self.index.first_of_train_step(row.train_step)
            if step is not None:
                self.post_message(self.StepSelected(self, step))

    def render_line(self, y: int) -> Strip:
        row_number = y + self.scroll_offset.y
        width = self.scrollable_content_region.width
        if self._base is None:
            self._base = self.rich_style
        base = self._base
        if row_number >= len(self.index.rows):
            return Strip.blank(width, base)
        row = self.index.rows[row_number]
        key = (row_number, row.step == self.current, width)
        strip = self._lines.get(key)
        if strip is None:
            segments, fill = self._row_segments(row, base, width)
            strip = self._lines[key] = Strip(segments).adjust_cell_length(width, fill)
        return strip

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"timeline--{name}", partial=True)

    def _row_segments(self, row: Row, base: Style, width: int) -> tuple[list[Segment], Style]:
        """The row's segments and the style to pad it with (the cursor fills the whole line)."""
        if row.kind == "train":
            losses = self.index.trace.losses
            loss = f" · L={number(losses[row.train_step])}" if row.train_step < len(losses) else ""
            style = base + self._style("train")
            return [Segment(f"▼ train {row.train_step}{loss}", style)], style
        if row.kind == "phase":
            return [Segment(f"   {row.phase}", base + self._style("phase"))], base
        assert row.step is not None
        step = self.index.step(row.step)
        line_style = base + self._style("cursor") if row.step == self.current else base
        breakpoint_mark = "●" if self.index.location(row.step) in self.breakpoints else " "
        severity = self.index.severity(row.step)
        marker = MARKERS.get(severity or "", " ")
        marker_style = self._style("error") if severity == "error" else self._style("warning") if severity else Style()
        flip = self.flipped.get(row.step)
        if flip == NEW:  # the same mark, reversed: it was not there in the last run
            marker_style += self._style("new")
        elif flip == FIXED and severity is None:
            marker, marker_style = "✓", self._style("fixed")
        return [
            Segment(breakpoint_mark, line_style + self._style("breakpoint")),
            Segment(marker, line_style + marker_style),
            Segment(f"{row.step:>5} {shorten(step_label(step), width - 8)}", line_style),
        ], line_style
