"""Bounds on what an input file may ask of this machine.

A scenario or a trace is data someone handed over; opening it must be as safe
as opening a text file. Each limit here is checked before the work it bounds
starts, so refusing costs nothing, and the refusal says what the input asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from bptrace.errors import BadInput

# Deeper than any real scenario or trace (a trace's arrays nest 2, its meta a few levels); the
# parsers and readers recurse, so a 100,000-deep document would otherwise end in a RecursionError.
MAX_DEPTH = 64
# Recording keeps every intermediate value; the same budget code mode keeps (DESIGN.md: --max-memory).
MAX_MEMORY = 1 << 30
MAX_STEPS = 100_000
# --max-memory below this keeps hardly a step; above it is no budget on any machine this runs on.
MIN_BUDGET = 1 << 20
MAX_BUDGET = 1 << 50
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?", re.IGNORECASE)
FLOAT_BYTES = 8


def parse_size(text: str, option: str) -> int:
    """``512M``, ``1G``, ``1.5GB``, ``2048MiB`` or a number of bytes, in bytes (K, M, G, T are powers of 1024)."""
    match = _SIZE.fullmatch(text.strip())
    size = float(match.group(1)) * _UNITS[match.group(2).upper()] if match else math.nan
    if not math.isfinite(size):
        raise BadInput(None, option, f'expected a size such as 512M or 2G, found "{text}"')
    if not MIN_BUDGET <= size <= MAX_BUDGET:
        raise BadInput(None, option, f'expected a size from 1M to 1024T, found "{text}"')
    return int(size)


def budget_text(n_bytes: int) -> str:
    """1 GB, 512 MB: as the learner wrote it on the command line when it is a round number, else 1.5 GiB."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n_bytes >= size and n_bytes % size == 0:
            return f"{n_bytes // size} {unit}"
    return size_text(n_bytes)


def step_ranges(steps: Iterable[int]) -> str:
    """0–7, 12, 49: sorted step numbers with runs shown as ranges."""
    parts: list[str] = []
    run: list[int] = []
    for step in sorted(set(steps)):
        if run and step != run[-1] + 1:
            parts.append(_run(run))
            run = []
        run.append(step)
    if run:
        parts.append(_run(run))
    return ", ".join(parts)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}"


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
