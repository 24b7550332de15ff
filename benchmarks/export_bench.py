"""Export times for 100 training steps of a seed scenario, per format, and the file sizes.

Budget (DESIGN.md): 100 training steps export to JSON in under 1 s. Printed as a
ratio of that budget, in process (record once, then export) and as a whole
``bptrace export`` command (interpreter start, imports, recording, export).

    python benchmarks/export_bench.py [SCENARIO] [--steps N] [--repeat R] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUDGET_JSON = 1.0
sys.path.insert(0, str(ROOT))  # run as a script, measure the tree it lives in


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "seed1_relu_sigmoid.toml"))
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="a smoke run: one round each")
    args = parser.parse_args(argv)
    if args.quick:
        args.repeat = 1

    start = time.perf_counter()
    from bptrace import symbolic
    from bptrace.export import export_trace
    from bptrace.sources import trace_from_source

    trace = trace_from_source(args.scenario, steps=args.steps)
    symbolic.with_formulas(trace)  # sympy's import and first formulas, paid once per process
    warm = time.perf_counter() - start
    print(f"{Path(args.scenario).name}: {args.steps} training steps, {len(trace.steps)} steps "
          f"(record + sympy warm-up {warm:.2f} s)")

    with tempfile.TemporaryDirectory() as folder:
        rows = []
        for fmt, suffix in (("json", ".json"), ("markdown", ".md"), ("html", ".html")):
            out = Path(folder) / f"trace{suffix}"
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                export_trace(trace, out, fmt)
                times.append(time.perf_counter() - t0)
            rows.append((fmt, statistics.median(times), out.stat().st_size))
        print(f"{'format':<10}{'export (median)':>17}{'size':>12}")
        for fmt, seconds, size in rows:
            print(f"{fmt:<10}{seconds * 1000:>14.1f} ms{size / 1024:>9.1f} KiB")
        json_seconds = rows[0][1]
        print(f"JSON in process: {json_seconds:.3f} s = {json_seconds / BUDGET_JSON:.2f} × the 1 s budget")

        command = [sys.executable, "-m", "bptrace", "export", args.scenario, "--steps", str(args.steps),
                   "-o", str(Path(folder) / "cli.json")]
        cli = []
        for _ in range(max(1, args.repeat // 2)):
            t0 = time.perf_counter()
            subprocess.run(command, check=False, capture_output=True, cwd=ROOT)
            cli.append(time.perf_counter() - t0)
        seconds = statistics.median(cli)
        print(f"JSON as a whole command (start-up, imports, recording): {seconds:.2f} s = "
              f"{seconds / BUDGET_JSON:.2f} × the 1 s budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
