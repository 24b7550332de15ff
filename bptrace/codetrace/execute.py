"""Run the learner's code as ``python impl.py`` would, with the recorder's hooks in its globals."""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, TextIO

import numpy as np

from bptrace.codetrace.bound import StepLimit
from bptrace.codetrace.earlier import Borrowed, lend
from bptrace.codetrace.hints import read_hints
from bptrace.codetrace.imports import loaded_from, local_modules
from bptrace.codetrace.loader import Cell, load_cells, parse_cell
from bptrace.codetrace.rewrite import Site, rewrite
from bptrace.codetrace.runtime import Recorder

if TYPE_CHECKING:
    from bptrace.codetrace.budget import Budget


@dataclass
class Raised:
    """The user's code raised: what, and the deepest line of the user's own code it passed."""

    kind: str
    message: str
    file: str | None
    line: int | None


@dataclass
class Run:
    cells: list[Cell]
    sites: list[Site]
    recorder: Recorder
    raised: Raised | None
    namespace: dict[str, object]
    total_steps: int | None = None  # training steps the script ran, when only the first `steps` were recorded
    interrupted: bool = False  # the learner pressed Ctrl-C: the script was stopped, what it recorded is kept
    # (label, source, rewritten code) of each cell and of each of the learner's modules that ran rewritten
    rewritten: list[tuple[str, str, CodeType]] = field(default_factory=list)
    borrowed: Borrowed = field(default_factory=list)  # earlier cells' functions traced for the run (earlier.py)
    budget: Budget | None = None  # the memory budget the run was recorded under (budget.py)


class Interrupted(KeyboardInterrupt):
    """The first Ctrl-C, raised in the learner's script. A KeyboardInterrupt, so the script's own
    ``except KeyboardInterrupt`` sees it as under ``python impl.py``; its own class, so bptrace can
    tell it from a KeyboardInterrupt the script raises itself (which is an ``exception`` finding)."""


@contextlib.contextmanager
def _ctrl_c() -> Iterator[None]:
    """While the script runs, the first Ctrl-C raises ``Interrupted`` in it; a second ends the
    process at once (exit 130), even if the script caught the first and looped on. Once the script
    has stopped, Python's handler is back: Ctrl-C during the analysis is a KeyboardInterrupt (130).
    Signal handlers belong to the main thread; elsewhere (the TUI's recording worker) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    presses: list[int] = []

    def pressed(signum: int, frame: object) -> None:
        presses.append(signum)
        if len(presses) > 1:
            os._exit(130)  # "at once": no handler of the script's may keep it running
        raise Interrupted

    signal.signal(signal.SIGINT, pressed)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_file(path: Path, seed: int, stdout: object | None = None, steps: int | None = None,
             budget: Budget | None = None, cancelled: Callable[[], bool] | None = None) -> Run:
    """Execute the file's cells in order; user output goes to ``stdout`` (default: stderr).

    With ``steps``, only the first that many training steps are recorded; the rest runs unrecorded.
    With a ``budget`` (and ``steps``), steps past the memory budget keep their verdicts, not their values.
    With ``cancelled``, the script stops with ``Cancelled`` at its next op once it returns True."""
    cells = load_cells(path)
    namespace: dict[str, object] = {"__name__": "__main__", "__file__": str(path), "__builtins__": builtins}
    saved_argv = sys.argv
    sys.argv = [str(path)]
    np.random.seed(seed)  # noqa: NPY002 - the learner's code draws from the global RNG
    try:
        with _ctrl_c():
            return _execute(cells, namespace, path.resolve().parent, stdout or sys.stderr, steps, budget=budget,
                            cancelled=cancelled)
    finally:
        sys.argv = saved_argv


def run_source(text: str, namespace: dict[str, object], label: str, folder: Path, steps: int | None = None,
               earlier: dict[str, str] | None = None, budget: Budget | None = None) -> Run:
    """Execute ``text`` in ``namespace`` itself, as a notebook runs a cell: no fresh module, no seeding,
    no ``sys.argv``, output to the current ``sys.stdout``; the learner's modules are looked for in
    ``folder``, and one imported before is not imported again. Line numbers are ``text``'s own, under
    ``label``. A KeyboardInterrupt (a kernel's interrupt) stops the code like the CLI's first Ctrl-C:
    what was recorded is kept. ``earlier`` names the notebook's earlier cells (file -> label): their
    functions in ``namespace``, and those of the folder's modules imported before, are traced too
    (earlier.py). The hooks are put into ``namespace`` and stay there, the earlier functions stay
    traced: ``Run.rewritten`` and ``Run.borrowed`` say what to clean up (``record_source`` does)."""
    cells = [parse_cell(label, text)]
    return _execute(cells, namespace, folder, sys.stdout, steps, interrupts=KeyboardInterrupt, earlier=earlier or {},
                    budget=budget)


def _execute(cells: list[Cell], namespace: dict[str, object], folder: Path, stdout: object, steps: int | None,
             interrupts: type[KeyboardInterrupt] = Interrupted, earlier: dict[str, str] | None = None,
             budget: Budget | None = None, cancelled: Callable[[], bool] | None = None) -> Run:
    sites: list[Site] = []
    rewritten = [(cell.label, cell.text, compile(rewrite(cell.tree, cell.label, sites), cell.label, "exec"))
                 for cell in cells]
    recorder = Recorder(sites)
    recorder.cancelled = cancelled
    if steps is not None:
        recorder.limit = StepLimit(recorder, steps)
        if budget is not None:
            budget.hints = read_hints(cells)
            recorder.limit.budget = budget
    namespace.update(recorder.hooks())
    labels = {cell.label for cell in cells}
    borrowed: Borrowed = []
    if earlier is not None:  # a notebook: what earlier cells defined or imported is traced for the run
        imported = loaded_from(folder)
        recorder.user_modules.update(imported)
        borrowed, lent = lend(namespace, earlier, imported, sites, recorder.hooks())
        labels |= lent
    raised: Raised | None = None
    saved_path = list(sys.path)
    sys.path.insert(0, str(folder))
    shown = warnings.showwarning
    warnings.showwarning = _at_user_line(shown, labels)
    interrupted = False
    modules: list[tuple[str, str, CodeType]] = []
    try:
        with (contextlib.redirect_stdout(stdout),  # type: ignore[type-var]
              local_modules(folder, recorder, sites, labels, modules, keep=earlier is not None)):
            for _, _, code in rewritten:
                exec(code, namespace)  # running the learner's file is what code mode is for
    except SystemExit as stop:
        if stop.code not in (None, 0):
            raised = _raised(stop, labels)
    except interrupts:
        interrupted = True
    except KeyboardInterrupt as error:  # raised by the script itself: Ctrl-C raises Interrupted
        raised = _raised(error, labels)
    except Exception as error:
        raised = _raised(error, labels)
    finally:
        sys.path[:] = saved_path
        warnings.showwarning = shown
    if recorder.limit is not None:
        recorder.limit.finish()  # past the memory budget: the last step's verdict, then only the kept steps
    total = recorder.limit.total() if recorder.limit is not None else None
    recorder.tally_site = -1  # probes call the learner's functions later: no more counting
    return Run(cells, sites, recorder, raised, namespace, total, interrupted, [*rewritten, *modules], borrowed, budget)


def _at_user_line(show: Callable[..., None], labels: set[str]) -> Callable[..., None]:
    """NumPy's warnings name the line of the learner's code, as under `python impl.py`, not our hook's."""

    def showwarning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                    file: TextIO | None = None, line: str | None = None) -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename not in labels:
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            filename, lineno, line = frame.f_code.co_filename, frame.f_lineno, None
        show(message, category, filename, lineno, file, line)

    return showwarning


def _raised(error: BaseException, labels: set[str]) -> Raised:
    file = line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename in labels:
            file, line = frame.f_code.co_filename, lineno
    return Raised(type(error).__name__, str(error), file, line)


