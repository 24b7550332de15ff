"""Code mode through the command line: exit codes, bad input, exceptions kept in exports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bptrace.export.json_format import load_trace

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
GALLERY = ROOT / "scenarios" / "gallery"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bptrace", *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


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
    result = run_cli("run", "--code", str(GALLERY / "derivative_on_preactivation.py"), "--loss", "bce", "--reduction", "sum")
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
    from bptrace.codetrace import record_code

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


def test_a_program_with_nothing_to_check_is_bad_input_not_a_clean_bill(tmp_path: Path) -> None:
    """A forward pass never compared with targets: no gradient can be checked, so no "0 errors"."""
    program = tmp_path / "forward_only.py"
    program.write_text("import numpy as np\nW1 = np.ones((3, 2))\nX = np.ones((2, 4))\nA1 = np.tanh(W1 @ X)\n")
    result = run_cli("run", "--code", str(program), "--loss", "half_sse")
    assert result.returncode == 2 and not result.stdout
    assert result.stderr.startswith(f"bptrace: error: {program}: nothing to check") and "targets" in result.stderr
    assert "Traceback" not in result.stderr
