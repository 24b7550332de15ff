"""Watch mode under a running app (Pilot): the learner saves the file, the app re-runs it.

Every wait is on the app's own state, with a timeout (``until``); nothing sleeps and hopes. watchfiles
runs for real on the test's folder, with short timings.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from bptrace.rerun import CodeRun, WatchTiming
from bptrace.tui.app import BptraceApp
from bptrace.tui.debugger import DebuggerScreen
from bptrace.tui.help import HelpScreen, help_content
from bptrace.tui.timeline import Timeline
from bptrace.tui.watch import WaitingScreen
from bptrace.verdict_diff import FIXED

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "watch_sigmoid.py"
BUGGY = FIXTURE.read_text()
DEBUG_LINE = "    worst = np.max(np.abs(Ao - T))  # debugging: how far off is the worst sample?\n"
# The fix, as a learner makes it: the activation to the helper, and the debugging line cleaned away,
# so the lines and the step indices after it move.
FIXED_TEXT = BUGGY.replace("sigmoid_derivative(Zo)", "sigmoid_derivative(Ao)").replace(DEBUG_LINE, "")
FAST = WatchTiming(debounce=100, step=20, ready_after=50)
SIZE = (120, 36)


async def until(pilot: Pilot, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what} ({pilot.app.watching}, {_says(pilot)})"
        await pilot.pause(0.05)


def _says(pilot: Pilot) -> str:
    """What the screen says, for a failure's message."""
    return " / ".join(str(getattr(w, "content", "")) for w in pilot.app.screen.query(Static))[:2000]


def line_of(text: str, start: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def debugger(app: BptraceApp) -> DebuggerScreen:
    assert isinstance(app.screen, DebuggerScreen), app.screen
    return app.screen


def changes(app: BptraceApp) -> str:
    return str(debugger(app).query_one("#changes", Static).content)


def watching_app(path: Path) -> BptraceApp:
    return BptraceApp(None, CodeRun(code=str(path)), watch=True, timing=FAST)


async def first_run(pilot: Pilot, app: BptraceApp) -> None:
    await until(pilot, lambda: app.watching.ready and app.watching.runs == 1
                and isinstance(app.screen, DebuggerScreen), "the first run and the watcher")


def write(path: Path, text: str) -> None:
    """Save as many editors do (and ``sed -i``): a new file renamed over the old, so one save is one change
    (writing in place may reach the watcher as two: the file emptied, then written)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


async def save(pilot: Pilot, app: BptraceApp, path: Path, text: str) -> None:
    """Save the file, and wait for the re-run it starts to be shown."""
    runs = app.watching.runs
    write(path, text)
    await until(pilot, lambda: app.watching.runs > runs and not app.watching.running, "the re-run")


async def test_a_fix_flips_the_finding_and_the_cursor_keeps_its_place(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text(BUGGY)
    app = watching_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await first_run(pilot, app)
        await pilot.press("f")  # to the finding, at the guilty line
        screen = debugger(app)
        before = screen.trace.steps[screen.current_step]
        assert screen.trace.finding_ids_at(before.index) == ("derivative-on-preactivation",)
        assert (before.train_step, before.target, before.source.line) == (0, "dZo", line_of(BUGGY, "dZo ="))

        await save(pilot, app, path, FIXED_TEXT)
        screen = debugger(app)
        after = screen.trace.steps[screen.current_step]
        # The same place in the learner's terms: training step 0, the line `dZo = …` is now on (one up).
        assert (after.train_step, after.target, after.source.line) == (0, "dZo", line_of(FIXED_TEXT, "dZo ="))
        assert after.index != before.index  # not the same step index: the debugging line's ops are gone
        assert not screen.trace.findings and screen.trace.finding_ids_at(after.index) == ()
        assert changes(app) == f"✓ derivative-on-preactivation at line {line_of(BUGGY, 'dZo =')} is gone; 0 errors"
        # The timeline marks the steps that were wrong (training step 0's, where the finding was) as fixed.
        flipped = screen.query_one(Timeline).flipped
        assert list(flipped.values()) == [FIXED]
        assert screen.trace.steps[next(iter(flipped))].target == "dZo"
        assert screen.query_one("#source-text", Static).content.plain.count("▶") == 1

        # On a parameter's update in the last training step (as a click on the timeline puts it there) ...
        update = next(s.index for s in screen.trace.steps if s.train_step == 2 and s.parameter == "W2"
                      and s.phase == "update")
        screen.current_step = update
        await save(pilot, app, path, BUGGY)  # ... and back: the mistake is new again
        assert changes(app) == f"✗ new: derivative-on-preactivation at line {line_of(BUGGY, 'dZo =')}; 1 error"
        screen = debugger(app)
        here = screen.trace.steps[screen.current_step]
        assert (here.train_step, here.phase, here.parameter, here.source.line) == (
            2, "update", "W2", line_of(BUGGY, "Wo -= rate"))
        assert here.index != update


async def test_a_save_that_does_not_parse_keeps_the_last_trace(tmp_path: Path) -> None:
    path = tmp_path / "net[b].py"  # a name that would be markup, if anything were
    path.write_text(BUGGY)
    app = watching_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await first_run(pilot, app)
        screen = debugger(app)
        good = screen.recorded
        await pilot.press("n", "n")
        broken = BUGGY.replace("    Ao = sigmoid(Zo)", "    Ao = sigmoid(Zo))")
        await save(pilot, app, path, broken)
        assert app.screen is screen and screen.recorded is good and screen.current_step == 2
        message = changes(app).splitlines()
        assert message[0] == f"✗ net[b].py:{line_of(BUGGY, 'Ao = sigmoid')}: does not parse: unmatched ')'"
        assert "last good run stays on screen" in message[1]
        await pilot.press("n")  # still a debugger
        assert screen.current_step == 3

        # A valid script bptrace cannot analyse (exit 3's case): its message, and the last trace stays.
        await save(pilot, app, path, "import numpy as np\n\nscores = np.ones(4) * 3\n")
        assert screen.recorded is good
        assert changes(app).startswith(
            "✗ net[b].py: cannot analyse: found 1 array(s) that look like parameters (np.ones(4))"
        )

        await save(pilot, app, path, BUGGY)  # good again: the same finding as the last good run
        assert changes(app) == "No change in the findings since the last run; 1 error"
        assert screen.recorded is not good and screen.current_step == 3


async def test_a_save_during_a_run_cancels_it_and_runs_the_new_one(tmp_path: Path) -> None:
    """The first version waits for a file that never comes: only a cancelled run lets the second one run."""
    path = tmp_path / "impl.py"
    started = tmp_path / "started.txt"
    waiting = ("import time\nfrom pathlib import Path\n\nimport numpy as np\n\n"
               f"Path({str(started)!r}).write_text('running')\n"
               f"while not Path({str(tmp_path / 'never.txt')!r}).exists():\n"
               "    np.zeros(1) + 1  # every op is a point where a superseded run stops\n"
               "    time.sleep(0.01)\n")
    path.write_text(waiting)
    app = watching_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: started.exists() and app.watching.ready, "the first run to start")
        assert isinstance(app.screen, WaitingScreen) and app.watching.running
        await pilot.press("question_mark")  # the UI answers while the script runs
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        write(path, BUGGY)
        await until(pilot, lambda: app.watching.runs == 1 and not app.watching.running, "the second run")
        assert isinstance(app.screen, DebuggerScreen)
        assert app.rerunner is not None and app.rerunner.cancelled == 1 and app.rerunner.generation == 2
        assert [f.id for f in debugger(app).trace.findings] == ["derivative-on-preactivation"]


async def test_w_toggles_watching_in_a_code_mode_tui(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text(BUGGY)
    code = CodeRun(code=str(path))
    app = BptraceApp(code.record(), code, timing=FAST)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        status = debugger(app).query_one("#watch-status", Static)
        assert not app.watching.on and not status.display
        await pilot.press("w")
        await until(pilot, lambda: app.watching.ready, "the watcher")
        assert status.display and "watching impl.py" in status.content.plain
        await save(pilot, app, path, FIXED_TEXT)
        assert changes(app).startswith("✓ derivative-on-preactivation")
        await pilot.press("w")
        assert not app.watching.on and not status.display
        await until(pilot, lambda: not [w for w in app.workers if w.group == "watch" and not w.is_finished],
                    "the watcher to stop")


async def test_w_is_only_offered_where_there_is_code_to_watch(seed) -> None:  # type: ignore[no-untyped-def]
    assert "watch: re-run the code on every save" in help_content().plain
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("w")
        assert not app.watching.on
        offered = app.active_bindings.get("w")
        assert offered is None or not offered.enabled


async def test_until_a_save_gives_a_trace_the_waiting_screen_says_why(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text("import numpy as np\n\nscale = 2\nprint(undefined_name)\n")
    app = watching_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.watching.runs == 1 and not app.watching.running, "the first run")
        assert isinstance(app.screen, WaitingScreen)
        said = str(app.screen.query_one("#waiting", Static).content)
        assert said.startswith("✗ exception at impl.py:4: NameError: name 'undefined_name' is not defined")
        await save(pilot, app, path, "import numpy as np\n\nW = np.ones((2, 2)\n")
        assert (
            str(app.screen.query_one("#waiting", Static).content) == "✗ impl.py:3: does not parse: '(' was never closed"
        )
        await save(pilot, app, path, BUGGY)
        screen = debugger(app)
        assert [f.id for f in screen.trace.findings] == ["derivative-on-preactivation"]
        assert not screen.query_one("#changes", Static).display  # nothing to compare the first trace with


async def test_a_watcher_that_cannot_start_says_why_and_the_app_goes_on(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "gone"
    folder.mkdir()
    path = folder / "impl.py"
    path.write_text(BUGGY)
    code = CodeRun(code=str(path))
    app = BptraceApp(code.record(), code, timing=FAST)
    async with app.run_test(size=SIZE) as pilot:
        shutil.rmtree(folder)  # the folder went away: there is nothing to watch
        await pilot.press("w")
        await until(pilot, lambda: not app.watching.on, "watching to stop")
        assert any(n.message.startswith("Watching stopped: FileNotFoundError") for n in app._notifications)
        await pilot.press("n")
        assert debugger(app).current_step == 1


async def test_after_a_re_run_the_timeline_shows_the_step_the_cursor_kept(tmp_path: Path) -> None:
    # The recomposed timeline scrolled to the row of its default step 0, read when it mounted, after the
    # screen had already put it on the kept step: the cursor's row was off screen until the next key.
    path = tmp_path / "impl.py"
    path.write_text(BUGGY)
    app = watching_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await first_run(pilot, app)
        await pilot.press("end")
        await save(pilot, app, path, FIXED_TEXT)
        screen = debugger(app)
        timeline = screen.query_one(Timeline)
        row = timeline.index.row_of_step[screen.current_step]
        height = timeline.scrollable_content_region.height
        assert row > height  # the last step is below the first screenful: the timeline must have scrolled
        assert timeline.current == screen.current_step

        def shown() -> bool:
            return timeline.scroll_offset.y <= row < timeline.scroll_offset.y + height

        # Without another key: the scroll lands within a few refreshes (one pause was too few on a busy machine).
        await until(pilot, shown, f"the timeline to show row {row}", timeout=10.0)
