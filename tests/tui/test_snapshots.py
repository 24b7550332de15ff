"""Snapshots of the main screens (pytest-textual-snapshot). Update with ``--snapshot-update``.

Each waits for the workers (sympy forms) before the picture, so no placeholder
text can make a snapshot flaky.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual.pilot import Pilot
from textual.widgets import Input

from bptrace.tui.app import BptraceApp
from tests.tui.conftest import code_trace, seed_trace, settle


def prepare(*keys: str, theme: str | None = None) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        if theme:
            pilot.app.theme = theme
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):  # a blinking cursor is shown or not by the clock
            field.cursor_blink = False
        await settle(pilot)

    return run_before


def test_backward_step(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = BptraceApp(seed_trace())
    assert snap_compare(app, terminal_size=(120, 36), run_before=prepare(*["n"] * 10))


def test_small_terminal_light_theme(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = BptraceApp(seed_trace())
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare(*["n"] * 6, theme="textual-light"))


def test_update_step_highlights_changed_entries(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = BptraceApp(seed_trace())
    assert snap_compare(app, terminal_size=(100, 40), run_before=prepare("end", "p", "p", "p"))


def test_element_form(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = BptraceApp(seed_trace())
    assert snap_compare(app, terminal_size=(100, 32),
                        run_before=prepare("g", "1", "1", "enter", "s", "right_square_bracket"))


def test_code_mode_finding(snap_compare) -> None:  # type: ignore[no-untyped-def]
    """The learner's program at the canonical mistake: its line marked, the finding's why and fix."""
    app = BptraceApp(code_trace())
    assert snap_compare(app, terminal_size=(120, 40), run_before=prepare("f", "f"))


def test_help_screen(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = BptraceApp(seed_trace())
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare("question_mark"))


def test_goto_dialog_refusal(snap_compare) -> None:  # type: ignore[no-untyped-def]
    app = BptraceApp(seed_trace())
    assert snap_compare(app, terminal_size=(80, 24), run_before=prepare("g", "4", "2", "enter"))


def test_picker(snap_compare) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(BptraceApp(None), terminal_size=(100, 30), run_before=prepare())


def test_findings_pane_after_a_fix(snap_compare, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Watch mode, after the learner saved the fix: the finding gone (✓ in the pane and the timeline),
    the cursor still on the line that was wrong, the watcher's status line under the title."""
    from bptrace.rerun import CodeRun
    from tests.tui.test_watch import BUGGY, FAST, FIXED_TEXT, first_run, save

    monkeypatch.setattr("bptrace.tui.app.now", lambda: "12:00:00")  # the status line says when the run ended
    path = tmp_path / "impl.py"
    path.write_text(BUGGY)
    app = BptraceApp(None, CodeRun(code=str(path)), watch=True, timing=FAST)

    async def run_before(pilot: Pilot) -> None:
        await first_run(pilot, app)
        await pilot.press("f")
        await save(pilot, app, path, FIXED_TEXT)
        forms = [w for w in app.workers if w.group in ("forms", "element")]  # the watcher never completes
        if forms:  # (an empty list would mean every worker, the watcher too)
            await app.workers.wait_for_complete(forms)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
