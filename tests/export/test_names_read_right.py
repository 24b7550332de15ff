"""Done-when of issue 14: no reader of the Trace parses a label, message or description.

The timeline, the step's title, the report and both notes run over code-mode traces whose learner
names start with ``d`` (delta2, d_hidden), end in digits (dense1, a2), or contain ``ᵀ``, brackets
or spaces; each reads the name as the learner wrote it. One trace is recorded from a small learner
program (tests/fixtures/tricky_names.py); names no program can bind are put in a Trace built directly.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from bptrace import symbolic
from bptrace.codetrace import record_code
from bptrace.export import html_format, markdown_format
from bptrace.kinds import step_label, step_title, value_name
from bptrace.report import render as report
from bptrace.trace import Finding, Formula, ScenarioInfo, SourceRef, Step, Term, Trace
from bptrace.tui.model import TraceIndex

PROGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "tricky_names.py"
# What the old label-parsing readers made of such names.
MANGLED = ("∂L/∂elta2", "∂L/∂_hidden", "∂L/∂_dense1", "∂L/∂_bias1", "∂L/∂ hidden", "∂L/∂ᵀ")


@pytest.fixture(scope="module")
def recorded() -> Trace:
    return symbolic.with_formulas(record_code(PROGRAM, steps=2))


def built() -> Trace:
    """Names a program cannot bind: a transpose sign, brackets, spaces; and a message quoting " Fix: "."""
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    source = "Wᵀ = W.T\ngrads[W 1] = Wᵀ @ x\nd hidden = grads[W 1] * 2\nW -= lr * d hidden\n"
    info = ScenarioInfo(name="hand-built", mode="code", loss="half_sse", reduction="sum",
                        description="Code mode: names.py, traced as it runs.", source_file="names.py",
                        source_text=source, notes={"recorded_train_steps": [1, 9]})

    def step(index: int, phase: str, op: str, name: str, value: np.ndarray, line: int, **typed: object) -> Step:
        text = source.splitlines()[line - 1]
        return Step(index, 0, phase, op, name, ("x",), value, (Term("x", x, "local"),),  # type: ignore[arg-type]
                    Formula(text, rf"\texttt{{{text}}}"), source=SourceRef("names.py", line), **typed)  # type: ignore[arg-type]

    steps = (
        step(0, "backward", "transpose", "Wᵀ", x.T, 1, learner_name="Wᵀ"),
        step(1, "backward", "matmul", "grads[W 1]", x.T @ x, 2, learner_name="grads[W 1]"),
        step(2, "backward", "multiply", "d hidden", 2 * x.T @ x, 3, learner_name="d hidden", of="W"),
        step(3, "update", "subtract", "W", x - 0.1 * 2 * x.T @ x, 4, kind="update", parameter="W1", learner_name="W"),
    )
    finding = Finding("gradient-mismatch", "error", 2, "d hidden differs; the word Fix: is part of the message here.",
                      "names.py", 3, fix="Scale d hidden by 1/2.")
    return Trace(info, steps, (1.0,), ({"W1": steps[2].value},), {"W1": steps[3].value}, (finding,))


def _text_of(page: str) -> str:
    """The page's text as a reader sees it (tags such as <bdi> and <b> dropped)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _clean(text: str) -> None:
    for mangled in MANGLED:
        assert mangled not in text, mangled


def test_the_timeline_and_title_keep_the_learners_names(recorded: Trace) -> None:
    labels = {(s.train_step, s.target): step_label(s) for s in recorded.steps}
    assert labels[0, "delta2"] == "delta2 = divide"
    assert labels[0, "d_hidden"] == "d_hidden = multiply"
    assert labels[0, "d_dense1"] == "d_dense1 = matmul" and labels[0, "d_bias1"] == "d_bias1 = getitem"
    assert labels[0, "a2"] == "a2 = divide" and labels[0, "z1"] == "z1 = add"
    assert labels[0, "dense1"] == "dense1 −= η·∂L/∂dense1"  # the update, in the learner's name
    d_dense1 = next(s for s in recorded.steps if s.target == "d_dense1")
    assert d_dense1.of == "W1"  # known from the data flow: the update of dense1 (W1) descends along it
    assert step_title(d_dense1) == "d_dense1 = matmul · used as ∂L/∂W1 by its update"
    assert value_name(next(s for s in recorded.steps if s.target == "delta2")) == "delta2"
    for step in recorded.steps:
        _clean(step_label(step) + step_title(step) + value_name(step))
    # No layer is guessed from the digits of a learner's name (delta2 is not "layer 2").
    index = TraceIndex(recorded)
    assert index.node_of(next(s.index for s in recorded.steps if s.target == "delta2")) is None


def test_names_no_program_can_have_read_right_everywhere() -> None:
    trace = built()
    assert [step_label(s) for s in trace.steps] == [
        "Wᵀ = transpose", "grads[W 1] = matmul", "d hidden = multiply", "W −= η·∂L/∂W"]
    assert step_title(trace.steps[2]) == "d hidden = multiply · used as ∂L/∂W by its update"
    assert step_title(trace.steps[3]) == "subtract → W −= η·∂L/∂W"
    out = io.StringIO()
    report(trace, Console(file=out, width=160, color_system=None))
    text = out.getvalue()
    _clean(text)
    # The message is shown whole (its own " Fix: " is not a split point), then the finding's fix.
    assert "d hidden differs; the word Fix: is part of the message here. Fix: Scale d hidden by 1/2." in text
    assert "Recorded in detail: training step 0 (1 of 9)" in text
    note = markdown_format.render(trace, detail="all")
    _clean(note)
    assert "subtract → W\n" in note and r"multiply → d hidden" in note
    assert r"grads\[W 1\]" in note and "**Fix:** Scale d hidden by 1/2." in note
    assert "the word Fix: is part of the message here." in note
    page = _text_of(html_format.render(trace, detail="all"))
    _clean(page)
    assert "multiply → d hidden" in page and "transpose → Wᵀ" in page and "matmul → grads[W 1]" in page
    assert "Fix: Scale d hidden by 1/2." in page and "the word Fix: is part of the message here." in page
    assert "Recorded in detail: training step 0 (1 of 9)" in page


def test_report_and_notes_of_a_recorded_program_keep_its_names(recorded: Trace) -> None:
    out = io.StringIO()
    report(recorded, Console(file=out, width=200, color_system=None), table=range(0, len(recorded.steps)))
    text = out.getvalue()
    _clean(text)
    assert "delta2 = (a2 - Y) * a2 * (1 - a2) / X.shape[1]" in text
    assert "Recorded in detail: training steps 0–1 (2 of 4)" in text
    note = markdown_format.render(recorded, detail="all")
    _clean(note)
    assert "divide → delta2\n" in note and r"multiply → d\_hidden" in note and r"matmul → d\_dense1" in note
    page = _text_of(html_format.render(recorded, detail="all"))
    _clean(page)
    assert "divide → delta2" in page and "multiply → d_hidden" in page
