"""The scenario picker, the command palette, and opening scenarios from either."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandList, CommandPalette
from textual.widgets import OptionList

from bptrace.bundled import bundled, gallery
from bptrace.trace import Trace
from bptrace.tui.app import BptraceApp
from bptrace.tui.debugger import DebuggerScreen
from bptrace.tui.dialogs import ExportDialog, GoToDialog
from bptrace.tui.picker import PickerScreen
from tests.tui.conftest import settle

SIZE = (100, 32)


async def wait_for_debugger(pilot, app: BptraceApp) -> DebuggerScreen:  # type: ignore[no-untyped-def]
    for _ in range(100):
        await settle(pilot)
        if isinstance(app.screen, DebuggerScreen):
            return app.screen
    raise AssertionError(f"still on {app.screen!r}")


async def test_picker_lists_bundled_scenarios_and_opens_one() -> None:
    app = BptraceApp(None)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, PickerScreen)
        options = app.screen.query_one(OptionList)
        assert options.option_count == len(bundled()) + 1 + len(gallery())  # the gallery under its heading
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Seed 1: ReLU hidden layer" in p and "Watch ∂L/∂Z2" in p for p in prompts)
        seed_index = next(i for i, p in enumerate(prompts) if "seed2_sigmoid_rows.toml" in p)
        options.highlighted = seed_index
        await pilot.press("enter")
        screen = await wait_for_debugger(pilot, app)
        assert screen.trace.scenario.layout == "rows" and len(screen.trace.steps) == 17


async def test_picker_opens_a_gallery_program_in_code_mode() -> None:
    app = BptraceApp(None)
    async with app.run_test(size=SIZE) as pilot:
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        wanted = "gallery/derivative_on_preactivation"
        options.highlighted = next(i for i, p in enumerate(prompts) if p.endswith(wanted))
        await pilot.press("enter")
        screen = await wait_for_debugger(pilot, app)
        assert screen.trace.scenario.mode == "code"
        assert [f.id for f in screen.trace.findings if f.severity == "error"] == ["derivative-on-preactivation"]


async def test_picker_reports_a_scenario_that_cannot_be_recorded(tmp_path: Path) -> None:
    app = BptraceApp(None)
    async with app.run_test(size=SIZE) as pilot:
        bad = tmp_path / "broken.toml"
        bad.write_text("format = 1\nname = 'x'\n[network]\ninputs = 'two'\n")
        app.open_scenario(bad)
        await settle(pilot)
        assert isinstance(app.screen, PickerScreen)
        assert any("broken.toml" in n.message for n in app._notifications)
        assert not app.screen.query_one(OptionList).loading


async def palette(pilot, app: BptraceApp, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+p")
    assert isinstance(app.screen, CommandPalette)
    app.screen.query_one("CommandInput").value = query  # typing key by key is slow and tests nothing of ours
    for _ in range(20):  # the palette searches asynchronously
        await pilot.pause(0.05)
        if app.screen.query_one(CommandList).option_count:
            break
    await pilot.press("enter")
    await settle(pilot)


async def test_palette_opens_scenarios_and_export_and_goto(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await palette(pilot, app, "export trace as markdown")
        assert isinstance(app.screen, ExportDialog)
        assert app.screen.query_one("Input").value.endswith(".md")  # type: ignore[attr-defined]
        await pilot.press("escape")
        await palette(pilot, app, "go to step")
        assert isinstance(app.screen, GoToDialog)
        await pilot.press("escape")
        await palette(pilot, app, "open scenario: vanishing")
        screen = await wait_for_debugger(pilot, app)
        assert screen.trace.scenario.name.startswith("Vanishing gradients")
        await palette(pilot, app, "scenario picker")
        assert isinstance(app.screen, PickerScreen)
        await palette(pilot, app, "open scenario: vanishing")
        await wait_for_debugger(pilot, app)
        await palette(pilot, app, "scenario picker")
        assert isinstance(app.screen, PickerScreen)
        # The trace the app started on stays under them (the base of Textual's stack): one screen over it, not more.
        assert len(app.screen_stack) == 2


async def test_export_from_the_tui_writes_the_notes(seed: Trace, tmp_path: Path) -> None:
    app = BptraceApp(seed)
    out = tmp_path / "notes.md"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        app.screen.query_one("Input").value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
    assert any(m.startswith(f"Wrote {out}") for m in messages) and out.exists()
    assert out.read_text().startswith("# ")


async def test_a_trace_without_steps_explains_itself(seed: Trace) -> None:
    from dataclasses import replace

    from bptrace.trace import Finding
    from bptrace.tui.empty import EmptyTraceScreen

    raised = Finding("exception", "error", None, "NameError: name 'W2' is not defined", "impl.py", 3)
    app = BptraceApp(replace(seed, steps=(), findings=(raised,)))
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, EmptyTraceScreen)
        text = str(app.screen.query_one("#empty Static").content)  # type: ignore[attr-defined]
        assert "no steps" in text and "NameError" in text and "impl.py:3" in text
        await pilot.press("n", "f", "s", "question_mark", "escape", "q")
    assert app.return_code == 0
