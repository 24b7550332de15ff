"""The learner MNIST case: one learner's script, run every way a new user would, side by side.

``benchmarks/programs/learner_mnist.py`` (784 inputs, 40,000 random samples, softmax, 50 training
steps) as ``python script.py``, ``bptrace run --code``, ``bptrace export script.py`` (code mode by
suffix) to JSON and to HTML, ``bptrace tui --code`` until its first frame, and ``bptrace replay`` of the exported JSON
until its first frame. Each is a fresh process, timed from launch to exit (to the first frame for
the TUI) with its own peak RSS (``os.wait4``'s rusage). Budgets (issue 12): ``run`` and ``export``
within 3× plain's time and within 1 GB plus plain's peak memory; the JSON under 100 MB by default.

    python benchmarks/learner_mnist_bench.py [--rounds N] [--quick]

``BPTRACE_BENCH_SAMPLES`` sets the learner's sample count (``--quick``: 200). Nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from tui_bench import Terminal

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "programs" / "learner_mnist.py"
TIME_BUDGET = 3.0  # × plain
MEMORY_BUDGET = 2**30  # bytes above plain's peak
JSON_BUDGET = 100 * 10**6  # bytes


@dataclass
class Measure:
    seconds: float
    peak: int  # bytes of peak RSS
    status: int


def _wait(pid: int) -> tuple[int, int]:
    """Reap ``pid``: its exit status and its own peak RSS in bytes (ru_maxrss is KiB on Linux)."""
    _, status, usage = os.wait4(pid, 0)
    return os.waitstatus_to_exitcode(status), usage.ru_maxrss * 1024


def timed(argv: list[str], env: dict[str, str]) -> Measure:
    """Launch → exit of ``argv``, output discarded, with the process's peak RSS."""
    import subprocess

    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    status, peak = _wait(process.pid)
    seconds = time.perf_counter() - started
    process.returncode = status  # reaped above; Popen must not wait again
    return Measure(seconds, peak, status)


def first_frame(argv: list[str], env: dict[str, str], marker: bytes = b"Step 0/") -> Measure:
    """Launch → ``marker`` painted on a pseudo-terminal; then ``q``, and the peak RSS at exit."""
    saved = dict(os.environ)
    os.environ.update(env)  # Terminal passes os.environ to the child
    try:
        terminal = Terminal(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        seconds = terminal.wait_for(marker, timeout=600) - terminal.started
        terminal.send(b"q")
        while True:  # keep reading so the child can paint its last frame and exit
            pid, status, usage = os.wait4(terminal.process.pid, os.WNOHANG)
            if pid:
                terminal.process.returncode = os.waitstatus_to_exitcode(status)
                return Measure(seconds, usage.ru_maxrss * 1024, terminal.process.returncode)
            ready, _, _ = select.select([terminal.master], [], [], 0.05)
            if ready:
                try:
                    os.read(terminal.master, 65536)
                except OSError:
                    pass
    finally:
        terminal.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="launches of each; the median is shown")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 200 samples, one round")
    args = parser.parse_args()
    samples = "200" if args.quick else os.environ.get("BPTRACE_BENCH_SAMPLES", "40000")
    rounds = 1 if args.quick else args.rounds
    env = {**os.environ, "BPTRACE_BENCH_SAMPLES": samples,
           "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))}
    python, bptrace = sys.executable, [sys.executable, "-m", "bptrace"]
    with tempfile.TemporaryDirectory() as folder:
        json_out, html_out = Path(folder) / "t.json", Path(folder) / "t.html"
        cases = {
            "python script.py": lambda: timed([python, str(SCRIPT)], env),
            "bptrace run --code": lambda: timed([*bptrace, "run", "--code", str(SCRIPT)], env),
            "export script.py -o t.json": lambda: timed([*bptrace, "export", str(SCRIPT), "-o", str(json_out)],
                                                     env),
            "export script.py -o t.html": lambda: timed([*bptrace, "export", str(SCRIPT), "-o", str(html_out)],
                                                     env),
            "tui --code, first frame": lambda: first_frame([*bptrace, "tui", "--code", str(SCRIPT)], env),
            "replay t.json, first frame": lambda: first_frame([*bptrace, "replay", str(json_out)], env),
        }
        results: dict[str, list[Measure]] = {name: [] for name in cases}
        for _ in range(rounds):  # round-robin, so every case sees the same machine
            for name, run in cases.items():
                results[name].append(run())
        sizes = {"JSON": json_out.stat().st_size, "HTML": html_out.stat().st_size}
    report(results, sizes, samples, rounds)
    return 0


def report(results: dict[str, list[Measure]], sizes: dict[str, int], samples: str, rounds: int) -> None:
    median = {name: (statistics.median(m.seconds for m in ms), statistics.median(m.peak for m in ms),
                     max(m.status for m in ms)) for name, ms in results.items()}
    plain_time, plain_peak, _ = median["python script.py"]
    print(f"learner MNIST: {SCRIPT.relative_to(ROOT)}, {int(samples):,} samples, 50 training steps "
          f"({rounds} round{'s' * (rounds > 1)}, medians; each a fresh process)")
    print(f"  {'what':<28}{'time':>9}{'× plain':>9}{'peak memory':>13}{'+ over plain':>14}  budget")
    for name, (seconds, peak, status) in median.items():
        verdict = ""
        if name.startswith(("bptrace run", "export")):
            ok = seconds <= TIME_BUDGET * plain_time and peak - plain_peak <= MEMORY_BUDGET
            verdict = (f"≤ {TIME_BUDGET:.0f}× and ≤ +1 GB: {'OK' if ok else 'OVER BUDGET'}")
        elif "first frame" in name:
            verdict = "(first frame, recording or loading included)"
        # 1: bptrace found an error in the learner's code (a finding, not a failure); anything else is a failure
        exit_note = "  [exit 1: errors found]" if status == 1 else f"  (exit {status})" if status else ""
        print(f"  {name:<28}{seconds:>8.2f}s{seconds / plain_time:>8.2f}×{peak / 2**20:>10.0f} MB"
              f"{(peak - plain_peak) / 2**20:>+11.0f} MB  {verdict}{exit_note}")
    print(f"  JSON size {sizes['JSON'] / 10**6:.1f} MB (budget < {JSON_BUDGET / 10**6:.0f} MB: "
          f"{'OK' if sizes['JSON'] < JSON_BUDGET else 'OVER BUDGET'}); HTML size {sizes['HTML'] / 10**6:.1f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
