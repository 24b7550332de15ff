"""Traces written before steps said what they are (kind, layer, of, parameter, learner_name) and findings
carried their fix still load: the fields are derived once, on load, and every reader then uses them.

The fixtures were exported by bptrace at commit a63a41a (before the change), from
scenarios/seed1_relu_sigmoid.toml and from tests/fixtures/tricky_names.py with --steps 2.
"""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from bptrace.export.json_format import dumps, load_trace, trace_from_dict
from bptrace.kinds import step_label, step_title
from bptrace.recorder import record
from bptrace.report import render
from bptrace.scenario import load_scenario
from bptrace.trace import Step, recorded_train_steps

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def semantics(step: Step) -> tuple[object, ...]:
    """What a step is, as the typed fields say it."""
    return step.kind, step.layer, step.of, step.parameter, step.learner_name


def test_a_reference_trace_from_before_derives_what_each_step_is() -> None:
    old = load_trace(FIXTURES / "pre_kinds_seed1_v2.json")
    fresh = record(load_scenario(ROOT / "scenarios" / "seed1_relu_sigmoid.toml"), steps=1)
    assert len(old.steps) == len(fresh.steps)
    for a, b in zip(old.steps, fresh.steps, strict=True):
        assert semantics(a) == semantics(b)
        assert step_label(a) == step_label(b) and step_title(a) == step_title(b)
    by_target = {s.target: s for s in old.steps}
    assert by_target["dA1"].kind == "input_grad" and by_target["dA1"].layer == 1 and by_target["dA1"].of == "A1"
    assert by_target["dW2"].parameter == "W2" and by_target["b1"].kind == "update" and by_target["b1"].parameter == "b1"


def test_a_code_trace_from_before_keeps_the_learners_names_and_its_notes() -> None:
    old = load_trace(FIXTURES / "pre_kinds_tricky_code_v2.json")
    # The bounded-recording sentence moved from the description into a structured note.
    assert old.scenario.notes["recorded_train_steps"] == [2, 4]
    assert "Recorded in detail" not in old.scenario.description
    assert recorded_train_steps(old.scenario) is not None and "(2 of 4)" in str(recorded_train_steps(old.scenario))
    # The fix written after " Fix: " is a field of its own.
    (finding,) = old.findings
    assert finding.id == "loss-output-mismatch" and "Fix:" not in finding.message
    assert finding.fix is not None and finding.fix.startswith("For half_sse/mse with a sigmoid output")
    labels = {(s.train_step, s.target): step_label(s) for s in old.steps}
    assert labels[0, "delta2"] == "delta2 = divide" and labels[0, "d_hidden"] == "d_hidden = multiply"
    assert labels[0, "dense1"] == "dense1 −= η·∂L/∂dense1"
    assert labels[0, "hidden.T"] == "transpose: hidden.T"
    dense1 = next(s for s in old.steps if s.target == "dense1" and s.phase == "update")
    assert dense1.kind == "update" and dense1.parameter == "W1" and dense1.learner_name == "dense1"
    # The report says the note where it always did, read from the note.
    out = io.StringIO()
    render(old, Console(file=out, width=120, color_system=None))
    assert "Recorded in detail: training steps 0–1 (2 of 4)" in out.getvalue()


def test_an_old_trace_written_again_reads_back_the_same() -> None:
    import json

    old = load_trace(FIXTURES / "pre_kinds_tricky_code_v2.json")
    again = trace_from_dict(json.loads(dumps(old)), "again.json")
    assert again.scenario == old.scenario and again.findings == old.findings
    for a, b in zip(old.steps, again.steps, strict=True):
        assert semantics(a) == semantics(b)


def test_a_step_finding_id_the_list_lacks_becomes_a_finding() -> None:
    """Hand-made traces may name an id only on the step; Trace.findings is the one list, so it lands there."""
    import json

    doc = json.loads((FIXTURES / "pre_kinds_seed1_v2.json").read_text())
    doc["steps"][6]["findings"] = ["my-own-check"]
    trace = trace_from_dict(doc, "t.json")
    assert [(f.id, f.step, f.severity) for f in trace.findings] == [("my-own-check", 6, "error")]
    assert trace.finding_ids_at(6) == ("my-own-check",)
