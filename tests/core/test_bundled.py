"""Bundled scenarios are found by name from any folder; a wrong name is bad input with the names to pick from."""

import os
import subprocess
import sys
from pathlib import Path

import bptrace
from bptrace.bundled import SCENARIO_DIR, bundled, find, gallery, names


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
