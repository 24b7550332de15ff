"""`bptrace export` from the command line: formats by suffix, exit codes, bad input without a trace of Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bptrace.export import export_trace
from bptrace.trace import Trace

from .conftest import ROOT, SCENARIOS

SEED = str(SCENARIOS / "seed1_relu_sigmoid.toml")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bptrace", "export", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


def test_scenario_to_json_and_back_is_byte_identical(tmp_path: Path) -> None:
    first, again = tmp_path / "t.json", tmp_path / "again.json"
    assert run(SEED, "-o", str(first), "--steps", "3").returncode == 0
    result = run(str(first), "-o", str(again))
    assert result.returncode == 0, result.stderr
    assert first.read_bytes() == again.read_bytes()


@pytest.mark.parametrize(
    ("suffix", "marker"), [(".md", "# Seed 1"), (".html", "<!DOCTYPE html>"), (".json", '{"format"')]
)
def test_format_from_the_suffix(tmp_path: Path, suffix: str, marker: str) -> None:
    out = tmp_path / f"note{suffix}"
    result = run(SEED, "-o", str(out), "--detail", "last")
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8").startswith(marker)
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_code_mode_trace_with_errors_exports_with_exit_1(tmp_path: Path, code_trace: Trace) -> None:
    source = tmp_path / "code.json"
    export_trace(code_trace, source)
    for out in ("note.html", "note.md", "copy.json"):
        result = run(str(source), "-o", str(tmp_path / out))
        assert result.returncode == 1, result.stderr
        assert (tmp_path / out).exists()


def _bad_version(tmp: Path) -> str:
    doc = {"format": "bptrace-trace", "version": 99, "scenario": {}, "steps": []}
    (tmp / "old.json").write_text(json.dumps(doc), encoding="utf-8")
    return str(tmp / "old.json")


def _malformed(tmp: Path) -> str:
    (tmp / "broken.json").write_text('{"format": "bptrace-trace", "version": 1, "steps": [', encoding="utf-8")
    return str(tmp / "broken.json")


@pytest.mark.parametrize(
    ("make_source", "options", "out_name", "says"),
    [
        (lambda tmp: SEED, ["--format", "pdf"], "out.pdf", "invalid choice"),
        (lambda tmp: SEED, [], "out.pdf", "cannot tell the format"),
        (_bad_version, [], "out.json", "version 99; this bptrace reads versions 1 and 2"),
        (_malformed, [], "out.html", "not valid JSON"),
        (lambda tmp: str(tmp / "missing.json"), [], "out.md", "no such file"),
        (lambda tmp: SEED, ["--detail", "7"], "out.md", "--detail: training step 7 does not exist"),
        (lambda tmp: SEED, ["--detail", "soon"], "out.html", "--detail: cannot read"),
        (lambda tmp: SEED, [], "no/such/folder/out.json", "does not exist"),
    ],
)
def test_bad_input_is_one_clear_message_exit_2_and_no_file(
    tmp_path: Path, make_source, options, out_name, says
) -> None:
    source = make_source(tmp_path)
    before = set(tmp_path.rglob("*"))
    result = run(source, "-o", str(tmp_path / out_name), *options)
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "error" in line]) == 1
    assert set(tmp_path.rglob("*")) == before  # nothing written, not even a temporary file


def test_output_that_is_a_folder_is_bad_input(tmp_path: Path) -> None:
    (tmp_path / "x.json").mkdir()
    result = run(SEED, "-o", str(tmp_path / "x.json"))
    assert result.returncode == 2 and "is a folder" in result.stderr and "Traceback" not in result.stderr


def test_json_export_follows_detail(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    result = run(SEED, "-o", str(out), "--steps", "5", "--detail", "1..2")
    assert result.returncode == 0, result.stderr
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["version"] == 2 and {s["train_step"] for s in doc["steps"]} == {1, 2}
    assert len(doc["losses"]) == 5 and doc["scenario"]["notes"] == {"values_for_train_steps": [1, 2]}
