"""Every key of the contract, driven through Textual's Pilot on the debugger screen."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bptrace.export.json_format import load_trace
from bptrace.numbers import number
from bptrace.trace import Trace
from bptrace.tui.app import BptraceApp
from bptrace.tui.debugger import DebuggerScreen
from bptrace.tui.dialogs import ExportDialog, GoToDialog
from bptrace.tui.help import HelpScreen
from bptrace.tui.network import NetworkDiagram
from bptrace.tui.timeline import Timeline
from tests.tui.conftest import CANONICAL_LINES, line_of, settle, step_of

SIZE = (100, 32)


def shown(app: BptraceApp, selector: str) -> str:
    return str(app.screen.query_one(selector).content)  # type: ignore[attr-defined]


def screen(app: BptraceApp) -> DebuggerScreen:
    assert isinstance(app.screen, DebuggerScreen)
    return app.screen


def notices(app: BptraceApp) -> list[str]:
    return [n.message for n in app._notifications]


async def test_stepping_keys(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert screen(app).current_step == 0
        assert shown(app, "#step-title").endswith("Step 0/16 · training step 0 · forward · Z1 = W1·X + b1")
        assert shown(app, "#formula") == "Z1 = W1·X + b1"
        assert not notices(app)  # e.g. no "symbolic forms are unavailable"
        await pilot.press("n", "right", "n")
        assert screen(app).current_step == 3
        await pilot.press("p", "left")
        assert screen(app).current_step == 1
        assert shown(app, "#step-title").endswith("· forward · A1 = relu(Z1)")  # the op is said once
        await pilot.press("g", "1", "0", "enter")
        assert shown(app, "#step-title").endswith("· backward · through the activation → ∂L/∂Z1")
        await pilot.press("g", "1", "enter")
        await pilot.press("end")
        assert screen(app).current_step == 16
        assert "b2 ← b2 − η·∂L/∂b2" in shown(app, "#formula")
        await pilot.press("n")  # past the end: stays, says so
        assert screen(app).current_step == 16 and "Already at the last step." in notices(app)
        await pilot.press("home", "p")
        assert screen(app).current_step == 0 and "Already at the first step." in notices(app)
        # the panes follow: timeline cursor, network node, phase arrows
        await pilot.press("end")
        await pilot.press(*["p"] * 6)
        await settle(pilot)
        assert screen(app).current_step == 10
        assert app.screen.query_one(Timeline).current == 10
        network = app.screen.query_one(NetworkDiagram)
        assert network.node == 1 and network.backward
        assert "(W2ᵀ·∂L/∂Z2) ⊙ relu′(Z1)" in shown(app, "#formula")
        terms = shown(app, "#terms")
        assert "upstream ∂L/∂A1" in terms and "relu′(Z1)" in terms and "-0.02582" in terms
        assert "∂L/∂Z1 3×1" in shown(app, "#result")


async def test_finding_keys_and_continue(coded: Trace) -> None:
    dead, wrong = step_of(coded, "A1"), step_of(coded, "dZ2")
    app = BptraceApp(coded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert f"next: step {dead} (f)" in shown(app, "#findings")
        await pilot.press("f")
        assert screen(app).current_step == dead
        findings = shown(app, "#findings")
        assert "dead-relu" in findings and "Dead ReLU units" in findings and "Why:" in findings
        assert f"impl_canonical.py:{line_of('A1 = relu(Z1)')}" in findings and "units 2" in findings
        await pilot.press("f")
        assert screen(app).current_step == wrong
        findings = shown(app, "#findings")
        assert "derivative-on-preactivation" in findings and "Derivative helper given z" in findings
        assert f"impl_canonical.py:{line_of('dZ2 = dA2 * sigmoid_derivative(Z2)')}" in findings
        assert "x = Z2, a pre-activation" in findings and "the activation A2" in findings
        await pilot.press("f")
        assert screen(app).current_step == wrong and "No finding after this step." in notices(app)
        await pilot.press("F")
        assert screen(app).current_step == dead
        await pilot.press("F")
        assert screen(app).current_step == dead and "No finding before this step." in notices(app)
        # c stops at findings, then at breakpoints: a line, in both passes of the training loop
        await pilot.press("home", "c")
        assert screen(app).current_step == dead
        await pilot.press("c")
        assert screen(app).current_step == wrong
        await pilot.press("n", "b")  # the next step, A1.T on the dW2 line: a breakpoint on the line
        line = ("line", "impl_canonical.py", str(line_of("dW2 = dZ2 @ A1.T")))
        assert screen(app).breakpoints == {line}
        await pilot.press("home", "c", "c", "c")
        assert screen(app).current_step == wrong + 1
        await pilot.press("c")
        assert screen(app).current_step == step_of(coded, "dW2")  # the same line again
        await pilot.press("c")
        assert screen(app).current_step == step_of(coded, "A1.T", train_step=1)  # the loop's second pass
        await pilot.press("b")  # remove it
        assert not screen(app).breakpoints
        await pilot.press("c")
        assert "No breakpoint or finding ahead; b sets a breakpoint." in notices(app)


async def test_the_expected_value_stands_beside_a_wrong_one(coded: Trace) -> None:
    """A gradient the learner's code got wrong shows the true one under it, differing entries marked."""
    wrong = next(s for s in coded.steps if s.reference is not None and not np.allclose(s.value, s.reference))
    # the first wrong value is the guilty step itself, the one the finding names
    assert (
        wrong.target == "dZ2"
        and wrong.train_step == 0
        and "derivative-on-preactivation" in coded.finding_ids_at(wrong.index)
    )
    app = BptraceApp(coded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *str(wrong.index), "enter")
        await settle(pilot)
        result = shown(app, "#result")
        assert "result   dZ2 1×2" in result and "■ differs from the true value" in result
        got, expected = result.split("expected")
        assert number(wrong.value[0, 0]) in got and number(wrong.reference[0, 0]) in expected  # type: ignore[index]
        assert number(wrong.reference[0, 0]) not in got  # type: ignore[index]
        await pilot.press("p")
        assert "expected" not in shown(app, "#result")


async def test_unnamed_steps_read_as_op_and_source(coded: Trace) -> None:
    """Code mode's intermediates: the timeline row is cut with …, the title says the op once."""
    step = next(s for s in coded.steps if s.target == "learning_rate * dW1")
    app = BptraceApp(coded)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *str(step.index), "enter")
        await settle(pilot)
        timeline = app.screen.query_one(Timeline)
        row = timeline.render_line(timeline.index.row_of_step[step.index] - timeline.scroll_offset.y).text
        assert row.rstrip().endswith(f"{step.index} multiply: learni…")  # 17 cells: cut, and says so
        assert shown(app, "#step-title").endswith("· update · multiply: learning_rate * dW1")
        assert "result   learning_rate *… 3×2" in shown(app, "#result")
        await pilot.press("n")
        assert shown(app, "#step-title").endswith("· update · subtract → W1 −= η·∂L/∂W1")


def fully_visible(app: BptraceApp, selector: str) -> bool:
    where = app.screen.find_widget(app.screen.query_one(selector))
    return where.region.intersection(where.clip) == where.region


@pytest.mark.parametrize("size", [(100, 30), (120, 36)])
async def test_a_step_with_a_finding_or_a_true_value_keeps_its_result_in_view(
    coded: Trace, size: tuple[int, int]
) -> None:
    """The source and a long finding take room; the step's result (and expected) is scrolled into view."""
    app = BptraceApp(coded)
    async with app.run_test(size=size) as pilot:
        for keys, target in [(("f", "f"), "dZ2"), (("g", *str(step_of(coded, "dW1")), "enter"), "dW1")]:
            await pilot.press(*keys)
            await settle(pilot)
            assert coded.steps[screen(app).current_step].target == target
            assert fully_visible(app, "#result") and fully_visible(app, "#step-title")  # the title stays put
        assert "expected" in shown(app, "#result")
        findings = app.screen.query_one("#findings-pane")
        await pilot.press("F")  # back to the mistake: its finding is longer than the pane, which scrolls
        await settle(pilot)
        assert findings.max_scroll_y > 0 and findings.scroll_y == 0
        await pilot.press("tab", "down")
        assert app.focused is findings and findings.scroll_y == 1


async def test_source_pane_follows_the_step(coded: Trace) -> None:
    def marked(line: int) -> str:
        return f"▶{line:>2} {CANONICAL_LINES[line - 1]}"

    app = BptraceApp(coded)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        source = str(app.screen.query_one("#source-text").content)  # type: ignore[attr-defined]
        first = line_of("W1 = np.array(")
        assert coded.steps[0].source.line == first and marked(first) in source  # type: ignore[union-attr]
        await pilot.press("f")  # relu's maximum, inside the helper
        source = str(app.screen.query_one("#source-text").content)  # type: ignore[attr-defined]
        assert marked(line_of("return np.maximum(0, z)")) in source and "▶" + str(first) not in source
        await pilot.press("f")
        source = str(app.screen.query_one("#source-text").content)  # type: ignore[attr-defined]
        assert marked(line_of("dZ2 = dA2 * sigmoid_derivative(Z2)")) in source
        assert source.count("▶") == 1


HELPERS = """import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))
"""

MAIN = """import numpy as np
from my_helpers import sigmoid

W1 = np.array([[0.5, -0.3], [0.2, 0.8]])
W2 = np.array([[0.6, -0.4]])
X = np.array([[0.2, 0.7], [0.9, -0.4]])
Y = np.array([[1.0, 0.0]])
A1 = sigmoid(W1 @ X)
A2 = sigmoid(W2 @ A1)
dZ2 = A2 - Y
dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
W2 -= 0.1 * (dZ2 @ A1.T)
W1 -= 0.1 * (dZ1 @ X.T)
"""


async def test_source_pane_does_not_point_into_the_wrong_file(tmp_path: Path) -> None:
    """A step that ran in the learner's helper module names it; no line of the script is marked."""
    from bptrace.codetrace import record_code
    from bptrace.tui.source_pane import SourcePane

    (tmp_path / "my_helpers.py").write_text(HELPERS)
    (tmp_path / "main.py").write_text(MAIN)
    trace = record_code(tmp_path / "main.py", loss="bce", reduction="sum")
    helper = next(s for s in trace.steps if s.source is not None and s.source.file == "my_helpers.py")
    app = BptraceApp(trace)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.screen.query_one(SourcePane)
        assert pane.border_title == "main.py"  # the name steps and findings use, not the whole path
        screen(app).current_step = helper.index
        await settle(pilot)
        assert "▶" not in str(app.screen.query_one("#source-text").content)  # type: ignore[attr-defined]
        assert pane.border_subtitle == f"this step ran in my_helpers.py:{helper.source.line}"  # type: ignore[union-attr]
        step = next(s for s in trace.steps[helper.index:] if s.source is not None and s.source.file == "main.py")
        screen(app).current_step = step.index
        await settle(pilot)
        assert f"▶{step.source.line:>2} " in str(app.screen.query_one("#source-text").content)  # type: ignore[attr-defined]
        assert pane.border_subtitle == ""


async def test_breakpoint_marks_the_same_op_in_every_training_step(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "b")
        assert ("op", "update", "sgd", "b2") in screen(app).breakpoints
        timeline = app.screen.query_one(Timeline)
        assert timeline.breakpoints is screen(app).breakpoints
        await pilot.press("home", "c")
        assert screen(app).current_step == 16


async def test_goto_dialog(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GoToDialog)
        await pilot.press("9", "9", "enter")  # refused with a reason, dialog stays
        assert isinstance(app.screen, GoToDialog)
        assert "steps go from 0 to 16" in shown(app, ".dialog-hint")
        await pilot.press("backspace", "backspace", "1", "2", "enter")
        assert screen(app).current_step == 12
        await pilot.press("g", "t", "0", "enter")
        assert screen(app).current_step == 0
        await pilot.press("g", "5", "escape")
        assert screen(app).current_step == 0


async def test_symbolic_detail_and_digits(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", "1", "1", "enter")  # ∂L/∂W1, 3×2
        await pilot.press("s")
        assert screen(app).element_mode
        await settle(pilot)
        element = shown(app, "#element")
        assert "element [0,0] of 3×2" in element
        assert "∂L/∂W1[0,0] = X[0,0]·∂L/∂Z1[0,0]" in element and "✓ matches the matrix entry" in element
        # ... and the whole chain, down to forward values, agrees with the number too
        assert "the chain written out" in element and "W2[0,0]·X[0,0]" in element
        assert element.count("✓ matches the matrix entry") == 2
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "∂L/∂W1[0,1]" in shown(app, "#element")
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert "∂L/∂W1[0,0]" in shown(app, "#element")
        await pilot.press("n")  # element form follows the step (∂L/∂b1 is 3×1)
        await settle(pilot)
        assert "∂L/∂b1[0,0]" in shown(app, "#element")
        await pilot.press("s")
        assert not screen(app).element_mode and not app.screen.query_one("#element").display
        await pilot.press("d")
        assert "[digits: full]" in shown(app, "#step-title")
        assert "-0.0258164128927499" in shown(app, "#result")
        await pilot.press("d")
        assert "[digits: full]" not in shown(app, "#step-title")


async def test_help_screen(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("Static").content)  # type: ignore[attr-defined]
        for key in ("n  →", "p  ←", "home  end", "f  F", "g", "s", "e", "?", "q", "c", "b"):
            assert key in text
        await pilot.press("question_mark")
        assert isinstance(app.screen, DebuggerScreen)
        await pilot.press("question_mark", "escape")
        assert isinstance(app.screen, DebuggerScreen)


async def test_quit(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
    assert app.return_code == 0


async def test_export_json_reads_back(seed: Trace, tmp_path: Path) -> None:
    app = BptraceApp(seed)
    out = tmp_path / "trace.json"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, ExportDialog)
        dialog_input = app.screen.query_one("Input")
        dialog_input.value = str(out)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert any(message.startswith(f"Wrote {out}") for message in notices(app))
    data = json.loads(out.read_text())
    assert data["format"] == "bptrace-trace" and len(data["steps"]) == 17
    assert load_trace(out).steps[10].target == "dZ1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("missing/trace.json", "does not exist"), ("trace.txt", "cannot tell the format")],
)
async def test_export_bad_input_is_a_message(seed: Trace, tmp_path: Path, name: str, expected: str) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        app.screen.query_one("Input").value = str(tmp_path / name)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert any(expected in message for message in notices(app)), notices(app)
        assert isinstance(app.screen, DebuggerScreen)
    assert not list(tmp_path.iterdir())


async def test_export_dialog_cancel(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e", "escape")
        assert isinstance(app.screen, DebuggerScreen)


async def test_replayed_trace_drives_the_tui_like_a_fresh_one(seed: Trace, tmp_path: Path) -> None:
    from bptrace.export import export_trace

    path = tmp_path / "t.json"
    export_trace(seed, path)
    views = []
    for trace in (seed, load_trace(path)):
        app = BptraceApp(trace)
        async with app.run_test(size=SIZE) as pilot:
            seen = []
            for _ in range(len(trace.steps)):
                await settle(pilot)
                seen.append([shown(app, s) for s in ("#step-title", "#formula", "#terms", "#result", "#findings")])
                await pilot.press("n")
            views.append(seen)
    assert views[0] == views[1]


async def test_clicking_a_timeline_row_selects_its_step(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        timeline = app.screen.query_one(Timeline)
        row = timeline.index.row_of_step[7]
        await pilot.click(Timeline, offset=(5, row))
        assert screen(app).current_step == 7
        await pilot.click(Timeline, offset=(5, 0))  # a training-step header: its first step
        assert screen(app).current_step == 0
