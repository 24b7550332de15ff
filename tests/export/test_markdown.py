"""Markdown study notes: math GitHub and Jupyter both render, escaped text, call-outs with fixes."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bptrace.errors import BadInput
from bptrace.export.markdown_format import render
from bptrace.trace import Trace


def math_blocks(note: str) -> list[str]:
    return re.findall(r"^\$\$\n(.*?)\n\$\$$", note, flags=re.S | re.M)


def test_every_dollar_block_is_on_lines_of_its_own_with_blank_lines_around(seed_trace: Trace) -> None:
    note = render(seed_trace)
    lines = note.split("\n")
    fences = [i for i, line in enumerate(lines) if "$$" in line]
    assert fences and len(fences) % 2 == 0
    for start, end in zip(fences[::2], fences[1::2], strict=True):
        assert lines[start] == "$$" and lines[end] == "$$"
        assert lines[start - 1] == "" and lines[end + 1] == ""


def test_math_is_safe_from_markdown_escapes(seed_trace: Trace, code_trace: Trace) -> None:
    for note in (render(seed_trace), render(code_trace)):
        for block in math_blocks(note):
            # A backslash before ASCII punctuation is a Markdown escape: only \\ at a line end may stay.
            for match in re.finditer(r"\\[!-/:-@\[-`{-~]", block):
                assert block[match.start():match.start() + 3] == "\\\\\n", block
            assert "<" not in block and ">" not in block and "$" not in block


def test_each_step_has_its_formula_numbers_and_terms(seed_trace: Trace) -> None:
    note = render(seed_trace, detail="0")
    for step in (s for s in seed_trace.steps if s.train_step == 0):
        assert f'<a id="step-{step.index}"></a>' in note
        assert step.formula is not None and step.formula.latex.replace(r"\,", r"\thinspace ") in note
    assert r"\begin{bmatrix}" in note
    assert r"\text{upstream, 3×1}" in note and r"\text{local, 3×1}" in note and r"\text{product, 3×1}" in note
    assert r"\operatorname{relu}'(Z_{1}) = \begin{bmatrix}" in note


def test_detail_bounds_a_long_training(long_trace: Trace) -> None:
    note = render(long_trace)
    assert re.findall(r"^## Training step (\d+)$", note, flags=re.M) == ["0", "11"]
    losses = re.search(r"## Losses\n(.*?)\n\n<a", note, flags=re.S)
    assert losses is not None
    table = [row for row in losses.group(1).splitlines() if row.startswith("| ") and row[2].isdigit()]
    assert [row.split(" | ")[0] for row in table] == ["| 0", "| 10"]
    assert table[1].count("|") == 12  # 10 columns + step, padded
    assert re.findall(r"^## Training step (\d+)$", render(long_trace, detail="2..3,last"), flags=re.M) == [
        "2",
        "3",
        "11",
    ]
    assert len(re.findall(r"^## Training step", render(long_trace, detail="all"), flags=re.M)) == 12


@pytest.mark.parametrize("detail", ["12", "-13", "x", "1..99", ""])
def test_bad_detail_is_bad_input(long_trace: Trace, detail: str) -> None:
    with pytest.raises(BadInput, match="--detail"):
        render(long_trace, detail=detail)


def test_code_mode_findings_are_call_outs_with_their_fix(code_trace: Trace) -> None:
    note = render(code_trace)
    # The title comes from the pitfall catalogue (code mode registers its ids there).
    assert (
        "> [!CAUTION]\n> **Derivative helper given z instead of the activation** "
        "(derivative-on-preactivation, error, impl.py line 12, step 3)"
        in note
    )
    assert "> **Fix:** pass A1, the activation." in note
    assert "> *Why:* Once a NaN or inf appears" in note  # from the catalogue
    # An id the catalogue does not know speaks through its message and the fix inside it.
    assert "> [!WARNING]\n> **My new check** (my-new-check, warning, impl.py line 9, step 4)" in note
    assert "> **Fix:** do the thing." in note
    # The guilty source line, and the exception that has no step.
    assert "> ```python\n> dZ1 = dA1 * sigmoid_derivative(Z1)\n> ```" in note
    assert "## Findings not tied to a step" in note and "ValueError: shapes (3,2) and (3,1) not aligned" in note
    assert r"\text{expected} = \begin{bmatrix}" in note and "Largest difference from the traced value: 0.04417" in note
    assert r"\text{sigmoid_derivative}(Z_{1}) = " in note  # a snake_case name stays one upright word


def test_trace_text_cannot_become_markup(code_trace: Trace) -> None:
    note = render(code_trace)
    outside_code = re.sub(r"^(> )?```.*?^(> )?```$", "", note, flags=re.S | re.M)
    # The only raw tags are bptrace's own anchors; every < from the trace is escaped.
    assert re.findall(r"(?<!\\)<(?!a id=\"|/a>)", outside_code) == []
    assert r"\<img src=x onerror=alert(1)\>" in note
    assert r"# My \<i\>homework\</i\> \| net" in note


def test_findings_table_rows_keep_their_columns(code_trace: Trace) -> None:
    note = render(code_trace)
    rows = [line for line in note.splitlines() if line.startswith("| error") or line.startswith("| warning")]
    assert len(rows) == 4
    for row in rows:
        assert len(re.findall(r"(?<!\\)\|", row)) == 5  # 4 cells: an escaped | in a message does not split it


def test_big_matrices_are_elided_with_their_shape(code_trace: Trace) -> None:
    note = render(code_trace)
    block = next(b for b in math_blocks(note) if "20×20" in b)
    assert r"\cdots" in block and r"\vdots" in block and r"\ddots" in block
    assert block.count("\\\\\n") == 7  # 8 rows shown of 20
    assert np.isfinite(code_trace.steps[4].value).all()


def test_a_commonmark_parser_with_dollar_math_sees_what_was_meant(seed_trace: Trace, code_trace: Trace) -> None:
    """markdown-it (CommonMark, as GitHub; dollarmath, as Jupyter/MyST) reads every $$ block as math,
    every table with its columns, every finding as one quote, and no HTML but bptrace's anchors."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    parser = MarkdownIt("commonmark").enable("table").use(dollarmath_plugin)
    for trace in (seed_trace, code_trace):
        note = render(trace)
        tokens = parser.parse(note)
        blocks = [t.content.strip() for t in tokens if t.type == "math_block"]
        assert blocks == [b.strip() for b in math_blocks(note)]
        assert sum(t.type == "blockquote_open" for t in tokens) == len(trace.findings)
        html = [child.content for t in tokens if t.type == "inline" for child in t.children or []
                if child.type == "html_inline"]
        assert all(re.fullmatch(r'<a id="(train-)?step-\d+">|</a>', h) for h in html), html
        assert not any(t.type == "html_block" for t in tokens)
        for table in re.findall(r"(?:^\|.*\|$\n?)+", note, flags=re.M):
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table.strip().splitlines()}
            assert len(widths) == 1, table


def test_code_formulas_are_code_and_text_groups_stay_literal(code_trace: Trace) -> None:
    note = render(code_trace)
    step1 = note.split("### Step 1 ")[1].split("### Step 2 ")[0]
    assert step1.count("A1 = sigmoid(Z1)") == 1  # the formula only repeats its source line: shown once
    assert r"\texttt{Z1_in} = \begin{bmatrix}" in step1  # the recorder's own LaTeX for a term
    step2 = note.split("### Step 2 ")[1].split("### Step 3 ")[0]
    assert "```python\nL = half_sse(A1, Y) if a > 0 {}\n```" in step2
    from bptrace.export.markdown_format import math

    assert math(r"\texttt{z > 0 \{\}}").strip() == r"\texttt{z }\gt \texttt{ 0 }\lbrace \rbrace"


def test_the_findings_count_says_error_or_errors_as_the_number_needs(code_trace: Trace) -> None:
    import dataclasses

    errors = [f for f in code_trace.findings if f.severity == "error"]
    assert len(errors) > 1
    assert f"- **Findings:** {len(code_trace.findings)} ({len(errors)} errors)\n" in render(code_trace)
    one = dataclasses.replace(code_trace, findings=tuple(errors[:1]))
    assert "- **Findings:** 1 (1 error)\n" in render(one)
