"""Every finding id has a gallery scenario whose program commits that mistake; bptrace names it at its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from bptrace.pitfalls import CATALOGUE, SEVERITIES
from bptrace.sources import trace_from_source

GALLERY = Path(__file__).resolve().parents[2] / "scenarios" / "gallery"

# id -> (line of the guilty statement in the gallery program, other error ids it may also show)
EXPECTED: dict[str, tuple[int, frozenset[str]]] = {
    "derivative-on-preactivation": (29, frozenset()),
    "derivative-on-activation": (29, frozenset()),
    "loss-output-mismatch": (31, frozenset()),
    "gradient-scale": (32, frozenset()),  # the output delta: every gradient inherits its missing 1/m
    "bias-sum-axis": (33, frozenset()),
    "transpose": (30, frozenset()),
    "stale-weights": (31, frozenset()),
    "update-sign": (44, frozenset()),
    "shape-broadcast": (28, frozenset({"exception"})),  # the 3x3 delta then fails a np.dot two lines later
    "gradient-mismatch": (25, frozenset()),
    "non-finite": (22, frozenset()),
    "exception": (35, frozenset()),
    "implicit-learning-rate": (27, frozenset()),
    "exp-overflow": (7, frozenset({"saturated-units"})),
    "saturated-units": (19, frozenset()),
    "dead-relu": (26, frozenset()),
}


def test_every_finding_id_has_its_gallery_line() -> None:
    """The table above covers the catalogue: every finding id's gallery program is checked below."""
    assert set(EXPECTED) == set(CATALOGUE)


@pytest.mark.parametrize("finding_id", sorted(EXPECTED))
def test_gallery_program_is_named_at_its_line(finding_id: str) -> None:
    line, also = EXPECTED[finding_id]
    stem = CATALOGUE[finding_id].gallery
    trace = trace_from_source(GALLERY / f"{stem}.toml")
    assert trace.scenario.mode == "code"
    hits = [f for f in trace.findings if f.id == finding_id]
    assert hits, [(f.id, f.line) for f in trace.findings]
    assert hits[0].file == f"{stem}.py"
    assert hits[0].line == line, hits[0]
    source_line = (GALLERY / f"{stem}.py").read_text().splitlines()[line - 1]
    assert source_line.strip(), "the finding points at a blank line"
    # No false alarm beside the planted one.
    errors = {f.id for f in trace.findings if f.severity == "error"}
    allowed = {finding_id} | also
    assert errors <= allowed, errors - allowed
    if SEVERITIES[finding_id] == "error":
        assert hits[0].step is None or 0 <= hits[0].step < len(trace.steps)


def test_gallery_traces_export_valid_json_and_notes(tmp_path: Path) -> None:
    import json
    from importlib import resources

    import jsonschema

    from bptrace.export import export_trace

    schema = json.loads(resources.files("bptrace.export").joinpath("trace.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for toml in sorted(GALLERY.glob("*.toml")):
        trace = trace_from_source(toml)
        out = tmp_path / f"{toml.stem}.json"
        export_trace(trace, out, None, None)
        errors = [e.message for e in validator.iter_errors(json.loads(out.read_text()))]
        assert not errors, (toml.name, errors[:3])
    trace = trace_from_source(GALLERY / "derivative_on_preactivation.toml")
    for suffix in (".md", ".html"):
        out = tmp_path / f"note{suffix}"
        export_trace(trace, out, None, None)
        assert "sigmoid_derivative(Z1)" in out.read_text()


@pytest.mark.parametrize(("stem", "fix"), [
    ("derivative_on_preactivation", "Pass the activation: sigmoid_derivative(A1), not sigmoid_derivative(Z1)"),
    ("derivative_on_activation", "Pass the pre-activation: sigmoid_derivative(Z1), not sigmoid_derivative(A1)"),
])
def test_the_fix_is_written_in_the_learners_own_names(stem: str, fix: str) -> None:
    trace = trace_from_source(GALLERY / f"{stem}.toml")
    finding = next(f for f in trace.findings if f.severity == "error")
    assert finding.fix is not None and fix in finding.fix, finding.fix
    assert "Fix:" not in finding.message  # the fix is a field of its own


def test_notes_name_the_learners_file_not_this_machines_path(tmp_path: Path) -> None:
    from bptrace.export import export_trace

    trace = trace_from_source(GALLERY / "derivative_on_preactivation.toml")
    assert trace.scenario.source_file and Path(trace.scenario.source_file).is_absolute()  # the JSON keeps it
    for suffix in (".md", ".html"):
        out = tmp_path / f"note{suffix}"
        export_trace(trace, out, None, None)
        text = out.read_text().replace("\\_", "_")  # Markdown escapes the underscores
        assert "derivative_on_preactivation.py" in text and str(GALLERY) not in text, suffix


def test_gallery_sse_program_checks_clean_under_its_own_loss() -> None:
    """Σ(ŷ−y)² with grad 2(ŷ−y): clean as sse; declared half_sse, the 2 is a real error."""
    trace = trace_from_source(GALLERY / "sse_loss.toml")
    assert trace.scenario.loss == "sse" and trace.train_steps == 5
    assert not trace.findings, [(f.id, f.line) for f in trace.findings]
    wrong = trace_from_source(GALLERY / "sse_loss.py", loss="half_sse", reduction="sum")
    assert wrong.error_count() >= 1


def test_gallery_inferred_loss_program_says_what_it_inferred_and_names_the_mistake() -> None:
    trace = trace_from_source(GALLERY / "inferred_loss.toml")
    assert (trace.scenario.loss, trace.scenario.reduction) == ("bce", "mean")
    assert trace.scenario.notes["loss_inferred"] == "Loss inferred: bce, mean (your line 29 computes it)."
    source = (GALLERY / "inferred_loss.py").read_text().splitlines()
    assert source[28].strip().startswith("cost = -np.mean(")
    assert [(f.id, f.line) for f in trace.findings if f.severity == "error"] == [("derivative-on-preactivation", 34)]
