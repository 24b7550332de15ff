"""TUI budgets, measured side by side in one run, printed as ratios (DESIGN.md, "Budgets").

- first frame: process launch → the first step's title painted on a real pseudo-terminal
  (budget 1 s, and 1.3× the floor: ``floor_app.py``, a Textual hello-world importing numpy that
  paints 12 Static lines, launched the same way in the same run, alternating with bptrace);
- the CPU time each process had used by then (Linux: ``/proc/PID/task/*/schedstat``), whose
  ratio a busy shared machine blurs less than the wall clock's;
- step latency: ``n`` written to the terminal → the next step's title painted
  (budget 50 ms), median over many presses, after the symbolic forms are ready.

Run from the project root: ``python benchmarks/tui_bench.py [SCENARIO] [--presses N]``.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import fcntl
import math
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_FRAME_BUDGET = 1.0
FLOOR_RATIO_BUDGET = 1.3
FLOOR_LINES = 12  # floor_app.LINES
STEP_BUDGET = 0.050


class Terminal:
    """A child process on a pseudo-terminal, read until some bytes appear."""

    def __init__(self, argv: list[str], columns: int = 120, rows: int = 36) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, env=env,
                                        start_new_session=True)
        os.close(slave)
        self.buffer = b""

    def wait_for(self, marker: bytes, timeout: float = 20.0) -> float:
        """Seconds until ``marker`` has been written since the last call; raises on timeout."""
        deadline = time.perf_counter() + timeout
        while marker not in self.buffer:
            remaining = deadline - time.perf_counter()
            if remaining <= 0 or self.process.poll() is not None:
                raise RuntimeError(f"{marker!r} never appeared; last output: {self.buffer[-400:]!r}")
            ready, _, _ = select.select([self.master], [], [], remaining)
            if ready:
                try:
                    self.buffer += os.read(self.master, 65536)
                except OSError:  # the child closed the terminal
                    continue
        now = time.perf_counter()
        self.buffer = self.buffer[self.buffer.index(marker) + len(marker):]
        return now

    def drain_until_exit(self, timeout: float) -> None:
        """Keep reading, so the child is never blocked writing its last frames while it exits."""
        deadline = time.perf_counter() + timeout
        while self.process.poll() is None and time.perf_counter() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    os.read(self.master, 65536)
                except OSError:
                    break

    def cpu_seconds(self) -> float:
        """CPU time the child's threads have used so far; nan where /proc does not say."""
        try:
            tasks = Path(f"/proc/{self.process.pid}/task").iterdir()
            return sum(int((task / "schedstat").read_text().split()[0]) for task in tasks) / 1e9
        except (OSError, ValueError, IndexError):
            return math.nan

    def send(self, data: bytes) -> float:
        now = time.perf_counter()
        os.write(self.master, data)
        return now

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=5)
        os.close(self.master)


def measure(scenario: str, presses: int) -> tuple[float, float, list[float]]:
    terminal = Terminal([sys.executable, "-m", "bptrace", scenario])
    try:
        first = terminal.wait_for(b"Step 0/") - terminal.started
        cpu = terminal.cpu_seconds()
        # Let the worker finish sympy's import and the formulas: steady state is what a learner feels.
        terminal.wait_for("W1·X + b1".encode())
        latencies = []
        for k in range(1, presses + 1):
            sent = terminal.send(b"n")
            latencies.append(terminal.wait_for(f"Step {k}/".encode()) - sent)
        terminal.send(b"q")
        terminal.drain_until_exit(timeout=5)
        return first, cpu, latencies
    finally:
        terminal.close()


def floor_first_frame() -> tuple[float, float]:
    """The floor app's first frame: launch → its last line painted; and the CPU time by then."""
    terminal = Terminal([sys.executable, str(ROOT / "benchmarks" / "floor_app.py")])
    try:
        first = terminal.wait_for(f"Floor line {FLOOR_LINES - 1}".encode()) - terminal.started
        cpu = terminal.cpu_seconds()
        terminal.send(b"q")
        terminal.drain_until_exit(timeout=5)
        return first, cpu
    finally:
        terminal.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="scenarios/seed1_relu_sigmoid.toml")
    parser.add_argument("--presses", type=int, default=16, help="step keys to time (at most the trace's steps - 1)")
    parser.add_argument("--runs", type=int, default=3, help="processes to launch; the median first frame is shown")
    parser.add_argument("--quick", action="store_true", help="a smoke run (benchmarks/run.py --quick): one launch")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.presses = 1, min(args.presses, 8)
    firsts, floors, cpus, floor_cpus, latencies = [], [], [], [], []
    for _ in range(args.runs):  # alternating, so both see the same machine
        floor_wall, floor_cpu = floor_first_frame()
        floors.append(floor_wall)
        floor_cpus.append(floor_cpu)
        first, cpu, steps = measure(args.scenario, args.presses)
        firsts.append(first)
        cpus.append(cpu)
        latencies.extend(steps)
    first_frame, floor = statistics.median(firsts), statistics.median(floors)
    cpu, floor_cpu = statistics.median(cpus), statistics.median(floor_cpus)
    step = statistics.median(latencies)
    print(f"scenario: {args.scenario}  ({args.runs} launches, {len(latencies)} step keys)")
    print(f"first frame    {first_frame * 1000:7.0f} ms   budget {FIRST_FRAME_BUDGET * 1000:.0f} ms   "
          f"ratio {first_frame / FIRST_FRAME_BUDGET:.2f}   (runs: {', '.join(f'{f * 1000:.0f}' for f in firsts)} ms)")
    print(f"floor app      {floor * 1000:7.0f} ms   bptrace / floor {first_frame / floor:.2f}   budget "
          f"{FLOOR_RATIO_BUDGET:.1f}   (runs: {', '.join(f'{f * 1000:.0f}' for f in floors)} ms)")
    print(
        f"CPU by then    {cpu * 1000:7.0f} ms   floor {floor_cpu * 1000:.0f} ms   "
        f"bptrace / floor {cpu / floor_cpu:.2f}   "
        "(CPU time used until the first frame: less blurred by other load)"
    )
    print(f"step latency   {step * 1000:7.1f} ms   budget {STEP_BUDGET * 1000:.0f} ms    "
          f"ratio {step / STEP_BUDGET:.2f}   (max {max(latencies) * 1000:.1f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
