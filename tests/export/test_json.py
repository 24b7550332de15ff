"""JSON: the contract's writer and its validating loader read back bit-identically."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bptrace import symbolic
from bptrace.errors import BadInput
from bptrace.export import export_trace
from bptrace.export.json_format import dumps, load_trace, trace_from_dict
from bptrace.trace import Step, Trace

from .conftest import code_mode_trace


def bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype=np.float64).tobytes()


def assert_same_trace(a: Trace, b: Trace) -> None:
    assert a.scenario == b.scenario
    assert len(a.steps) == len(b.steps)
    for x, y in zip(a.steps, b.steps, strict=True):
        assert (x.index, x.train_step, x.phase, x.op, x.target, x.inputs) == (
            y.index,
            y.train_step,
            y.phase,
            y.op,
            y.target,
            y.inputs,
        )
        assert x.value.shape == y.value.shape and bits(x.value) == bits(y.value)
        assert [(t.name, t.role, t.latex, bits(t.value), t.value.shape) for t in x.terms] == \
            [(t.name, t.role, t.latex, bits(t.value), t.value.shape) for t in y.terms]
        assert x.formula == y.formula and x.source == y.source
        assert (x.kind, x.layer, x.of, x.parameter, x.learner_name) == (
            y.kind,
            y.layer,
            y.of,
            y.parameter,
            y.learner_name,
        )
        assert (x.reference is None) == (y.reference is None)
        if x.reference is not None:
            assert bits(x.reference) == bits(y.reference)
    assert [bits(np.array(v)) for v in a.losses] == [bits(np.array(v)) for v in b.losses]
    assert a.findings == b.findings
    for ga, gb in zip((*a.gradients, *a.reference_gradients, a.parameters),
                      (*b.gradients, *b.reference_gradients, b.parameters), strict=True):
        assert ga.keys() == gb.keys() and all(bits(ga[k]) == bits(gb[k]) for k in ga)


def test_trace_json_reexports_byte_for_byte(tmp_path: Path, seed_trace: Trace) -> None:
    first, again = tmp_path / "t.json", tmp_path / "again.json"
    export_trace(seed_trace, first)
    export_trace(load_trace(first), again)
    assert first.read_bytes() == again.read_bytes()
    assert_same_trace(seed_trace, load_trace(again))


def test_code_mode_trace_with_nan_and_inf_round_trips(tmp_path: Path, code_trace: Trace) -> None:
    first, again = tmp_path / "c.json", tmp_path / "again.json"
    export_trace(code_trace, first)
    text = first.read_text(encoding="utf-8")
    assert '"nan"' in text and '"inf"' in text
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} in strict JSON"))
    loaded = load_trace(first)
    assert_same_trace(code_trace, loaded)
    assert math.isinf(loaded.losses[1])
    export_trace(loaded, again)
    assert again.read_bytes() == first.read_bytes()


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
                  elements=st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)))
def test_any_float_array_reads_back_bit_identical(value: np.ndarray) -> None:
    base = code_mode_trace()
    step = replace(base.steps[0], value=value, formula=None, terms=())
    trace = symbolic.with_formulas(replace(base, steps=(step,), findings=()))
    doc = json.loads(dumps(trace))
    loaded = trace_from_dict(doc, "t.json")
    assert loaded.steps[0].value.shape == value.shape
    # NaN payloads are not kept (the contract writes "nan"); every other bit is.
    expected = np.where(np.isnan(value), np.nan, value)
    assert bits(loaded.steps[0].value) == bits(expected)
    assert dumps(loaded) == dumps(trace)


def test_meta_with_numpy_scalars_and_nan_is_plain_json(code_trace: Trace) -> None:
    step: Step = replace(code_trace.steps[0], meta={"layer": np.int64(2), "lr": np.float64(0.1), "eps": float("nan"),
                                                    "axes": (0, 1)})
    doc = json.loads(dumps(replace(code_trace, steps=(step,))))
    assert doc["steps"][0]["meta"] == {"layer": 2, "lr": 0.1, "eps": "nan", "axes": [0, 1]}


def _doc(trace: Trace) -> dict:
    return json.loads(dumps(trace))


@pytest.mark.parametrize("version", [3, 0, "1", True, None])
def test_another_version_is_refused(seed_trace: Trace, version: object) -> None:
    doc = _doc(seed_trace)
    doc["version"] = version
    with pytest.raises(BadInput, match="version") as info:
        trace_from_dict(doc, "old.json")
    assert "old.json" in str(info.value)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.pop("steps"), "steps"),
        (lambda d: d.update(format="something-else"), "format"),
        (lambda d: d["steps"][0].update(phase="sideways"), "steps[0].phase"),
        (lambda d: d["steps"][0].update(shape=[7, 7]), "steps[0].shape"),
        (lambda d: d["steps"][0].update(value=[[1.0], [2.0, 3.0]]), "steps[0].value"),
        (lambda d: d["steps"][0].update(value=[["NaN"]]), "steps[0].value"),
        (lambda d: d["losses"].append("lots"), "losses[2]"),
        (lambda d: d["findings"].append({"id": "x", "severity": "fatal", "step": 0, "message": "m"}), "severity"),
    ],
)
def test_malformed_traces_name_the_key(seed_trace: Trace, change, where: str) -> None:
    doc = _doc(seed_trace)
    change(doc)
    with pytest.raises(BadInput) as info:
        trace_from_dict(doc, "t.json")
    assert where in str(info.value)


def test_empty_arrays_keep_their_shape(code_trace: Trace) -> None:
    empty = np.zeros((0, 3))
    step = replace(code_trace.steps[0], value=empty, terms=(replace(code_trace.steps[0].terms[0], value=empty),))
    loaded = trace_from_dict(
        _doc(replace(code_trace, steps=(step,), findings=())), "t.json"
    )  # findings name later steps
    assert loaded.steps[0].value.shape == (0, 3) and loaded.steps[0].terms[0].value.shape == (0, 3)


def test_load_reports_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "bptrace-trace", "version": 1,', encoding="utf-8")
    with pytest.raises(BadInput, match="not valid JSON"):
        load_trace(broken)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BadInput, match="UTF-8"):
        load_trace(binary)
    with pytest.raises(BadInput, match="no such file"):
        load_trace(tmp_path / "missing.json")
