"""Trace JSON version 2: streamed, big arrays as exact base64, default detail, version 1 still read."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bptrace import symbolic
from bptrace.errors import BadInput
from bptrace.export import export_trace
from bptrace.export.json_format import dumps, load_trace, trace_from_dict
from bptrace.export.json_writer import BASE64_ABOVE, CHUNK, write_trace
from bptrace.gradcheck import check
from bptrace.sources import trace_from_source
from bptrace.trace import Finding, Trace

from .test_json import assert_same_trace, bits

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def big(shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """Values no decimal shortcut gets right by luck: subnormals, -0.0, a NaN with a payload, ±inf."""
    array = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    flat = array.reshape(-1)
    flat[:5] = [5e-324 if dtype is np.float64 else 1e-45, -0.0, np.inf, -np.inf, np.nan]
    if dtype is np.float64:
        flat[5:6] = np.frombuffer(np.uint64(0x7FF8_0000_DEAD_BEEF).tobytes(), dtype=np.float64)
    return array


def with_big_values(trace: Trace) -> Trace:
    first = trace.steps[0]
    steps = (replace(first, value=big((10, 400)), terms=(replace(first.terms[0], value=big((30, 30), np.float32)),)),
             *trace.steps[1:])
    return replace(trace, steps=steps, parameters={**trace.parameters, "W1": big((128, 784))})


def test_big_arrays_are_base64_and_read_back_bit_identical(seed_trace: Trace) -> None:
    trace = with_big_values(seed_trace)
    doc = json.loads(dumps(trace))
    value = doc["steps"][0]["value"]
    assert value["dtype"] == "float64" and value["shape"] == [10, 400]
    assert doc["steps"][0]["terms"][0]["value"]["dtype"] == "float32"
    assert isinstance(doc["steps"][1]["value"], list)  # small arrays stay readable
    loaded = trace_from_dict(doc, "t.json")
    assert_same_trace(trace, loaded)  # bits(): NaN payload, -0.0 and subnormals included
    assert loaded.steps[0].terms[0].value.dtype == np.float32
    assert bits(loaded.parameters["W1"]) == bits(trace.parameters["W1"])
    assert dumps(loaded) == dumps(trace)


class _Pieces(io.StringIO):
    """A file that remembers its largest single write."""

    largest = 0

    def write(self, text: str) -> int:
        self.largest = max(self.largest, len(text))
        return super().write(text)


def test_the_writer_streams_in_bounded_pieces(seed_trace: Trace) -> None:
    trace = replace(seed_trace, parameters={**seed_trace.parameters, "W1": big((128, 784))})
    out = _Pieces()
    write_trace(trace, out, "all")
    total = len(out.getvalue())
    assert total > 1_000_000  # the 800 kB array alone is ~1.07 MB of base64
    assert out.largest <= CHUNK * 4 // 3 + 1000 < total // 2  # never the whole document, never a whole array


def test_default_detail_keeps_values_for_first_and_last_training_steps(long_trace: Trace, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    export_trace(long_trace, out)
    loaded = load_trace(out)
    assert {s.train_step for s in loaded.steps} == {0, 11}
    assert [s.index for s in loaded.steps] == list(range(len(loaded.steps)))  # numbered afresh
    assert loaded.scenario.notes == {"values_for_train_steps": [0, 11]}
    assert loaded.losses == long_trace.losses  # losses for all
    assert [bool(g) for g in loaded.gradients] == [i in (0, 11) for i in range(12)]
    kept = [s for s in long_trace.steps if s.train_step in (0, 11)]
    assert [(s.target, bits(s.value)) for s in kept] == [(s.target, bits(s.value)) for s in loaded.steps]
    again = tmp_path / "again.json"
    export_trace(loaded, again)
    assert again.read_bytes() == out.read_bytes()
    full = tmp_path / "full.json"
    export_trace(long_trace, full, detail="all")
    assert_same_trace(long_trace, load_trace(full))


@pytest.fixture(scope="module")
def minibatch() -> Trace:
    """A real code-mode recording, 4 training steps, with a finding moved into training step 2."""
    trace = trace_from_source(ROOT / "tests" / "fixtures" / "dict_params_minibatch.py", loss="cross_entropy")
    middle = next(s.index for s in trace.steps if s.train_step == 2 and s.phase == "backward")
    planted = Finding("gradient-mismatch", "error", middle, "planted in training step 2", "x.py", 3)
    return symbolic.with_formulas(replace(trace, findings=(*trace.findings, planted)))


def test_a_training_step_with_a_finding_keeps_its_values_and_the_finding_its_step(minibatch: Trace) -> None:
    assert minibatch.train_steps == 4
    loaded = trace_from_dict(json.loads(dumps(minibatch, detail="0")), "t.json")
    assert {s.train_step for s in loaded.steps} == {0, 2}
    for before, after in zip(minibatch.findings, loaded.findings, strict=True):
        assert (before.step is None) == (after.step is None)
        if before.step is not None:
            old, new = minibatch.steps[before.step], loaded.steps[after.step]
            assert (old.train_step, old.target, bits(old.value)) == (new.train_step, new.target, bits(new.value))


def test_verdicts_outlive_the_gradient_arrays(minibatch: Trace) -> None:
    loaded = trace_from_dict(json.loads(dumps(minibatch, detail="0")), "t.json")
    assert loaded.gradients[1] == {} and set(loaded.verdicts[1]) == {"W1", "b1", "W2", "b2"}
    assert check(loaded) == check(minibatch)  # the run report's gradient check reads the same


@pytest.mark.parametrize("name", ["seed1_v1.json", "preactivation_v1.json"])
def test_version_1_files_still_load(name: str, tmp_path: Path) -> None:
    trace = load_trace(FIXTURES / name)  # written by bptrace before version 2 existed
    assert trace.steps and trace.losses
    out = tmp_path / "v2.json"
    export_trace(trace, out, detail="all")
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == 2
    assert_same_trace(trace, load_trace(out))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda v: v.update(dtype="int8"), "dtype"),
        (lambda v: v.update(shape=[10, 401]), "expected 32080 bytes for shape 10×401"),
        (lambda v: v.update(base64="@@@"), "expected 32000 bytes for shape 10×400, found 3 characters"),
        (lambda v: v.update(base64="@" * len(v["base64"])), "not valid base64"),
        (lambda v: v.pop("shape"), "shape"),
    ],
)
def test_malformed_packed_arrays_name_the_key(seed_trace: Trace, change, says: str) -> None:
    doc = json.loads(dumps(with_big_values(seed_trace)))
    change(doc["steps"][0]["value"])
    with pytest.raises(BadInput, match=says) as info:
        trace_from_dict(doc, "t.json")
    assert "steps[0]" in str(info.value)


def test_threshold_is_about_elements() -> None:
    assert 100 < BASE64_ABOVE < 10_000
