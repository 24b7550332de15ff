"""How numbers and shapes read in the report, the TUI and the notes."""

from __future__ import annotations

import numpy as np

from bptrace.numbers import array_summary, number, shape_text


def test_shapes_keep_vectors_apart_from_column_matrices() -> None:
    assert shape_text((3, 1)) == "3×1"
    assert shape_text((3,)) == "(3,)"  # a 1-D bias broadcasts differently from a 3×1 one: say so
    assert shape_text(()) == "scalar"


def test_numbers_have_about_four_significant_digits() -> None:
    assert number(0.123456) == "0.1235"
    assert number(-38974.1366) == "-3.897e+4"
    assert number(1.5e-7) == "1.5e-7"
    assert number(0.0) == "0" and number(float("nan")) == "nan" and number(float("-inf")) == "-inf"
    assert number(2 / 3, 8) == "0.66666667"


def test_array_summary_elides_long_arrays() -> None:
    assert array_summary(np.array([[0.5], [0.25]])) == "[0.5, 0.25]"
    long = array_summary(np.arange(100.0))
    assert long.startswith("[0, 1, 2") and "…" in long and long.endswith("99]")
