"""--loss may be omitted: the loss and reduction are inferred from the script, and the inference is stated."""

from __future__ import annotations

from pathlib import Path

import pytest

from bptrace.codetrace import record_code

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("name", "loss", "reduction", "how"),
    [
        ("softmax_columns.py", "cross_entropy", "mean", "your gradients fit it"),
        ("masked_relu_rebind.py", "bce", "mean", "your line 15 computes it, and your gradients fit it"),
        ("cache_dicts.py", "bce", "mean", "your line 32 computes it"),
        ("class_rows.py", "half_sse", "sum", "your gradients fit it"),
        ("sample_functions.py", "bce", "sum", "your gradients fit it"),
        ("sample_class.py", "half_sse", "sum", "your gradients fit it"),
    ],
)
def test_the_loss_is_inferred_and_said(name: str, loss: str, reduction: str, how: str) -> None:
    trace = record_code(FIXTURES / name)
    assert (trace.scenario.loss, trace.scenario.reduction) == (loss, reduction)
    assert f"Loss inferred: {loss}, {reduction} ({how}" in trace.scenario.description
    assert trace.error_count() == 0


def test_losses_a_learning_rate_cannot_tell_apart_are_said_to_be_unsure() -> None:
    """One output unit, a mean: ½(A−Y)² and (A−Y)² differ by 2, which the update's factor absorbs."""
    trace = record_code(FIXTURES / "dict_params_minibatch.py")
    assert trace.scenario.loss in ("half_sse", "mse") and trace.error_count() == 0
    assert "pass --loss to be sure" in trace.scenario.description


def test_an_explicit_loss_wins_and_is_not_called_inferred() -> None:
    trace = record_code(FIXTURES / "class_rows.py", loss="bce", reduction="sum")
    assert trace.scenario.loss == "bce" and "inferred" not in trace.scenario.description
    assert trace.error_count() > 0  # judged under the loss the learner declared, not the one that fits


def test_a_script_that_raises_before_any_output_says_no_loss_was_inferred(tmp_path: Path) -> None:
    program = tmp_path / "raises.py"
    program.write_text("import numpy as np\nW1 = np.ones((3, 2))\nraise ValueError('stop')\n")
    trace = record_code(program)
    assert [f.id for f in trace.findings] == ["exception"]
    assert "No loss could be inferred" in trace.scenario.description
    assert "loss_inferred" not in trace.scenario.notes  # nothing was inferred: the TUI must not say so
    # Readers show that in place of the loss (half_sse, kept for the exports' sake), which judged nothing.
    assert trace.scenario.notes["loss_unknown"].startswith("No loss could be inferred")
    from rich.console import Console

    from bptrace.report import render

    console = Console(width=100, record=True)
    render(trace, console)
    header = console.export_text().splitlines()[0]
    assert "no loss inferred" in header and "half_sse" not in header


CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize(
    ("stem", "plant"),
    [("nielsen_lists", "transpose"), ("nielsen_lists", "derivative-on-activation"),
     ("other_lists", "derivative-on-preactivation")],
)
def test_with_a_mistake_and_no_loss_computed_the_mistake_is_named_not_the_guessed_loss(
        tmp_path: Path, stem: str, plant: str) -> None:
    """No loss fits a wrong gradient exactly. A loss under which the mistake has a name beats one under which
    the output delta merely 'does not fit the loss' (which, for a guessed loss, blames the learner for the guess):
    the tie went to bce, the first in order, and a correct line was flagged loss-output-mismatch."""
    import tomllib

    source = CORPUS / f"{stem}.py"
    spec = next(p for p in tomllib.loads((CORPUS / f"{stem}.plants.toml").read_text())["plant"] if p["id"] == plant)
    text = source.read_text()
    assert text.count(spec["old"]) == 1
    program = tmp_path / source.name
    program.write_text(text.replace(spec["old"], spec["new"]))
    planted_line = text[: text.index(spec["old"])].count("\n") + 1
    trace = record_code(program)
    assert "none fits exactly" in trace.scenario.description
    errors = [(f.id, f.line) for f in trace.findings if f.severity == "error"]
    assert errors == [(plant, planted_line)], errors
