"""What the status line says about watch mode: the state the app holds.

Apart from ``bptrace.tui.watch`` (the watcher, the re-runs, their widgets), which the app
imports only for code mode: the first frame of a scenario waits for every module imported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WatchState:
    """What the status line says about watching; the app replaces it, widgets watch it."""

    on: bool = False
    ready: bool = False  # the watcher is up: saves are seen
    running: bool = False  # a re-run is under way (a spinner)
    runs: int = 0  # runs shown so far
    script: str = ""
    at: str = ""  # when the last run finished
    saved: str = ""  # what the save that started the current run touched


def now() -> str:
    return time.strftime("%H:%M:%S")
