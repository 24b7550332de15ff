"""CI runs a tiny version of every benchmark: they must keep running and print their figures."""

import os
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
    assert "terminal, n: big" in result.stdout  # tui_big_bench
    assert "learner MNIST:" in result.stdout and "JSON size" in result.stdout  # learner_mnist_bench


def test_learner_mnist_bench_prints_every_way_of_running_the_script() -> None:
    """A tiny sample count keeps it to seconds; the full run uses 40,000 (benchmarks/results)."""
    env = {**os.environ, "BPTRACE_BENCH_SAMPLES": "200"}
    result = subprocess.run([sys.executable, "benchmarks/learner_mnist_bench.py", "--rounds", "1"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "200 samples" in result.stdout
    rows = {line.split("  ")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("  ")}
    for what in ("python script.py", "bptrace run --code", "export script.py -o t.json", "export script.py -o t.html",
                 "tui --code, first frame", "replay t.json, first frame"):
        row = next((line for name, line in rows.items() if name.startswith(what)), None)
        assert row is not None, result.stdout
        assert " MB" in row and "×" in row and "(exit" not in row, row  # time, ratio, peak memory; exit 0 or 1
    assert "JSON size" in result.stdout and "budget < 100 MB" in result.stdout
