"""Reading trace files as a stream (json_reader): exact, bounded, and judged as json.loads would be."""

from __future__ import annotations

import base64
import json
import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bptrace.errors import BadInput
from bptrace.export import export_trace
from bptrace.export.json_format import dumps, load_trace
from bptrace.export.json_reader import read_document
from bptrace.trace import Trace

from .test_json import assert_same_trace, bits
from .test_json_v2 import big, with_big_values


def load_measured(path: Path) -> tuple[Trace, int]:
    """The trace in ``path``, and the peak of memory Python allocated while reading it."""
    tracemalloc.start()
    try:
        loaded = load_trace(path)
        return loaded, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_streamed_file_reads_back_bit_identical(seed_trace: Trace, tmp_path: Path) -> None:
    """-0.0, a subnormal, ±inf and a NaN with a payload, in float64 and float32, through a file both ways."""
    trace = with_big_values(seed_trace)
    out, again = tmp_path / "t.json", tmp_path / "again.json"
    export_trace(trace, out, detail="all")
    loaded = load_trace(out)
    assert_same_trace(trace, loaded)
    value = loaded.steps[0].value.reshape(-1)
    assert value[0] == 5e-324 and np.signbit(value[1]) and value[1] == 0
    assert np.isposinf(value[2]) and np.isneginf(value[3]) and np.isnan(value[4])
    assert value[5:6].view(np.uint64)[0] == 0x7FF8_0000_DEAD_BEEF  # the payload, not just "a NaN"
    assert loaded.steps[0].terms[0].value.dtype == np.float32
    assert bits(loaded.steps[0].terms[0].value) == bits(trace.steps[0].terms[0].value)
    export_trace(loaded, again, detail="all")
    assert again.read_bytes() == out.read_bytes()


def test_the_document_matches_json_loads_apart_from_decoded_arrays(seed_trace: Trace, tmp_path: Path) -> None:
    text = dumps(with_big_values(seed_trace))
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8")
    expected = json.loads(text)
    doc = read_document(path)
    packed = doc["steps"][0]["value"]
    assert bytes(packed["base64"]) == bytes(np.ascontiguousarray(big((10, 400)), dtype="<f8").data)
    packed["base64"] = expected["steps"][0]["value"]["base64"]
    doc["steps"][0]["terms"][0]["value"]["base64"] = expected["steps"][0]["terms"][0]["value"]["base64"]
    doc["parameters"]["W1"]["base64"] = expected["parameters"]["W1"]["base64"]
    assert doc == expected


def test_a_base64_key_elsewhere_keeps_its_text(seed_trace: Trace, tmp_path: Path) -> None:
    """Meta is free-form: a "base64" there is a string, even one that is valid base64, even packed-looking."""
    step = seed_trace.steps[0]
    meta = {**step.meta, "note": {"base64": "QUJD"}, "odd": {"base64": "not base64!"},
            "packed": {"dtype": "float64", "shape": [1], "base64": "AAAAAAAA8D8="}}
    trace = replace(seed_trace, steps=(replace(step, meta=meta), *seed_trace.steps[1:]))
    path = tmp_path / "t.json"
    export_trace(trace, path, detail="all")
    loaded = load_trace(path)
    assert loaded.steps[0].meta["note"] == {"base64": "QUJD"}
    assert loaded.steps[0].meta["odd"] == {"base64": "not base64!"}
    assert loaded.steps[0].meta["packed"] == {"dtype": "float64", "shape": [1], "base64": "AAAAAAAA8D8="}


def test_no_string_in_a_file_poses_as_a_decoded_array(seed_trace: Trace, tmp_path: Path) -> None:
    """Escaped spellings reach json untouched and decode as it would decode them."""
    text = dumps(with_big_values(seed_trace))
    doc = json.loads(text)
    original = doc["steps"][0]["value"]["base64"]
    escaped = "\\u" + f"{ord(original[0]):04x}" + original[1:]  # the same base64, its first letter escaped
    text = text.replace(f'"base64":"{original}"', f'"base64":"{escaped}"')
    text = text.replace('"base64"', '"base\\u0036\\u0034"', 1)  # the key of the first packed array, escaped
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8")
    loaded = load_trace(path)
    assert bits(loaded.steps[0].value) == bits(big((10, 400)))
    tampered = tmp_path / "tampered.json"
    zeros = base64.b64encode(bytes(10 * 400 * 8)).decode()
    tampered.write_text(text.replace(escaped, zeros), encoding="utf-8")
    assert not load_trace(tampered).steps[0].value.any()  # read as written


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda v: v.update(shape=[10, 401]), "expected 32080 bytes for shape 10×401, found 32000"),
        (lambda v: v.update(base64="@@@"), "found 3 characters"),
        (lambda v: v.update(base64="@" * len(v["base64"])), "not valid base64"),
        (lambda v: v.update(base64=v["base64"][:-4]), "expected 32000 bytes"),
        (lambda v: v.update(base64=5), "expected a base64 string"),
    ],
)
def test_malformed_packed_arrays_in_a_file_name_the_key(seed_trace: Trace, tmp_path: Path, change, says: str) -> None:
    doc = json.loads(dumps(with_big_values(seed_trace)))
    change(doc["steps"][0]["value"])
    path = tmp_path / "t.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(BadInput, match=says) as info:
        load_trace(path)
    assert "steps[0]" in str(info.value)


@pytest.mark.parametrize(("text", "says"), [(b"", "not valid JSON"), (b'{"a": "\xff\xfe"}', "not UTF-8"),
                                            (b'{"base64": "AAA', "not valid JSON"), (b"\xef\xbb\xbf[1, 2", "line 1")])
def test_broken_files_are_bad_input(tmp_path: Path, text: bytes, says: str) -> None:
    path = tmp_path / "t.json"
    path.write_bytes(text)
    with pytest.raises(BadInput, match=says):
        load_trace(path)


def test_loading_holds_little_beyond_the_arrays(seed_trace: Trace, tmp_path: Path) -> None:
    """Python's allocations while loading ~25 MB of arrays stay near those bytes (json.loads of the whole
    file held the file's bytes, its text and every base64 string besides: about 4.7× them)."""
    arrays = [np.random.default_rng(k).standard_normal((100, 4000)) for k in range(8)]  # 8 × 3.2 MB
    steps = tuple(replace(step, value=arrays[k % len(arrays)] if k < len(arrays) else step.value)
                  for k, step in enumerate(seed_trace.steps))
    trace = replace(seed_trace, steps=steps)
    path = tmp_path / "t.json"
    export_trace(trace, path, detail="all")
    size = sum(a.nbytes for a in arrays)
    loaded, peak = load_measured(path)
    assert bits(loaded.steps[3].value) == bits(arrays[3])
    assert peak < 1.3 * size + 8 * 2**20, f"peak {peak / 2**20:.0f} MB for {size / 2**20:.0f} MB of arrays"


def test_a_trace_from_a_pipe_still_loads(seed_trace: Trace, tmp_path: Path) -> None:
    """``bptrace replay <(…)`` hands over a pipe, which cannot be memory-mapped."""
    import os
    import threading

    trace = with_big_values(seed_trace)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    text = dumps(trace).encode("utf-8")

    def feed() -> None:
        with fifo.open("wb") as out:
            out.write(text)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        loaded = load_trace(fifo)
    finally:
        writer.join(timeout=10)
    assert_same_trace(trace, loaded)


def test_a_string_of_escapes_is_scanned_in_bounded_memory(seed_trace: Trace, tmp_path: Path) -> None:
    """Input is hostile: 2 million escapes in a description cost what json.loads costs, not a regex's stack."""
    text = dumps(seed_trace)
    description = json.loads(text)["scenario"]["description"]
    bomb = "\\n" * 2_000_000 + '\\"'
    path = tmp_path / "t.json"
    written = json.dumps(description, ensure_ascii=False)
    assert written in text
    path.write_text(text.replace(written, f'"{bomb}"', 1), encoding="utf-8")
    loaded, peak = load_measured(path)
    assert loaded.scenario.description == "\n" * 2_000_000 + '"'
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB for a 4 MB file"
