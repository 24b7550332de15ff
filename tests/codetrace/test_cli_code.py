"""Code mode through the command line: exit codes, bad input, exceptions kept in exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bptrace.codetrace import record_code
from bptrace.export.json_format import load_trace

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
GALLERY = ROOT / "scenarios" / "gallery"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bptrace", *args], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize(
    ("name", "loss", "reduction"),
    [
        ("functions_columns.py", "bce", "mean"),
        ("functions_columns.ipynb", "bce", "sum"),
        ("class_rows.py", "half_sse", "sum"),
        ("class_rows.ipynb", "half_sse", "sum"),
    ],
)
def test_correct_programs_have_no_error_finding(name: str, loss: str, reduction: str) -> None:
    result = run_cli("run", "--code", str(FIXTURES / name), "--loss", loss, "--reduction", reduction)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "0 error(s)" in result.stdout
    if name.startswith("class_rows"):
        assert "implicit-learning-rate" in result.stdout  # the class updates with step size 1


def test_canonical_mistake_is_named_at_its_line() -> None:
    result = run_cli(
        "run", "--code", str(GALLERY / "derivative_on_preactivation.py"), "--loss", "bce", "--reduction", "sum"
    )
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert "derivative-on-preactivation" in out
    assert "derivative_on_preactivation.py:29" in out
    assert "expects an activation (probed)" in out


def test_a_file_that_does_not_parse_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("import numpy as np\nW = np.zeros((2, 2)\nprint(W)\n")
    result = run_cli("run", "--code", str(bad), "--loss", "bce")
    assert result.returncode == 2
    assert "broken.py" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.stderr
    out = tmp_path / "t.json"
    assert run_cli("export", str(bad), "--loss", "bce", "-o", str(out)).returncode == 2
    assert not out.exists()


def test_code_that_raises_keeps_its_trace_in_the_export(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    result = run_cli("export", str(GALLERY / "exception.py"), "--loss", "bce", "--reduction", "sum", "-o", str(out))
    assert result.returncode == 1, result.stderr
    doc = json.loads(out.read_text())
    assert doc["scenario"]["mode"] == "code"
    exception = [f for f in doc["findings"] if f["id"] == "exception"]
    assert exception and exception[0]["line"] == 35 and exception[0]["file"] == "exception.py"
    assert "ValueError" in exception[0]["message"]
    targets = [s["target"] for s in doc["steps"]]
    assert "dZ1" in targets and "dW2" not in targets  # everything before the raising line, nothing after
    trace = load_trace(out)
    assert trace.steps[-1].source is not None and trace.steps[-1].source.line <= 35


def test_gallery_scenario_runs_from_its_toml() -> None:
    result = run_cli("run", str(GALLERY / "stale_weights.toml"))
    assert result.returncode == 1
    assert "stale-weights" in result.stdout


def test_dict_parameters_and_minibatches_give_no_false_alarm_and_a_real_mistake_is_found(tmp_path: Path) -> None:

    fixture = FIXTURES / "dict_params_minibatch.py"
    trace = record_code(fixture, loss="mse", reduction="mean")
    assert trace.train_steps == 4 and trace.error_count() == 0, [(f.id, f.line) for f in trace.findings]
    assert list(trace.reference_gradients[0]) == ["W1", "b1", "W2", "b2"]
    text = fixture.read_text()
    line = text.splitlines().index("        dz1 = dh * (1 - h ** 2)") + 1
    buggy = tmp_path / "buggy.py"
    buggy.write_text(text.replace("dz1 = dh * (1 - h ** 2)", "dz1 = dh * (1 - z1 ** 2)"))
    found = record_code(buggy, loss="mse", reduction="mean").findings
    assert [(f.id, f.line) for f in found if f.severity == "error"] == [("derivative-on-preactivation", line)]


def test_a_program_with_nothing_to_check_cannot_be_analysed_not_a_clean_bill(tmp_path: Path) -> None:
    """A forward pass never compared with targets: no gradient can be checked, so no "0 errors". A valid
    program bptrace cannot map is exit 3 (not bad input), saying what was found and how to help."""
    program = tmp_path / "forward_only.py"
    program.write_text("import numpy as np\nW1 = np.ones((3, 2))\nX = np.ones((2, 4))\nA1 = np.tanh(W1 @ X)\n")
    for loss in (["--loss", "half_sse"], []):
        result = run_cli("run", "--code", str(program), *loss)
        assert result.returncode == 3 and not result.stdout, result.stderr
        assert result.stderr.startswith(f"bptrace: {program}: cannot analyse: found 2 array(s) that look like "
                                        "parameters (W1, X) but no update of them")
        assert "no network output compared with targets" in result.stderr
        assert "# bptrace: output=A2 targets=Y" in result.stderr
        assert "Traceback" not in result.stderr


HINTED = """import numpy as np
np.random.seed(1)
X = np.random.randn(2, 5)
T = (X[0:1] > 0) * 1.0
W1 = np.random.randn(3, 2) * 0.5
W2 = np.random.randn(1, 3) * 0.5
for it in range(3):
    H = np.tanh(W1 @ X)
    P = W2 @ H
    gP = P + (-1.0) * T  # written so that no elementwise op meets the targets: P - T is never computed
    # bptrace: output=P targets=T
    gW2 = gP @ H.T
    gH = W2.T @ gP
    gW1 = (gH * (1 - H ** 2)) @ X.T
    W2 = W2 - 0.1 * gW2
    W1 = W1 - 0.1 * gW1
"""


def test_a_hint_comment_names_the_output_and_targets(tmp_path: Path) -> None:
    program = tmp_path / "hinted.py"
    program.write_text(HINTED)
    trace = record_code(program, loss="half_sse", reduction="sum")
    assert trace.train_steps == 3 and trace.error_count() == 0, [(f.id, f.line) for f in trace.findings]
    # Without it, P + (-1.0) * T looks like the output meeting the targets "-T": the hint is what makes it right.
    program.write_text(HINTED.replace("    # bptrace: output=P targets=T\n", ""))
    assert record_code(program, loss="half_sse", reduction="sum").error_count() == 1
    program.write_text(HINTED)
    # The hint is what made it checkable, and a planted mistake is still found through it.
    program.write_text(HINTED.replace("gH * (1 - H ** 2)", "gH * (1 - H)"))
    found = record_code(program, loss="half_sse", reduction="sum").findings
    assert {f.id for f in found if f.severity == "error"} == {"gradient-mismatch"}, [(f.id, f.line) for f in found]


def test_export_takes_the_code_file_by_code_like_run_and_tui(tmp_path: Path) -> None:
    # `run --code f.py` and `tui --code f.py` work; `export --code f.py -o t.json` was an argparse usage error.
    out = tmp_path / "t.json"
    result = run_cli("export", "--code", str(GALLERY / "derivative_on_preactivation.py"), "--loss", "bce",
                     "--reduction", "sum", "-o", str(out))
    assert result.returncode == 1, result.stderr  # the planted mistake is an error finding
    assert load_trace(out).scenario.mode == "code"
    nothing = run_cli("export", "-o", str(tmp_path / "u.json"))
    assert nothing.returncode == 2 and "nothing to run" in nothing.stderr
    assert len(nothing.stderr.strip().splitlines()) == 1 and not (tmp_path / "u.json").exists()
