"""``bptrace run``'s layout at a fixed width: the answer first, the step table on request.

The whole screen is pinned with syrupy snapshots (``--snapshot-update`` after an intended change,
then read the .ambr diff); the assertions beside each say what the snapshot must show regardless.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from bptrace import symbolic
from bptrace.cli import step_range
from bptrace.errors import BadInput
from bptrace.report import render
from bptrace.sources import trace_from_source
from bptrace.trace import Trace

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "scenarios" / "gallery"


def screen(trace: Trace, width: int = 100, **options: object) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False, file=io.StringIO())
    render(trace, console, **options)  # type: ignore[arg-type]
    return console.export_text()


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


@pytest.fixture(scope="module")
def preactivation() -> Trace:
    return symbolic.with_formulas(trace_from_source(GALLERY / "derivative_on_preactivation.toml"))


@pytest.fixture(scope="module")
def long_reference() -> Trace:
    return trace_from_source(ROOT / "scenarios" / "vanishing_sigmoid.toml", steps=40)


def test_code_mode_leads_with_the_gradient_check_then_the_finding_in_context(preactivation: Trace, snapshot) -> None:
    text = screen(preactivation)
    order = [text.index(part) for part in ("Gradient check", "Around step 25", "derivative-on-preactivation",
                                           "Loss per training step", "1 error(s)")]
    assert order == sorted(order)
    rows = {cells(line)[0]: cells(line)[-1] for line in text.splitlines() if line[:2] in ("│W", "│b")}
    assert rows == {"W1": "✗", "b1": "✗", "W2": "✓", "b2": "✓"}  # dZ1 is wrong: layer 1 only
    assert "Training step 0" not in text  # no full step table unless asked
    assert text == snapshot


def test_quiet_prints_the_findings_and_the_exit_line_only(preactivation: Trace, snapshot) -> None:
    text = screen(preactivation, quiet=True)
    assert text.splitlines()[0].startswith("✗ derivative-on-preactivation")
    assert text.rstrip().endswith("1 error(s), 0 warning(s)")
    assert "Gradient check" not in text and "Around step" not in text and "Loss" not in text
    assert text == snapshot


def test_table_range_prints_just_those_steps(preactivation: Trace, snapshot) -> None:
    text = screen(preactivation, table=step_range("30..33"))
    table = text[text.index("Training step 0"):]
    numbers = [cells(line)[0] for line in table.splitlines() if line.startswith("│") and cells(line)[0].isdigit()]
    assert numbers == ["30", "31", "32", "33"]
    assert text == snapshot


def test_long_run_shows_the_loss_as_a_sparkline_with_first_and_last_steps(long_reference: Trace, snapshot) -> None:
    text = screen(long_reference)
    assert "Gradient sizes" in text  # reference mode: nothing to check, the sizes instead
    loss_line = next(line for line in text.splitlines() if line.startswith("Loss per training step"))
    assert any(bar in loss_line for bar in "▁▂▃▄▅▆▇█")
    assert "0: " in text and "39: " in text and " 20: " not in text
    assert len(text.splitlines()) < 30
    assert text == snapshot


@pytest.mark.parametrize("width", [60, 80, 140])
def test_every_width_fits_without_squeezing_a_column_away(preactivation: Trace, width: int) -> None:
    text = screen(preactivation, width=width, table=step_range("all"))
    assert max(len(line) for line in text.splitlines()) <= width
    for line in text.splitlines():
        if line.startswith("│") and "formula" not in line:
            row = line.strip("│").split("│")
            assert all(len(cell) >= 2 for cell in row[:-1]), line  # every column keeps room for its text


def test_step_ranges() -> None:
    assert step_range("20..40") == range(20, 41)
    assert step_range("7") == range(7, 8)
    assert step_range("..3") == range(0, 4)
    assert step_range("5..").start == 5
    for bad in ("x", "5..2", "-1", "1..b"):
        with pytest.raises(BadInput):
            step_range(bad)


def test_a_value_that_overflowed_prints_as_inf_not_as_markup(preactivation: Trace) -> None:
    # "[inf, inf]" and "[nan, …]" look like rich markup tags: printed as a str the cell came out blank.
    import dataclasses

    import numpy as np

    steps = list(preactivation.steps)
    steps[3] = dataclasses.replace(steps[3], value=np.full(np.shape(steps[3].value), np.inf))
    steps[4] = dataclasses.replace(steps[4], value=np.full(np.shape(steps[4].value), np.nan))
    text = screen(dataclasses.replace(preactivation, steps=tuple(steps)), width=120, table=range(3, 5))
    rows = {cells(line)[0]: cells(line) for line in text.splitlines() if line.startswith("│")}
    assert rows["3"][-2].startswith("[inf"), rows["3"]
    assert rows["4"][-2].startswith("[nan"), rows["4"]


def test_a_trace_of_one_step_says_step_not_steps(preactivation: Trace) -> None:
    import dataclasses

    one = dataclasses.replace(preactivation, steps=preactivation.steps[:1], findings=())
    text = " ".join(screen(one, width=120).split())
    assert "(the 1 step: --table" in text, text
    assert "(the 2 steps: --table" in " ".join(screen(dataclasses.replace(one, steps=preactivation.steps[:2])).split())
