"""Messages the TUI's workers post back to the UI thread (messages up, attributes down)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from bptrace.rerun import Failed
from bptrace.trace import Trace


@dataclass
class FormulasReady(Message):
    """Symbolic formulas for some steps are now in the form cache."""

    count: int


@dataclass
class ElementReady(Message):
    """The one-element expansion of ``step`` at ``index`` is in the form cache."""

    step: int
    index: tuple[int, ...]


@dataclass
class WatchReady(Message):
    """The file watcher is up: saves from now on are seen."""


@dataclass
class WatchStopped(Message):
    """The file watcher failed (the folder went away, the system's watch limit): why, in one line."""

    reason: str


@dataclass
class SourceSaved(Message):
    """The learner saved the script or a module beside it (file names, for the status line)."""

    names: tuple[str, ...]


@dataclass
class RerunDone(Message):
    """Re-run ``generation`` finished: a trace, or why the save gave none (bptrace.rerun.Failed)."""

    generation: int
    outcome: Trace | Failed
