"""Watch mode in the TUI: re-run the learner's code on every save, in workers; the newest save wins.

Two workers. An async one runs watchfiles' ``awatch`` in Textual's own asyncio loop and reports saves.
A thread one records, since recording runs the learner's script (CPU-bound, synchronous). The app
starts a re-run per save as an exclusive worker, so a save during a run cancels that run. A thread
cannot be stopped from outside, so the run is told instead: the recorder asks ``stale()`` at every op
of the script and between training steps of its analysis, and stops with ``errors.Cancelled``. One
script runs at a time (runs share sys.path, sys.modules and NumPy's global RNG): the next waits for the
lock. A result is shown only while its generation is the newest, so nothing stale replaces a newer one.
"""

from __future__ import annotations

import threading
from functools import partial

from textual.app import App, ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from bptrace.errors import Cancelled
from bptrace.inert import visible
from bptrace.rerun import CodeRun, Failed, WatchTiming, attempt, watched
from bptrace.tui.messages import RerunDone, SourceSaved, WatchReady, WatchStopped
from bptrace.tui.watch_state import WatchState

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Rerunner:
    """The machinery the app drives: it starts the workers; their results come back as messages."""

    def __init__(self, code: CodeRun, timing: WatchTiming) -> None:
        self.code = code
        self.timing = timing
        self.generation = 0  # the newest run asked for; only its result is shown
        self.cancelled = 0  # runs stopped because a newer save superseded them (tests read it)
        self._lock = threading.Lock()

    def watch_files(self, app: App[int]) -> None:
        app.run_worker(self._watch(app), group="watch", exclusive=True, name="watch files", exit_on_error=False)

    async def _watch(self, app: App[int]) -> None:
        from watchfiles import awatch

        folder, counts = watched(self.code)
        ready = False
        try:
            # yield_on_timeout: an empty set after `ready_after` ms of quiet tells that the watcher is up.
            async for changes in awatch(folder, watch_filter=counts, debounce=self.timing.debounce,
                                        step=self.timing.step, rust_timeout=self.timing.ready_after,
                                        yield_on_timeout=True, recursive=False):
                if not ready:
                    ready = True
                    app.post_message(WatchReady())
                if changes:
                    app.post_message(SourceSaved(tuple(sorted({_name(path) for _, path in changes}))))
        except (OSError, RuntimeError) as error:  # the folder is gone, or the system's limit on watches
            app.post_message(WatchStopped(visible(f"{type(error).__name__}: {error}", lines=False)))

    def rerun(self, app: App[int]) -> int:
        """Start a run that supersedes any under way; its generation."""
        self.generation += 1
        app.run_worker(partial(self._record, app, self.generation), thread=True, group="rerun", exclusive=True,
                       name=f"re-run {self.generation}", exit_on_error=False)
        return self.generation

    def stop(self) -> None:
        """No result of a run already asked for will be shown."""
        self.generation += 1

    def _record(self, app: App[int], generation: int) -> None:
        worker = get_current_worker()

        def stale() -> bool:
            return worker.is_cancelled or generation != self.generation

        while not self._lock.acquire(timeout=0.05):  # the superseded run is on its way out
            if stale():
                return
        try:
            if stale():
                return
            try:
                outcome = attempt(self.code, cancelled=stale)
            except Cancelled:
                self.cancelled += 1
                return
            except Exception as error:  # bptrace's own failure on this version: say so, keep watching
                outcome = Failed(visible(f"bptrace failed on this version: {type(error).__name__}: {error}",
                                         lines=False), bad_input=False)
        finally:
            self._lock.release()
        app.post_message(RerunDone(generation, outcome))


def _name(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


class WatchStatus(Static):
    """One line under the title: starting, watching (with the last run's time), or re-running (a spinner)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, markup=False)
        self._frame = 0
        self._timer: Timer | None = None

    def on_mount(self) -> None:
        self._timer = self.set_interval(0.1, self._spin, pause=True)
        self.watch(self.app, "watching", self._show)

    def _show(self, state: WatchState) -> None:
        self.display = state.on
        if self._timer is not None:
            (self._timer.resume if state.running else self._timer.pause)()
        self.update(self._text(state))

    def _spin(self) -> None:
        self._frame += 1
        self.update(self._text(self.app.watching))  # type: ignore[attr-defined]

    def _text(self, state: WatchState) -> Content:
        script = visible(state.script, lines=False)
        if state.running:
            what = f"{visible(state.saved, lines=False)} saved: " if state.saved else ""
            return Content.assemble(
                (f"{SPINNER[self._frame % len(SPINNER)]} ", "bold $accent"),
                f"{what}re-running {script}…",
                (" the last good run stays on screen", "$text-muted"),
            )
        if not state.ready:
            return Content.styled(f"◌ starting to watch {script}…", "$text-muted")
        last = f" · run {state.runs} at {state.at}" if state.runs else ""
        return Content.assemble(("● ", "bold $success"), f"watching {script} and the .py/.ipynb beside it",
                                (f"{last} · w stops", "$text-muted"))


class WaitingScreen(Screen[None]):
    """Watch mode before any run gave a trace: recording, or why the last save gave none."""

    def __init__(self, script: str) -> None:
        super().__init__()
        self.script = script

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("bptrace ", "bold $accent"), visible(self.script, lines=False)), id="status")
        yield WatchStatus(id="watch-status")
        yield Static(Content.styled(f"Recording {visible(self.script, lines=False)}…", "$text-muted"), id="waiting",
                     markup=False)
        yield Footer(compact=True, show_command_palette=False)

    def show_problem(self, lines: list[str]) -> None:
        """Plain text (it quotes the learner's file): no markup."""
        self.query_one("#waiting", Static).update(Content("\n").join(
            [Content.styled(lines[0], "bold $error"), *(Content(line) for line in lines[1:])]))
