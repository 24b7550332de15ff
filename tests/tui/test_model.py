"""The TUI's plain-data helpers: timeline rows, stops, nodes, go-to parsing, matrices, sparkline."""

from __future__ import annotations

import numpy as np

from bptrace.bundled import SCENARIO_DIR
from bptrace.kinds import step_label, step_title, value_name
from bptrace.numbers import buckets
from bptrace.recorder import record
from bptrace.scenario import load_scenario
from bptrace.trace import Trace
from bptrace.tui.debugger import export_name, fits, move_element
from bptrace.tui.dialogs import parse_goto
from bptrace.tui.loss_chart import sparkline
from bptrace.tui.matrix import CHANGED, WRONG, ZERO, render_matrix
from bptrace.tui.model import TraceIndex
from tests.tui.conftest import line_of, step_of


def test_rows_group_steps_by_training_step_and_phase(seed: Trace) -> None:
    index = TraceIndex(seed)
    kinds = [(row.kind, row.phase) for row in index.rows[:3]]
    assert kinds == [("train", ""), ("phase", "forward"), ("step", "forward")]
    phases = [row.phase for row in index.rows if row.kind == "phase"]
    assert phases == ["forward", "loss", "backward", "update"]
    for step in seed.steps:  # every step has exactly its own row
        assert index.rows[index.row_of_step[step.index]].step == step.index


def test_findings_stops_and_breakpoints(coded: Trace) -> None:
    index = TraceIndex(coded)
    dead, wrong = step_of(coded, "A1"), step_of(coded, "dZ2")  # relu(Z1): unit 3 dead; dZ2: σ′ of Z2
    assert index.finding_steps == [dead, wrong]
    assert index.severity(dead) == "warning" and index.severity(wrong) == "error" and index.severity(0) is None
    assert index.next_finding(0) == dead and index.next_finding(dead) == wrong and index.next_finding(wrong) is None
    assert index.previous_finding(wrong) == dead and index.previous_finding(dead) is None
    # code mode: a breakpoint is a source line, so every step on it matches, in every pass of the loop
    line = line_of("dW2 = dZ2 @ A1.T")
    on_line = [s.index for s in coded.steps if s.source is not None and s.source.line == line]
    assert [coded.steps[i].target for i in on_line] == ["A1.T", "dW2", "A1.T", "dW2"]
    where = index.location(on_line[0])
    assert where == ("line", "impl_canonical.py", str(line))
    assert [index.location(i) for i in on_line] == [where] * 4
    stops, at = [], 0
    while (at := index.next_stop(at, {where})) is not None:
        stops.append(at)
    assert stops == sorted([dead, wrong, *on_line])
    assert index.next_stop(wrong, set()) is None


def test_breakpoint_on_an_op_hits_every_training_step() -> None:
    from bptrace.bundled import SCENARIO_DIR
    from bptrace.recorder import record
    from bptrace.scenario import load_scenario

    trace = record(load_scenario(SCENARIO_DIR / "vanishing_sigmoid.toml"))
    index = TraceIndex(trace)
    dW1 = next(s.index for s in trace.steps if s.target == "dW1")
    again = index.next_stop(dW1, {index.location(dW1)})
    assert again is not None and trace.steps[again].target == "dW1" and trace.steps[again].train_step == 1


def test_node_of_step(seed: Trace) -> None:
    index = TraceIndex(seed)
    by_target = {step.target: index.node_of(step.index) for step in seed.steps}
    assert by_target["Z1"] == 1 and by_target["A2"] == 2 and by_target["L"] == 3
    assert by_target["dA1"] == 1 and by_target["dW2"] == 2 and by_target["b1"] == 1


def test_parse_goto() -> None:
    first_of = {0: 0, 1: 17}
    assert parse_goto("12", 34, 2, first_of) == 12
    assert parse_goto(" t1 ", 34, 2, first_of) == 17
    assert "0 to 33" in str(parse_goto("99", 34, 2, first_of))
    assert "0 to 1" in str(parse_goto("t5", 34, 2, first_of))
    assert "step number" in str(parse_goto("abc", 34, 2, first_of))


def test_element_moves_row_major_and_clamps() -> None:
    assert move_element((0, 0), (3, 2), 1) == (0, 1)
    assert move_element((0, 1), (3, 2), 1) == (1, 0)
    assert move_element((2, 1), (3, 2), 5) == (2, 1)
    assert move_element((0, 0), (3, 2), -1) == (0, 0)
    assert fits((2, 1), (3, 2)) and not fits((3, 0), (3, 2)) and not fits((0,), (3, 2))


def test_labels_and_export_name(seed: Trace) -> None:
    labels = [step_label(step) for step in seed.steps]
    assert labels[:5] == ["Z1 = W1·X + b1", "A1 = relu(Z1)", "Z2 = W2·A1 + b2", "A2 = sigmoid(Z2)", "L = bce(A2, Y)"]
    assert "∂L/∂W1" in labels and labels[-1] == "b2 −= η·∂L/∂b2"
    rows = record(load_scenario(SCENARIO_DIR / "seed2_sigmoid_rows.toml"))  # samples are rows: X·W1
    assert step_label(rows.steps[0]) == "Z1 = X·W1 + b1"
    assert [value_name(step) for step in seed.steps][:6] == ["Z1", "A1", "Z2", "A2", "L", "∂L/∂A2"]
    assert export_name(seed) == "seed_1_relu_hidden_layer_sigmoid_output.json"


def test_code_mode_labels_name_what_the_learner_named(coded: Trace) -> None:
    """Named arrays keep the learner's name (a gradient called dZ2 is not renamed ∂L/∂Z2: the label does not
    guess from spelling); unnamed intermediates are their op, then their source text."""
    label = {(step.train_step, step.target): step_label(step) for step in coded.steps}
    assert (
        label[0, "Z1"] == "Z1 = add" and label[0, "dZ2"] == "dZ2 = multiply" and label[0, "A1.T"] == "transpose: A1.T"
    )
    assert label[0, "np.exp(-z)"] == "exp: np.exp(-z)" and label[0, "-z"] == "negative: -z"
    assert label[0, "W1 @ X"] == "matmul: W1 @ X"
    # the update phase: the step size times the gradient is not itself an update
    assert label[0, "learning_rate * dW1"] == "multiply: learning_rate * dW1"
    assert label[1, "W1"] == "W1 −= η·∂L/∂W1"
    names = {step.target: value_name(step) for step in coded.steps}
    assert names["dW1"] == "dW1" and names["W1 @ X"] == "W1 @ X"
    # what the update descends along is known from the data flow, and said in the title
    dW1 = next(step for step in coded.steps if step.target == "dW1")
    assert dW1.of == "W1" and step_title(dW1) == "dW1 = matmul · used as ∂L/∂W1 by its update"
    assert names["Y / A2 - (1 - Y) / (1 - A2)"] == "Y / A2 - (1 - Y…"


def _styles(content: object) -> set[str]:
    return {str(span.style) for span in content.spans}  # type: ignore[attr-defined]


def test_matrix_elides_and_highlights() -> None:
    wide = np.arange(40.0).reshape(2, 20)
    text = render_matrix(wide, max_cols=6).plain
    assert "…" in text and "19" in text and "10" not in text
    tall = np.arange(40.0).reshape(20, 2)
    assert "⋮" in render_matrix(tall, max_rows=6).plain
    assert WRONG in _styles(render_matrix(np.array([[1.0, 2.0]]), reference=np.array([[1.0, 3.0]])))
    assert WRONG in _styles(render_matrix(np.array([[np.nan, 2.0]])))
    assert CHANGED in _styles(render_matrix(np.array([[1.0, 2.0]]), before=np.array([[1.0, 2.5]])))
    assert ZERO in _styles(render_matrix(np.array([[0.0, 2.0]])))
    assert _styles(render_matrix(np.array([[1.0, 2.0]]))) == set()
    assert render_matrix(np.array([[0.1 + 0.2]]), full=True).plain == "[ 0.30000000000000004 ]"
    assert render_matrix(np.array([[0.1 + 0.2]])).plain == "[ 0.3 ]"


def test_sparkline_marks_the_current_training_step() -> None:
    assert buckets(tuple(range(10)), 4) == [(0, 2), (2, 5), (5, 7), (7, 10)]
    losses = (1.0, 0.5, 0.25, 0.0)
    line = sparkline(losses, 10, current=2)
    assert line.plain == "█▅▃▁"
    assert [s.style for s in line.spans if "reverse" in str(s.style)] and line.spans[2].start == 2
    assert "✗" in sparkline((1.0, float("nan")), 10).plain


def test_forms_fall_back_when_sympy_is_unavailable(seed: Trace, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import sys

    import bptrace
    from bptrace.tui.forms import FormCache, warm_up

    monkeypatch.delattr(bptrace, "symbolic", raising=False)
    monkeypatch.setitem(sys.modules, "bptrace.symbolic", None)  # import raises ImportError
    assert warm_up() is not None
    cache = FormCache(seed)
    assert cache.compute_formulas([0]) == 1
    assert cache.formula(0).text.startswith("Z1 = affine(W1, X, b1)")  # type: ignore[union-attr]
    assert "No element form" in str(cache.compute_element(seed.steps[0], (0, 0)))


def test_importing_the_tui_does_not_import_sympy() -> None:
    """sympy costs half a second: it must load in a worker, never on the way to the first frame."""
    import subprocess
    import sys

    code = "import sys, bptrace.tui.app; print('sympy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr
