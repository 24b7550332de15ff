"""Big arrays are written in pieces without a whole converted copy, and still read back bit for bit."""

from __future__ import annotations

import base64
import io
import json
import tracemalloc

import numpy as np
import pytest

from bptrace.export.json_writer import write_array

_RNG = np.random.default_rng(7)
CASES = {
    "transposed view": _RNG.standard_normal((300, 7)).T,
    "uint8 pixels": _RNG.integers(0, 256, (123, 77), dtype=np.uint8),
    "float32 view": _RNG.standard_normal((5, 40_001)).astype(np.float32).T,
    "long vector": _RNG.standard_normal(100_001),
    "strided 3-d": _RNG.standard_normal((3, 4, 500))[:, ::2, :],
    "non-finite": np.array([np.nan, np.inf, -np.inf, 0.0] * 100),
}


@pytest.mark.parametrize("name", CASES)
def test_pieces_concatenate_to_the_exact_bytes(name: str) -> None:
    array = CASES[name]
    out = io.StringIO()
    write_array(out, array)
    doc = json.loads(out.getvalue())
    dtype = np.dtype(doc["dtype"]).newbyteorder("<")
    back = np.frombuffer(base64.b64decode(doc["base64"], validate=True), dtype=dtype).reshape(doc["shape"])
    assert back.tobytes() == np.asarray(array, dtype=dtype).tobytes()  # NaN payloads included


class _Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def test_a_big_view_is_not_copied_whole() -> None:
    data = _RNG.integers(0, 256, (20_000, 200), dtype=np.uint8)  # 4 MB, 32 MB as float64
    tracemalloc.start()
    try:
        write_array(_Discard(), data.T)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20  # a block of rows at a time, not the 32 MB converted copy
