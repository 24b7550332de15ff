"""``bptrace run --watch``: the run report again on every save, for a terminal beside the editor.

Each save prints a rule naming the run, the report ``bptrace run`` prints, and what changed since the
last run (bptrace.verdict_diff), last, where the eye is. A save that does not parse, or that cannot be
analysed, prints its one-line message and keeps watching. Ctrl-C while waiting for a save ends it (exit 0,
no traceback). While the learner's script runs, the first Ctrl-C stops the script and reports what it
recorded, as ``run`` does (a runaway loop need not end the session); the next, while waiting, ends it.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from bptrace.inert import inert_trace
from bptrace.rerun import CodeRun, Failed, WatchTiming, attempt, watched
from bptrace.trace import Trace
from bptrace.verdict_diff import diff_findings


def run_watching(run: CodeRun, report: Callable[[Trace], None], timing: WatchTiming | None = None) -> int:
    """Report now and after every save, until Ctrl-C; the exit status (0)."""
    from watchfiles import watch

    timing = timing or WatchTiming()
    folder, counts = watched(run)
    name = run.script().name
    last: Trace | None = None
    try:
        last = _once(run, report, last, 1, None)
        waiting, number = False, 1
        for changes in watch(folder, watch_filter=counts, debounce=timing.debounce, step=timing.step,
                             rust_timeout=timing.ready_after, yield_on_timeout=True, recursive=False):
            if not changes:  # the watcher is up (and stays up): say so once per wait
                if not waiting:
                    _say(f"watching {name} and the .py/.ipynb files beside it; Ctrl-C stops")
                    waiting = True
                continue
            number += 1
            saved = ", ".join(sorted({Path(path).name for _, path in changes}))
            last = _once(run, report, last, number, saved)
            _say(f"watching {name} and the .py/.ipynb files beside it; Ctrl-C stops")
            waiting = True
    except KeyboardInterrupt:
        pass
    _say("stopped watching")
    return 0


def _once(run: CodeRun, report: Callable[[Trace], None], last: Trace | None, number: int,
          saved: str | None) -> Trace | None:
    """One recording and its report; the trace to compare the next run with (the last good one)."""
    what = f"{saved} saved" if saved else run.script().name
    print(f"── run {number} · {what} · {time.strftime('%H:%M:%S')} ──", flush=True)
    outcome = attempt(run)
    if isinstance(outcome, Failed):
        kind = "error: " if outcome.bad_input else ""
        _say(f"{kind}{outcome.message}")
        _say("the last good run's report stands; save again to re-run" if last else "save again to re-run")
        return last
    report(outcome)
    if outcome.scenario.interrupted:  # a run cut short is no baseline to compare the next save with
        return last
    if last is not None:
        for line in diff_findings(inert_trace(last), inert_trace(outcome)).lines():
            print(line, flush=True)
    sys.stdout.flush()
    return outcome


def _say(text: str) -> None:
    print(f"bptrace: {text}", file=sys.stderr, flush=True)
