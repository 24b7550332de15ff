"""Watch mode's core: what to record again, which saved files count, and what one attempt gives.

``bptrace run --watch`` (bptrace.watch_run) and the TUI's ``--watch`` / ``w`` (bptrace.tui.watch) share
this; neither the recorder nor this module knows how the result is shown. watchfiles is imported by
the callers, only when watching starts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bptrace.errors import BadInput, CannotAnalyse
from bptrace.inert import visible
from bptrace.sources import CODE_SUFFIXES, trace_from_source
from bptrace.trace import Trace

_LINE = re.compile(r"line (\d+)(?: \((.+)\))?")  # loader.load_cells's `where`: "line 3" or "line 3 (impl.ipynb#cell2)"


@dataclass(frozen=True, slots=True)
class WatchTiming:
    """watchfiles' timings, in milliseconds. A save is seen ``step`` ms after its last write (``debounce``
    at most while writes go on); ``ready_after`` ms without a change tells that the watcher is up."""

    debounce: int = 1600
    step: int = 50
    ready_after: int = 300


@dataclass(frozen=True, slots=True)
class CodeRun:
    """How to record the learner's code again: what the command line asked for, checked once."""

    source: str | None = None  # a scenario .toml (with a [code] section) or the code file itself
    code: str | None = None
    loss: str | None = None
    reduction: str | None = None
    steps: int | None = None
    seed: int | None = None
    max_memory: int | None = None  # code mode's memory budget in bytes (--max-memory; None: limits.MAX_MEMORY)

    def script(self) -> Path:
        """The learner's code file that this run executes (and watch mode watches)."""
        if self.code is not None:
            return Path(self.code)
        if self.source is not None and Path(self.source).suffix.lower() in CODE_SUFFIXES:
            return Path(self.source)
        if self.source is not None and Path(self.source).suffix.lower() == ".toml":
            from bptrace.scenario import load_scenario

            spec = load_scenario(Path(self.source)).code
            if spec is not None:
                return Path(spec.path)
        raise BadInput(None, "--watch", "watch mode re-runs a code file: give --code FILE "
                       "(or a scenario with a [code] section)")

    def scenario(self) -> Path | None:
        return Path(self.source) if self.source and Path(self.source).suffix.lower() == ".toml" else None

    def record(self, cancelled: Callable[[], bool] | None = None) -> Trace:
        return trace_from_source(self.source, code=self.code, loss=self.loss, reduction=self.reduction,  # type: ignore[arg-type]
                                 steps=self.steps, seed=self.seed, max_memory=self.max_memory, cancelled=cancelled)


@dataclass(frozen=True, slots=True)
class Failed:
    """A save that gave no trace: it does not parse (bad input) or cannot be analysed (exit 3's case)."""

    message: str  # one line, control characters made visible: it quotes the learner's file
    bad_input: bool


def attempt(run: CodeRun, cancelled: Callable[[], bool] | None = None) -> Trace | Failed:
    """Record once. What the save's content gets wrong is a ``Failed``, for the caller to show and carry on
    watching; ``errors.Cancelled`` (a newer save superseded this one) passes through."""
    try:
        return run.record(cancelled)
    except BadInput as error:
        return Failed(visible(_compiler_style(error), lines=False), bad_input=True)
    except CannotAnalyse as error:  # named as the syntax error is: the file beside it is the one in the editor
        return Failed(
            visible(f"{Path(error.file).name}: cannot analyse: {error.message}", lines=False), bad_input=False
        )


def _compiler_style(error: BadInput) -> str:
    """``impl.py:22: does not parse: invalid syntax``, the way compilers and editors name a place (a notebook
    cell by its label, ``impl.ipynb#cell3:2``); other bad input as it reads on the command line."""
    place = _LINE.fullmatch(error.where or "")
    if error.file is None or place is None:
        return str(error)
    return f"{place.group(2) or Path(error.file).name}:{place.group(1)}: {error.message}"


def watched(run: CodeRun) -> tuple[Path, Callable[[object, str], bool]]:
    """The folder to watch and the filter of changes that count: the script, a .py or .ipynb beside it
    (a module it imports), or the scenario file that names it. A deletion alone is no save (editors that
    save by replacing the file delete, then create)."""
    script = run.script().resolve()
    folder = script.parent
    scenario = run.scenario()
    also = {script, scenario.resolve()} if scenario is not None else {script}

    def counts(change: object, path: str) -> bool:
        changed = Path(path)
        if getattr(change, "name", "") == "deleted" or changed.parent != folder:
            return False
        return changed in also or changed.suffix.lower() in CODE_SUFFIXES

    return folder, counts
