"""Step keys on a trace of real size, beside the seed scenario, measured two ways in one run.

The step budget is 50 ms (DESIGN.md, "Budgets"), also on a 2,000-step trace with 10×40,000 arrays
(``big_trace``).

- On a real terminal, as a learner presses keys: ``n`` written to a pseudo-terminal → the next
  step's title painted, for the seed scenario and for ``big_app.py`` (the big trace), alternately.
- In process with Textual's Pilot (headless): wall time until Pilot finds the app idle again
  (which includes Pilot's own waits for timers), and the CPU time the process spent on the key
  (the app's work: what the array size could inflate), against the same network over 8 samples.

Printed as ratios; nothing here asserts a time.

Run from the project root: ``python benchmarks/tui_big_bench.py [--presses N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # measure this checkout's bptrace

from big_trace import big_trace

from bptrace.recorder import record
from bptrace.scenario import load_scenario
from bptrace.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
STEP_BUDGET = 0.050


def terminal_latencies(argv: list[str], presses: int) -> list[float]:
    """Seconds from ``n`` written to the terminal to the next step's title painted, per key."""
    from tui_bench import Terminal

    terminal = Terminal(argv)
    try:
        terminal.wait_for(b"Step 0/", timeout=120)
        terminal.wait_for("W1·X + b1".encode(), timeout=60)  # the first formula: sympy is imported
        out = []
        for k in range(1, presses + 1):
            sent = terminal.send(b"n")
            out.append(terminal.wait_for(f"Step {k}/".encode(), timeout=60) - sent)
        terminal.send(b"q")
        terminal.drain_until_exit(timeout=5)
        return out
    finally:
        terminal.close()


async def _latencies(trace: Trace, presses: int, keys: tuple[str, ...]) -> list[tuple[float, float]]:
    from bptrace.tui.app import BptraceApp

    app = BptraceApp(trace)
    out = []
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for k in range(presses):
            key = keys[k % len(keys)]
            started, cpu = time.perf_counter(), time.process_time()
            await pilot.press(key)
            await pilot.pause()  # the refresh the key caused has been painted
            out.append((time.perf_counter() - started, time.process_time() - cpu))
            await app.workers.wait_for_complete()  # the symbolic forms of this step: not part of the key
    return out


def measure(trace: Trace, presses: int, keys: tuple[str, ...] = ("n",)) -> list[tuple[float, float]]:
    return asyncio.run(_latencies(trace, presses, keys))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer presses, a smaller big trace")
    args = parser.parse_args()
    presses = 8 if args.quick else args.presses
    big_steps = 200 if args.quick else 2_000
    seed_argv = [sys.executable, "-m", "bptrace", str(ROOT / "scenarios" / "seed1_relu_sigmoid.toml")]
    big_argv = [sys.executable, str(ROOT / "benchmarks" / "big_app.py"), str(big_steps)]
    on_terminal: dict[str, list[float]] = {"seed": [], "big": []}
    for _ in range(1 if args.quick else 2):  # alternating, so both see the same machine
        on_terminal["seed"] += terminal_latencies(seed_argv, min(presses, 16))
        on_terminal["big"] += terminal_latencies(big_argv, presses)
    seed = record(load_scenario(ROOT / "scenarios" / "seed1_relu_sigmoid.toml"), steps=4)
    started = time.perf_counter()
    big = big_trace(steps=big_steps)
    built = time.perf_counter() - started
    narrow = big_trace(steps=len(big.steps), samples=8)  # the same network and steps, 10×8 arrays
    runs = {"seed, n": measure(seed, presses), "10×8, n": measure(narrow, presses), "big, n": measure(big, presses),
            "big, end/home": measure(big, max(4, presses // 4), ("end", "home"))}
    print(f"seed scenario: {len(seed.steps)} steps; big trace: {len(big.steps)} steps of "
          f"{'×'.join(map(str, big.steps[0].value.shape))} arrays (built in {built:.1f} s); "
          "10×8: the same network and steps over 8 samples (what the array size alone adds: big / 10×8)")
    seed_median = statistics.median(on_terminal["seed"])
    for label, values in on_terminal.items():
        median = statistics.median(values)
        print(
            f"terminal, n: {label:<5} {median * 1000:6.1f} ms (max {max(values) * 1000:6.1f}, {len(values)} keys)  "
            f"budget {STEP_BUDGET * 1000:.0f} ms: ratio {median / STEP_BUDGET:.2f}  "
            f"({median / seed_median:.2f}× seed's)"
        )
    base_wall, base_cpu = (statistics.median(x[i] for x in runs["10×8, n"]) for i in (0, 1))
    for label, values in runs.items():
        wall, cpu = (statistics.median(x[i] for x in values) for i in (0, 1))
        print(f"Pilot, key {label:<14} wall {wall * 1000:6.1f} ms (max {max(x[0] for x in values) * 1000:6.1f})  "
              f"cpu {cpu * 1000:6.1f} ms  budget {STEP_BUDGET * 1000:.0f} ms: ratio wall {wall / STEP_BUDGET:.2f}, "
              f"cpu {cpu / STEP_BUDGET:.2f}  ({wall / base_wall:.2f}× / {cpu / base_cpu:.2f}× 10×8's)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
