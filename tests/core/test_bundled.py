"""Bundled scenarios are found by name from any folder (a wrong name is bad input with the names to pick
from); each has a description and records what it describes."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import bptrace
from bptrace.bundled import SCENARIO_DIR, bundled, find, gallery, names
from bptrace.recorder import record
from bptrace.scenario import load_scenario


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # This checkout's bptrace, whatever is installed, run from a folder that is not the checkout.
    env = {**os.environ, "PYTHONPATH": str(Path(bptrace.__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "bptrace", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env)


def test_names_cover_the_scenarios_and_the_gallery() -> None:
    listed = names()
    assert len(listed) == len(bundled()) + len(gallery())
    assert "seed1_relu_sigmoid" in listed and "gallery/dead_relu" in listed
    assert find("xor_tanh") == find("xor_tanh.toml") == SCENARIO_DIR / "xor_tanh.toml"
    assert find("gallery/dead_relu") == SCENARIO_DIR / "gallery" / "dead_relu.toml"
    assert find("no_such_scenario") is None
    assert find("../pyproject") is None  # a name is looked up in the list, never joined onto the folder blindly


def test_run_by_bundled_name_from_another_folder(tmp_path: Path) -> None:
    result = run_cli("run", "seed1_relu_sigmoid", "--steps", "2", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr
    assert "Loss per training step" in result.stdout


def test_a_gallery_program_runs_by_name(tmp_path: Path) -> None:
    result = run_cli("run", "gallery/derivative_on_preactivation", "--quiet", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "derivative-on-preactivation" in result.stdout


def test_a_local_file_wins_over_a_bundled_name(tmp_path: Path) -> None:
    (tmp_path / "xor_tanh").write_text("not a scenario")
    result = run_cli("run", "xor_tanh", cwd=tmp_path)
    assert result.returncode == 2
    assert "expected a scenario .toml" in result.stderr


def test_an_unknown_name_says_what_exists(tmp_path: Path) -> None:
    result = run_cli("run", "seed1_relu_sigmoi", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert 'did you mean "seed1_relu_sigmoid"' in result.stderr and "bptrace scenarios" in result.stderr


def test_bundled_scenarios_have_descriptions_and_record() -> None:
    paths = bundled()
    assert {p.name for p in paths} >= {"seed1_relu_sigmoid.toml", "seed2_sigmoid_rows.toml", "xor_tanh.toml",
                                       "softmax_classifier.toml", "vanishing_sigmoid.toml"}
    for path in paths:
        scenario = load_scenario(path)
        assert len(scenario.description) > 40
        trace = record(scenario, steps=1)
        assert np.isfinite(trace.losses[0])


def test_vanishing_scenario_shows_gradients_shrinking_layer_by_layer() -> None:
    trace = record(load_scenario(next(p for p in bundled() if p.name == "vanishing_sigmoid.toml")), steps=1)
    norms = [np.linalg.norm(trace.gradients[0][f"W{n}"]) for n in range(1, 7)]
    assert norms[0] < norms[-1] / 50, norms


def test_xor_learns() -> None:
    trace = record(load_scenario(next(p for p in bundled() if p.name == "xor_tanh.toml")))
    assert trace.losses[-1] < 0.2 * trace.losses[0]
