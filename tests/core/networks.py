"""Random scenarios covering every activation, loss, reduction and layout."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from bptrace.scenario import Layer, Scenario, parameter_shapes

HIDDEN = ("sigmoid", "relu", "tanh", "leaky_relu", "linear", "softplus")
OUTPUT_FOR_LOSS = {
    "half_sse": ("sigmoid", "tanh", "linear", "relu", "leaky_relu"),
    "sse": ("linear", "relu"),
    "mse": ("linear", "tanh", "sigmoid"),
    "bce": ("sigmoid",),
    "cross_entropy": ("softmax",),
}


def random_scenario(rng: np.random.Generator, loss: str, reduction: str, layout: str, hidden: str, output: str,
                    steps: int = 3) -> Scenario:
    inputs = int(rng.integers(1, 4))
    units = [int(rng.integers(1, 4)) for _ in range(int(rng.integers(1, 3)))]
    outputs = int(rng.integers(2, 4)) if output == "softmax" else int(rng.integers(1, 3))
    samples = int(rng.integers(1, 5))
    layers = (*(Layer(u, hidden) for u in units), Layer(outputs, output))
    shapes = parameter_shapes(layout, inputs, layers)
    # Kinks (relu at 0) make finite differences meaningless; keep pre-activations away from 0.
    params = {name: rng.uniform(0.2, 0.9, shape) * rng.choice([-1, 1], shape) for name, shape in shapes.items()}
    X = rng.uniform(-1, 1, (inputs, samples) if layout == "columns" else (samples, inputs))
    if loss in ("bce",):
        Y = rng.uniform(0.05, 0.95, (outputs, samples) if layout == "columns" else (samples, outputs))
    elif loss == "cross_entropy":
        labels = rng.integers(0, outputs, samples)
        Y = np.eye(outputs)[labels].T if layout == "columns" else np.eye(outputs)[labels]
    else:
        Y = rng.uniform(-1, 1, (outputs, samples) if layout == "columns" else (samples, outputs))
    return Scenario(
        name=f"random {loss}/{reduction}/{layout}/{hidden}/{output}",
        path=Path("random.toml"),
        layout=layout,
        inputs=inputs,
        layers=layers,
        loss=loss,
        reduction=reduction,
        X=X,
        Y=Y,
        parameters=params,
        learning_rate=0.05,
        steps=steps,
    )


def all_combinations() -> list[tuple[str, str, str, str, str]]:
    combos = []
    for loss, outputs in OUTPUT_FOR_LOSS.items():
        for reduction, layout, hidden, output in itertools.product(
            ("sum", "mean"), ("columns", "rows"), HIDDEN, outputs
        ):
            combos.append((loss, reduction, layout, hidden, output))
    return combos
