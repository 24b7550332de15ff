"""CI runs a tiny version of every benchmark: they must keep running and print their figures."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_quick_run_prints_every_figure() -> None:
    result = subprocess.run([sys.executable, "benchmarks/run.py", "--quick"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "cores, Python" in result.stdout
    assert "median ratio" in result.stdout and "budget 2x" in result.stdout
    assert "peak memory" in result.stdout
    assert "programs," in result.stdout and "over budget" in result.stdout  # corpus_bench
