"""Recording overhead: bptrace's recorder against plain NumPy doing the same training step.

Both run in this process, alternately (A B A B …), on a 784-128-10 network with a
batch of 64, so machine noise hits both alike; the figure is the median ratio.
Budget (DESIGN.md): within 2×. Also: peak memory of recording 20 training steps.

    python benchmarks/record_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from bptrace.recorder import record
from bptrace.scenario import Layer, Scenario, parameter_shapes


def mnist_like(steps: int = 1, batch: int = 64) -> Scenario:
    rng = np.random.default_rng(0)
    layers = (Layer(128, "relu"), Layer(10, "softmax"))
    shapes = parameter_shapes("columns", 784, layers)
    params = {k: rng.standard_normal(s) * 0.05 for k, s in shapes.items()}
    Y = np.eye(10)[rng.integers(0, 10, batch)].T
    return Scenario(name="784-128-10", layout="columns", inputs=784, layers=layers, loss="cross_entropy",
                    reduction="mean", X=rng.standard_normal((784, batch)), Y=Y, parameters=params,
                    learning_rate=0.1, steps=steps)


def plain_numpy_step(p: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float) -> dict[str, np.ndarray]:
    """What a learner writes: forward, loss, backward, update — nothing recorded."""
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = np.maximum(Z1, 0)
    Z2 = p["W2"] @ A1 + p["b2"]
    e = np.exp(Z2 - Z2.max(axis=0, keepdims=True))
    A2 = e / e.sum(axis=0, keepdims=True)
    _loss = -np.sum(Y * np.log(A2)) / m
    dZ2 = (A2 - Y) / m
    dW2, db2 = dZ2 @ A1.T, dZ2.sum(axis=1, keepdims=True)
    dZ1 = (p["W2"].T @ dZ2) * (Z1 > 0)
    dW1, db1 = dZ1 @ X.T, dZ1.sum(axis=1, keepdims=True)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return {k: v - lr * grads[k] for k, v in p.items()}


def time_ratio(rounds: int) -> tuple[float, float, float]:
    scenario = mnist_like()
    for _ in range(3):  # warm caches and BLAS threads
        plain_numpy_step(scenario.parameters, scenario.X, scenario.Y, 0.1)
        record(scenario)
    plain, recorded = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        plain_numpy_step(scenario.parameters, scenario.X, scenario.Y, 0.1)
        plain.append(time.perf_counter() - start)
        start = time.perf_counter()
        record(scenario)
        recorded.append(time.perf_counter() - start)
    ratios = [r / p for r, p in zip(recorded, plain, strict=True)]
    return statistics.median(plain), statistics.median(recorded), statistics.median(ratios)


def peak_memory(steps: int) -> tuple[float, float]:
    """Peak traced memory (MB) of recording ``steps`` training steps, and of the inputs alone."""
    scenario = mnist_like(steps=steps)
    tracemalloc.start()
    tracemalloc.reset_peak()
    trace = record(scenario)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = sum(a.nbytes for a in (scenario.X, scenario.Y, *scenario.parameters.values()))
    assert trace.train_steps == steps
    return peak / 1e6, inputs / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run for CI")
    args = parser.parse_args()
    rounds, mem_steps = (5, 2) if args.quick else (60, 20)
    plain, recorded, ratio = time_ratio(rounds)
    print(f"record 784-128-10, batch 64, 1 training step: plain NumPy {plain * 1e3:.2f} ms, "
          f"bptrace {recorded * 1e3:.2f} ms, median ratio {ratio:.2f}x (budget 2x) "
          f"{'OK' if ratio <= 2 else 'OVER BUDGET'}")
    peak, inputs = peak_memory(mem_steps)
    print(f"record 784-128-10, {mem_steps} training steps: peak memory {peak:.1f} MB "
          f"({peak / mem_steps:.2f} MB per training step; the network's parameters and data are {inputs:.1f} MB)")


if __name__ == "__main__":
    main()
