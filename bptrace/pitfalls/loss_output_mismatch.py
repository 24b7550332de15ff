"""Output delta does not fit the loss and the output activation (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="loss-output-mismatch",
    severity="error",
    gallery="loss_output_mismatch",
    title="Output delta does not fit the loss and the output activation",
    explanation=(
        "The output delta ∂L/∂Z of the last layer depends on the pair (loss, activation): sigmoid+BCE and "
        "softmax+cross-entropy give A−Y, but half sum-of-squares with a sigmoid output gives (A−Y)⊙σ′(Z). Using one "
        "pair's formula with the other pair drops or adds a σ′."
    ),
    fix="For half_sse/mse with a sigmoid output multiply A−Y by A⊙(1−A); for bce with a sigmoid output use A−Y alone.",
)
