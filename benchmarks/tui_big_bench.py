"""Step keys on a trace of real size, with Textual's Pilot (headless), beside the seed scenario.

The step budget is 50 ms (DESIGN.md, "Budgets"), also on a 2,000-step trace with 10×40,000 arrays
(``big_trace``). Pilot drives the app in process, so the figures leave out the terminal. Each key
is timed twice: wall time until Pilot finds the app idle again (which includes Pilot's own waits
for timers), and the CPU time the process spent on it (the app's work, what the array size could
inflate). Printed as ratios; nothing here asserts a time.

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

from big_trace import big_trace

from bptrace.recorder import record
from bptrace.scenario import load_scenario
from bptrace.trace import Trace

ROOT = Path(__file__).resolve().parent.parent
STEP_BUDGET = 0.050


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
    seed = record(load_scenario(ROOT / "scenarios" / "seed1_relu_sigmoid.toml"), steps=4)
    started = time.perf_counter()
    big = big_trace(steps=200 if args.quick else 2_000)
    built = time.perf_counter() - started
    narrow = big_trace(steps=len(big.steps), samples=8)  # the same network and steps, 10×8 arrays
    runs = {"seed, n": measure(seed, presses), "10×8, n": measure(narrow, presses), "big, n": measure(big, presses),
            "big, end/home": measure(big, max(4, presses // 4), ("end", "home"))}
    print(f"seed scenario: {len(seed.steps)} steps; big trace: {len(big.steps)} steps of "
          f"{'×'.join(map(str, big.steps[0].value.shape))} arrays (built in {built:.1f} s); "
          "10×8: the same network and steps over 8 samples (what the array size alone adds: big / 10×8)")
    base_wall, base_cpu = (statistics.median(x[i] for x in runs["10×8, n"]) for i in (0, 1))
    for label, values in runs.items():
        wall, cpu = (statistics.median(x[i] for x in values) for i in (0, 1))
        print(f"step key {label:<14} wall {wall * 1000:6.1f} ms (max {max(x[0] for x in values) * 1000:6.1f})  "
              f"cpu {cpu * 1000:6.1f} ms  budget {STEP_BUDGET * 1000:.0f} ms: ratio wall {wall / STEP_BUDGET:.2f}, "
              f"cpu {cpu / STEP_BUDGET:.2f}  ({wall / base_wall:.2f}× / {cpu / base_cpu:.2f}× 10×8's)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
