"""A trace of real size: the numbers pane shows elided matrices and never formats a whole array."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bptrace.trace import Term, Trace
from bptrace.tui import matrix
from bptrace.tui.app import BptraceApp
from tests.tui.conftest import seed_trace, settle


def big_seed() -> Trace:
    """The seed trace with every step's value and terms 10×40,000, as a big layer over many samples has."""
    rng = np.random.default_rng(1)
    big = rng.standard_normal((10, 40_000))
    steps = tuple(replace(s, value=big * (k + 1), reference=None,
                          terms=tuple(Term(t.name, big, t.role, t.latex) for t in s.terms))
                  for k, s in enumerate(seed_trace().steps))
    return replace(seed_trace(), steps=steps)


async def test_stepping_formats_only_the_visible_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    trace = big_seed()
    formatted = []
    original = matrix.number
    monkeypatch.setattr(matrix, "number", lambda x, *a: formatted.append(x) or original(x, *a))
    app = BptraceApp(trace)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        presses = 6
        for _ in range(presses):
            await pilot.press("n")
        await settle(pilot)
        result = str(app.screen.query_one("#result").content)
    entries = trace.steps[0].value.size
    # Each matrix shows at most 8×6 numbers; each step has a handful of matrices.
    assert 0 < len(formatted) < 60 * 8 * (presses + 1) < entries // 100
    assert "10×40000" in result and "…" in result and "⋮" in result


async def test_a_trace_with_values_for_some_training_steps_says_so(tmp_path) -> None:
    from bptrace.bundled import SCENARIO_DIR
    from bptrace.export import export_trace
    from bptrace.export.json_format import load_trace
    from bptrace.recorder import record
    from bptrace.scenario import load_scenario

    out = tmp_path / "t.json"
    export_trace(record(load_scenario(SCENARIO_DIR / "seed1_relu_sigmoid.toml"), steps=6), out)
    app = BptraceApp(load_trace(out))
    async with app.run_test(size=(140, 36)) as pilot:
        await settle(pilot)
        status = str(app.screen.query_one("#status").content)
        await pilot.press("end")
        await settle(pilot)
        title = str(app.screen.query_one("#step-title").content)
    assert "values for training steps 0, 5 of 6" in status
    assert "training step 5" in title


async def test_an_inferred_loss_is_said_in_the_status_line() -> None:
    from bptrace.bundled import SCENARIO_DIR
    from bptrace.codetrace import record_code

    inferred = record_code(SCENARIO_DIR / "gallery" / "inferred_loss.py")
    declared = record_code(SCENARIO_DIR / "gallery" / "inferred_loss.py", loss="bce", reduction="mean")
    shown = []
    for trace in (inferred, declared):
        app = BptraceApp(trace)
        async with app.run_test(size=(140, 36)) as pilot:
            await settle(pilot)
            shown.append(str(app.screen.query_one("#status").content))
    assert "code mode · bce (mean, inferred)" in shown[0]
    assert shown[1].endswith("code mode · bce (mean)")  # declared: nothing said


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_rendering_a_big_matrix_copies_none_of_it(dtype: type) -> None:
    import tracemalloc

    value = np.arange(10 * 40_000).reshape(10, 40_000).astype(dtype)  # 1.6–3.2 MB
    tracemalloc.start()
    try:
        content = matrix.render_matrix(value, reference=value, before=value)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 200_000, peak  # the 8×6 entries shown, not the array
    text = str(content)
    assert text.startswith("⎡      0") and "…" in text and "⋮" in text and text.endswith("4e+5 ⎦")


async def test_a_corners_only_trace_shows_its_corners_and_says_what_is_not_there() -> None:
    import json

    from bptrace import symbolic
    from bptrace.elided import Elided
    from bptrace.export.json_format import dumps, trace_from_dict

    formulas = symbolic.with_formulas(seed_trace()).steps  # written as the recorder made them, not rebuilt
    big = replace(big_seed(), steps=tuple(replace(s, formula=f.formula) for s, f in zip(big_seed().steps, formulas,
                                                                                        strict=True)))
    trace = trace_from_dict(json.loads(dumps(big, detail=None)), "t.json")
    assert isinstance(trace.steps[0].value, Elided)
    app = BptraceApp(trace)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        result = str(app.screen.query_one("#result").content)
        await pilot.press("s")
        await settle(pilot)
        for _ in range(50):  # the element form is computed in a worker
            element = str(app.screen.query_one("#element").content)
            if "expanding" not in element:
                break
            await pilot.pause(0.1)
    last = trace.steps[0].value[0, 39_999]
    assert "10×40000" in result and "⋮" in result and f"{last:.4g}"[:5] in result
    assert "Only the corner entries of big arrays are in this trace" in result
    assert "No element form: only the corners of big arrays are in this trace (--detail all keeps all)." in element
