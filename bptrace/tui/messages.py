"""Messages the TUI's workers post back to the UI thread (messages up, attributes down)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class FormulasReady(Message):
    """Symbolic formulas for some steps are now in the form cache."""

    count: int


@dataclass
class ElementReady(Message):
    """The one-element expansion of ``step`` at ``index`` is in the form cache."""

    step: int
    index: tuple[int, ...]
