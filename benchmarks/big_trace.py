"""A trace of real size for the TUI and export benchmarks: 2,000 steps of 10×40,000 arrays.

Two training steps of a 10-10-10 network over 40,000 samples are recorded for real (reference
mode, columns layout: X, Z, A and their gradients are 10×40,000), then repeated with fresh step
numbers until the trace has ``steps`` steps. The repeats share the recorded arrays, so the trace
takes ~100 MB instead of ~6 GB, and every step still holds arrays of the real size.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bptrace.recorder import record
from bptrace.scenario import Layer, Scenario
from bptrace.trace import Trace

SAMPLES = 40_000
FEATURES = 10


def big_trace(steps: int = 2_000, samples: int = SAMPLES) -> Trace:
    rng = np.random.default_rng(0)
    layers = (Layer(FEATURES, "relu"), Layer(FEATURES, "sigmoid"))
    X = rng.standard_normal((FEATURES, samples))
    Y = (rng.random((FEATURES, samples)) > 0.5).astype(np.float64)
    params = {"W1": rng.standard_normal((FEATURES, FEATURES)) * 0.3, "b1": np.zeros((FEATURES, 1)),
              "W2": rng.standard_normal((FEATURES, FEATURES)) * 0.3, "b2": np.zeros((FEATURES, 1))}
    scenario = Scenario(name=f"Big: 10-10-10 over {samples:,} samples", description="benchmarks/big_trace.py",
                        layout="columns", inputs=FEATURES, layers=layers, loss="bce", reduction="mean",
                        X=X, Y=Y, parameters=params, learning_rate=0.5, steps=2)
    base = record(scenario)
    per_train = len(base.steps) // base.train_steps
    train_steps = -(-steps // per_train)  # whole training steps, at least ``steps`` steps
    out = [replace(step, index=t * per_train + k, train_step=t)
           for t in range(train_steps) for k, step in enumerate(base.steps[:per_train])]
    losses = tuple(base.losses[0] * 0.99**t for t in range(train_steps))  # falling, so the sparkline shows a trend
    return replace(base, steps=tuple(out), losses=losses, gradients=(base.gradients[0],) * train_steps, findings=())
