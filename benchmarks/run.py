"""Every budget of DESIGN.md, measured in one run and printed as ratios.

    python benchmarks/run.py           # the full run: a few minutes on 2 cores
    python benchmarks/run.py --quick   # a smoke run (CI runs this)

Each benchmark is its own script beside this one (runnable alone too); this
runs them one after another in fresh processes, so start-up costs are real.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("record_bench.py", "code_bench.py", "corpus_bench.py", "export_bench.py", "tui_bench.py",
              "tui_big_bench.py", "learner_mnist_bench.py")


def machine() -> str:
    versions = ", ".join(f"{name} {version(name)}" for name in ("numpy", "sympy", "textual"))
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {versions}, "
            f"{platform.platform(terse=True)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer rounds")
    args = parser.parse_args()
    print(f"bptrace benchmarks on {machine()}")
    failed = 0
    for name in BENCHMARKS:
        script = HERE / name
        if not script.exists():
            print(f"-- {name}: not present")
            continue
        print(f"-- {name}", flush=True)
        command = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
        result = subprocess.run(command, cwd=HERE.parent, timeout=1200)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
