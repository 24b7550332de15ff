"""Code mode's overhead: ``record_code`` on a learner's script against running the same script plainly.

The script is learner-style NumPy (functions and globals, columns layout) training a
784-128-10 network (ReLU, softmax, cross-entropy, batch 64) for 20 steps. Both ways run
in this process, alternately (A B A B …), so machine noise hits both alike; the figure is
the median ratio. Budget (DESIGN.md): within 5×. Also timed once each as whole processes
(`python script.py` against `python -m bptrace run --code script.py`), start-up included.

    python benchmarks/code_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout's bptrace, not whichever one is installed

from bptrace.codetrace import record_code  # noqa: E402

SCRIPT = '''
import numpy as np

def relu(z):
    return np.maximum(0, z)

def relu_derivative(z):
    return np.where(z > 0, 1.0, 0.0)

def softmax(z):
    e = np.exp(z - np.max(z, axis=0, keepdims=True))
    return e / np.sum(e, axis=0, keepdims=True)

W1 = np.random.randn(128, 784) * 0.05
b1 = np.zeros((128, 1))
W2 = np.random.randn(10, 128) * 0.05
b2 = np.zeros((10, 1))

X = np.random.randn(784, 64)
Y = np.eye(10)[np.random.randint(0, 10, 64)].T
learning_rate = 0.1

for step in range({steps}):
    Z1 = np.dot(W1, X) + b1
    A1 = relu(Z1)
    Z2 = np.dot(W2, A1) + b2
    A2 = softmax(Z2)
    loss = -np.sum(Y * np.log(A2)) / 64
    m = X.shape[1]
    dZ2 = (A2 - Y) / m
    dW2 = np.dot(dZ2, A1.T)
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.dot(W2.T, dZ2) * relu_derivative(Z1)
    dW1 = np.dot(dZ1, X.T)
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    W1 -= learning_rate * dW1
    b1 -= learning_rate * db1
    W2 -= learning_rate * dW2
    b2 -= learning_rate * db2
'''


# The other extreme: a tiny network trained for many steps (the classic XOR loop, the test
# fixture eleven_lines.py), where bptrace's fixed cost per op and per training step dominates.
TINY = (ROOT / "tests" / "fixtures" / "eleven_lines.py").read_text()


def plain_run(path: Path) -> None:
    """What `python script.py` does once the interpreter is up: compile and run it."""
    np.random.seed(0)  # noqa: NPY002 - the same seed code mode gives the script
    code = compile(path.read_text(), str(path), "exec")
    exec(code, {"__name__": "__main__"})  # the benchmark's own script


def _faults() -> int:
    """Minor page faults of this process so far: fresh memory touched (what kept copies cost)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def side_by_side(path: Path, loss: str, reduction: str, rounds: int) -> tuple[float, float, float, int, int, float]:
    """Median plain time, median traced time, median ratio (A B A B …), steps and training steps recorded,
    and the median page faults of a traced run."""
    trace = record_code(path, loss=loss, reduction=reduction)
    assert trace.error_count() == 0, [f.id for f in trace.findings]
    plain_run(path)
    plain, traced, faults = [], [], []
    for _ in range(rounds):
        start = time.perf_counter()
        plain_run(path)
        plain.append(time.perf_counter() - start)
        before = _faults()
        start = time.perf_counter()
        record_code(path, loss=loss, reduction=reduction)
        traced.append(time.perf_counter() - start)
        faults.append(_faults() - before)
    ratio = statistics.median(t / p for t, p in zip(traced, plain, strict=True))
    return (statistics.median(plain), statistics.median(traced), ratio, len(trace.steps), trace.train_steps,
            statistics.median(faults))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    steps, rounds, tiny_steps = (3, 3, 50) if args.quick else (20, 7, 1000)
    cases = [
        ("xor.py", TINY.replace("range(3)", f"range({tiny_steps})"), "half_sse", "sum",
         f"3-4-1 XOR loop, {tiny_steps} training steps", " (each NumPy op here takes about a microsecond)"),
        ("learner.py", SCRIPT.format(steps=steps), "cross_entropy", "mean",
         f"784-128-10, batch 64, {steps} training steps", ""),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, text, loss, reduction, title, note in cases:
            path = Path(tmp) / name
            path.write_text(text)
            plain, traced, ratio, recorded, detail, faults = side_by_side(path, loss, reduction, rounds)
            print(f"code mode, {title}, {recorded} steps recorded ({detail} training steps in detail)")
            print(f"  in process: plain {plain * 1e3:.1f} ms, traced {traced * 1e3:.1f} ms -> median ratio "
                  f"{ratio:.2f}x (budget 5x) {'OK' if ratio <= 5 else 'OVER BUDGET'}{note}; "
                  f"{faults:.0f} page faults per traced run")
            whole(path, loss, reduction)
    return 0


def whole(path: Path, loss: str, reduction: str) -> None:
    """`python script.py` against `python -m bptrace run --code script.py`, as a learner runs them."""
    start = time.perf_counter()
    subprocess.run([sys.executable, str(path)], check=True, capture_output=True)
    plain = time.perf_counter() - start
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "bptrace", "run", "--code", str(path), "--loss", loss,
                             "--reduction", reduction],
                            capture_output=True, cwd=ROOT)
    traced = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    print(f"  whole process: python script.py {plain * 1e3:.0f} ms, bptrace run --code {traced * 1e3:.0f} ms "
          f"-> {traced / plain:.2f}x (start-up, analysis and report included)")


if __name__ == "__main__":
    raise SystemExit(main())
