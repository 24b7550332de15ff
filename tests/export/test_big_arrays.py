"""Markdown and HTML elide the middle of big matrices, as NumPy's printing does, and give the shape."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from bptrace.export import html_format, markdown_format
from bptrace.trace import Trace


def with_big_result(trace: Trace) -> tuple[Trace, np.ndarray]:
    big = np.arange(400_000, dtype=np.float64).reshape(10, 40_000) / 7
    steps = (replace(trace.steps[0], value=big, terms=()), *trace.steps[1:])
    return replace(trace, steps=steps), big


def test_markdown_shows_first_and_last_rows_and_columns_with_the_shape(seed_trace: Trace) -> None:
    trace, _ = with_big_result(seed_trace)
    note = markdown_format.render(trace)
    small = markdown_format.render(seed_trace)
    assert len(note) - len(small) < 2_000  # 400,000 entries cost a few rows of text
    matrix = note[note.index(r"\begin{bmatrix}"):note.index(r"\end{bmatrix}")]
    rows = matrix.split("\\\\")
    assert len(rows) == 8  # 4 first rows, ⋮, 3 last (10 rows elided past 8)
    assert "\\vdots" in rows[4] or "⋮" in rows[4]
    first = rows[0]
    assert "0" in first and re.search(r"5714", first)  # big[0, -1] = 39999/7 = 5714.1…: the last column is there
    assert "10×40000" in note or r"10 \times 40000" in note


def test_html_shows_an_elided_table_with_the_shape(seed_trace: Trace) -> None:
    trace, _ = with_big_result(seed_trace)
    page = html_format.render(trace)
    assert len(page) - len(html_format.render(seed_trace)) < 4_000
    table = page[page.index('<table class="matrix">'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr>") == 8 and "5714" in table and ("⋮" in table or "&vellip;" in table)
    assert "10×40000" in page
