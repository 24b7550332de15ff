"""Hundreds of random keys, on every screen, with resizes in between: the app must never crash.

An exception in any handler makes ``run_test`` raise on exit, which fails the test.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bptrace.trace import Trace
from bptrace.tui.app import BptraceApp
from tests.tui.conftest import code_trace, settle

# Every key the app knows, the dialogs' keys, and some it does not know. Not q: that ends the run.
KEYS = [
    "n", "p", "right", "left", "home", "end", "f", "F", "b", "c", "g", "s", "left_square_bracket",
    "right_square_bracket", "d", "e", "question_mark", "escape", "enter", "escape", "1", "2", "t", "x",
    "backspace", "up", "down", "pagedown", "pageup", "tab", "ctrl+p", "space", "minus", "z",
]
SIZES = [(80, 24), (120, 36), (60, 16), (200, 50), (40, 10), (100, 30)]


@pytest.mark.parametrize(("trace_factory", "seed", "rounds"), [(code_trace, 2, 20), (None, 3, 10)],
                         ids=["code-mode trace", "picker first"])
async def test_random_keys_never_crash(trace_factory, seed: int, rounds: int, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # an `e` then `enter` writes the default export file here
    rng = random.Random(seed)
    trace: Trace | None = trace_factory() if trace_factory else None
    app = BptraceApp(trace)
    presses = 0
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(rounds):
            await pilot.press(*rng.choices(KEYS, k=10))
            presses += 10
            if rng.random() < 0.4:
                await pilot.resize_terminal(*rng.choice(SIZES))
        await settle(pilot)
        assert app.is_running
    assert presses == rounds * 10
