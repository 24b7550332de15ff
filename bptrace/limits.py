"""Bounds on what an input file may ask of this machine.

A scenario or a trace is data someone handed over; opening it must be as safe
as opening a text file. Each limit here is checked before the work it bounds
starts, so refusing costs nothing, and the refusal says what the input asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# Deeper than any real scenario or trace (a trace's arrays nest 2, its meta a few levels); the
# parsers and readers recurse, so a 100,000-deep document would otherwise end in a RecursionError.
MAX_DEPTH = 64
# Recording keeps every intermediate value; the same budget code mode keeps (DESIGN.md: --max-memory).
MAX_MEMORY = 1 << 30
MAX_STEPS = 100_000
FLOAT_BYTES = 8


def nesting_depth(doc: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and dicts nest in ``doc``, counted without recursion; stops past ``limit``."""
    deepest = 0
    pending: list[tuple[Any, int]] = [(doc, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children: Iterable[Any] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        pending.extend((child, depth) for child in children if isinstance(child, dict | list))
    return deepest


def size_text(n_bytes: int) -> str:
    """A byte count the way a learner reads it: 74.5 GiB, 12 MiB."""
    size = float(n_bytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def recording_bytes(inputs: int, units: Iterable[int], samples: int, steps: int) -> int:
    """Memory a reference-mode recording keeps: every step's arrays are fresh and kept.

    Per layer and training step the recorder keeps Z and A and their gradients (4 arrays of
    units×samples, counted 6× for the chain-rule products and loss terms), and dW, db and the
    updated W and b (each parameter about 3×). Python ints, so a 10⁵×10⁵ layer cannot overflow.
    """
    per_step = 0
    parameters = 0
    fan_in = inputs
    for width in units:
        layer_parameters = width * fan_in + width
        parameters += layer_parameters
        per_step += 6 * width * samples + 3 * layer_parameters
        fan_in = width
    data = samples * (inputs + fan_in)
    return FLOAT_BYTES * (data + parameters + steps * per_step)
