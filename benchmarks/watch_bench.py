"""Watch mode's cost on a recording: ``record_code`` with the ``cancelled`` check at every hook (how the TUI
records a re-run, so that a newer save can stop it) against without, side by side in one process.

Two scripts: the 784-128-10 network of code_bench (20 steps: few, large ops) and a small-op one, XOR
with a 2-3-1 network for 300 steps recorded in full (hooks dominate: the worst case for a per-op check).
Alternating A B A B …, median of the ratios.

    python benchmarks/watch_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout's bptrace, not whichever one is installed

from benchmarks.code_bench import SCRIPT  # noqa: E402
from bptrace.codetrace import record_code  # noqa: E402

XOR = '''
import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
Y = np.array([[0, 1, 1, 0]], dtype=float)
W1 = np.random.randn(3, 2)
b1 = np.zeros((3, 1))
W2 = np.random.randn(1, 3)
b2 = np.zeros((1, 1))
for step in range(300):
    A1 = sigmoid(W1 @ X + b1)
    A2 = sigmoid(W2 @ A1 + b2)
    dZ2 = A2 - Y
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    W1 -= 0.5 * dW1
    b1 -= 0.5 * db1
    W2 -= 0.5 * dW2
    b2 -= 0.5 * db2
'''


def side_by_side(path: Path, loss: str, steps: int, rounds: int) -> tuple[float, float, float]:
    """Median seconds without and with the check, and the median of the per-round ratios."""
    plain: list[float] = []
    checked: list[float] = []
    never = lambda: False  # the check as the TUI asks it when no newer save came
    for _ in range(rounds):
        start = time.perf_counter()
        record_code(path, loss=loss, reduction="sum", steps=steps)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        record_code(path, loss=loss, reduction="sum", steps=steps, cancelled=never)
        checked.append(time.perf_counter() - start)
    ratios = [c / p for c, p in zip(checked, plain, strict=True)]
    return statistics.median(plain), statistics.median(checked), statistics.median(ratios)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        cases = [("784-128-10, 20 steps", SCRIPT.format(steps=20), "cross_entropy", 20),
                 ("XOR 2-3-1, 300 steps", XOR, "half_sse", 300)]
        print(f"{'script':<24} {'plain':>9} {'checked':>9} {'ratio':>7}   (median of {rounds} alternating rounds)")
        for name, text, loss, steps in cases:
            path = Path(folder) / "impl.py"
            path.write_text(text)
            plain, checked, ratio = side_by_side(path, loss, steps, rounds)
            print(f"{name:<24} {plain * 1000:>7.0f}ms {checked * 1000:>7.0f}ms {ratio:>6.2f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
