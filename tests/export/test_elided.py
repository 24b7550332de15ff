"""A default JSON export keeps the corners of big step arrays, exactly, so its size does not grow with the data.

``--detail all`` keeps every entry. Readers of a corners-only trace show what is there and say what is not.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bptrace import elided
from bptrace.elided import EDGE, ELIDE_ABOVE, Elided, elide, grid, same_values
from bptrace.errors import BadInput
from bptrace.export import export_trace, html_format, markdown_format
from bptrace.export.json_format import dumps, load_trace, trace_from_dict
from bptrace.recorder import record
from bptrace.scenario import Layer, Scenario
from bptrace.trace import Trace

from .test_json import bits
from .test_json_v2 import big


def with_big_step(trace: Trace, shape: tuple[int, ...] = (400, 300)) -> tuple[Trace, np.ndarray]:
    """The first step's value and first term made big: float64 with NaN payloads, -0.0 and subnormals; float32."""
    value, term = big(shape), big((300, 400), np.float32)
    first = trace.steps[0]
    steps = (replace(first, value=value, terms=(replace(first.terms[0], value=term), *first.terms[1:])),
             *trace.steps[1:])
    return replace(trace, steps=steps), value


def wide_scenario(samples: int) -> Scenario:
    """A 10-10-10 network over ``samples`` samples: every per-sample array is 10×samples."""
    rng = np.random.default_rng(3)
    return Scenario(
        name=f"wide {samples}", description="", layout="columns", inputs=10,
        layers=(Layer(10, "tanh"), Layer(10, "sigmoid")), loss="bce", reduction="mean",
        X=rng.standard_normal((10, samples)), Y=(rng.random((10, samples)) > 0.5).astype(float),
        parameters={"W1": rng.standard_normal((10, 10)) * 0.3, "b1": np.zeros((10, 1)),
                    "W2": rng.standard_normal((10, 10)) * 0.3, "b2": np.zeros((10, 1))},
        learning_rate=0.5, steps=3,
    )


def test_a_big_step_array_keeps_its_corners_bit_identical(seed_trace: Trace) -> None:
    trace, value = with_big_step(seed_trace)
    doc = json.loads(dumps(trace, detail=None))
    written = doc["steps"][0]["value"]
    corners = [*range(EDGE), *range(400 - EDGE, 400)], [*range(EDGE), *range(300 - EDGE, 300)]
    assert written["shape"] == [400, 300]
    assert (written["kept_rows"], written["kept_cols"]) == corners
    assert doc["scenario"]["notes"]["elided_above"] == ELIDE_ABOVE
    loaded = trace_from_dict(doc, "t.json")
    kept = loaded.steps[0].value
    assert isinstance(kept, Elided) and kept.shape == (400, 300)
    assert bits(kept.block) == bits(value[np.ix_(*corners)])  # NaN payload, -0.0, subnormals: exact
    assert kept[0, 0] is not None and bits(np.array(kept[399, 299])) == bits(np.array(value[399, 299]))
    with pytest.raises(KeyError):
        kept[200, 150]
    term = loaded.steps[0].terms[0].value
    assert isinstance(term, Elided) and term.dtype == np.float32 and term.shape == (300, 400)
    assert isinstance(loaded.steps[1].value, np.ndarray)  # small arrays are whole
    assert dumps(loaded, detail=None) == dumps(trace, detail=None)  # a corners-only trace re-exports as it reads


def test_detail_all_keeps_every_entry(seed_trace: Trace) -> None:
    trace, value = with_big_step(seed_trace)
    doc = json.loads(dumps(trace, detail="all"))
    assert "kept_rows" not in doc["steps"][0]["value"] and "elided_above" not in doc["scenario"].get("notes", {})
    assert bits(trace_from_dict(doc, "t.json").steps[0].value) == bits(value)


def test_the_default_json_does_not_grow_with_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The threshold lowered so that every per-sample array (the loss's per-sample vector too) is past
    # it at both sizes, without recording gigabytes: past it, the file's size is the same.
    monkeypatch.setattr(elided, "ELIDE_ABOVE", 4_000)
    sizes = {}
    for samples in (8_000, 32_000):
        trace = record(wide_scenario(samples))
        export_trace(trace, tmp_path / f"{samples}.json")
        sizes[samples] = (tmp_path / f"{samples}.json").stat().st_size
        whole = tmp_path / f"{samples}-all.json"
        export_trace(trace, whole, detail="all")
        assert whole.stat().st_size > 10 * sizes[samples]
    assert sizes[32_000] < 1.01 * sizes[8_000] and sizes[8_000] < 2_000_000


def test_gradients_and_parameters_are_never_elided(tmp_path: Path) -> None:
    scenario = wide_scenario(8_000)
    scenario = replace(scenario, inputs=300, X=np.ones((300, 8_000)) / 300,
                       parameters={**scenario.parameters, "W1": np.full((10, 300), 0.01)})
    out = tmp_path / "t.json"
    trace = record(scenario)
    export_trace(trace, out)
    loaded = load_trace(out)
    assert all(isinstance(g, np.ndarray) for grads in loaded.gradients for g in grads.values())
    assert bits(loaded.parameters["W1"]) == bits(trace.parameters["W1"])
    assert isinstance(loaded.steps[0].value, Elided)  # X @ W1... the per-sample arrays are corners only


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda v: v.update(kept_rows=[0, 2, 1]), "kept_rows"),
        (lambda v: v.update(kept_cols=[*v["kept_cols"][:-1], 300]), "kept_cols"),
        (lambda v: v.update(base64=v["base64"][:-4]), "base64"),
        (lambda v: v.update(kept_rows="all"), "kept_rows"),
        (lambda v: v.update(kept_rows=[0, 399]), "the first and last 8 among them"),  # views show more
    ],
)
def test_malformed_corners_name_the_key(seed_trace: Trace, change, says: str) -> None:
    trace, _ = with_big_step(seed_trace)
    doc = json.loads(dumps(trace, detail=None))
    change(doc["steps"][0]["value"])
    with pytest.raises(BadInput, match=says) as info:
        trace_from_dict(doc, "t.json")
    assert "steps[0].value" in str(info.value)


def test_corners_only_parameters_are_refused(seed_trace: Trace) -> None:
    doc = json.loads(dumps(seed_trace, detail=None))
    doc["parameters"]["W1"] = {"dtype": "float64", "shape": [3, 2], "kept_rows": [0], "kept_cols": [0],
                               "base64": "AAAAAAAAAAA="}
    with pytest.raises(BadInput, match=r"parameters\.W1"):
        trace_from_dict(doc, "t.json")


def test_notes_show_the_corners_and_no_largest_difference(seed_trace: Trace) -> None:
    trace, value = with_big_step(seed_trace)
    trace = replace(trace, steps=(replace(trace.steps[0], reference=value + 1), *trace.steps[1:]))
    loaded = trace_from_dict(json.loads(dumps(trace, detail=None)), "t.json")
    whole_note, corner_note = markdown_format.render(trace), markdown_format.render(loaded)
    assert "400×300" in corner_note and ("⋮" in corner_note or r"\vdots" in corner_note)
    assert "Largest difference" in whole_note and "Largest difference" not in corner_note
    page = html_format.render(loaded)
    assert "400×300" in page and '<td class="elided">' in page


def test_elide_views_vectors_and_stacks_as_the_readers_do() -> None:
    vector = np.arange(100_000.0)
    kept = elide(vector)
    assert isinstance(kept, Elided) and kept.rows == (0,) and kept[0, 99_999] == 99_999.0
    stack = np.arange(40.0 * 50 * 40).reshape(40, 50, 40)  # 2-D view: 40 × 2,000
    kept = elide(stack)
    assert isinstance(kept, Elided) and kept[39, 1_999] == stack[39, 49, 39] == grid(stack)[39, 1_999]
    small = np.ones((256, 256))
    assert elide(small) is small  # at the threshold: whole
    assert same_values(kept, elide(stack.copy())) and not same_values(kept, elide(stack + 1))
    assert not same_values(kept, stack)
