"""Correct programs written in other common styles: no error finding (a false alarm is as bad as a miss)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bptrace.codetrace import record_code

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize(
    ("name", "loss", "reduction", "train_steps", "warnings"),
    [
        ("eleven_lines.py", "half_sse", "sum", 3, {"implicit-learning-rate"}),
        ("masked_relu_rebind.py", "bce", "mean", 2, set()),
        ("functions_columns.py", "bce", "mean", 3, set()),
        ("class_rows.py", "half_sse", "sum", 2, {"implicit-learning-rate"}),
        ("dict_params_minibatch.py", "mse", "mean", 4, set()),
        ("cache_dicts.py", "bce", "mean", 3, set()),
        ("dropout_columns.py", "bce", "mean", 2, set()),
        ("softmax_columns.py", "cross_entropy", "mean", 2, set()),
    ],
)
def test_correct_program_has_no_error(
    name: str, loss: str, reduction: str, train_steps: int, warnings: set[str]
) -> None:
    trace = record_code(FIXTURES / name, loss=loss, reduction=reduction)
    assert trace.train_steps == train_steps
    assert trace.error_count() == 0, [(f.id, f.line, f.message) for f in trace.findings]
    assert {f.id for f in trace.findings} == warnings
    expected = {"W1", "W2"} if name == "eleven_lines.py" else {"W1", "b1", "W2", "b2"}  # that one has no biases
    assert all(set(g) == expected for g in trace.reference_gradients)


def test_wrong_declared_loss_is_not_silently_accepted() -> None:
    """The same correct code judged under a loss it does not implement: the output delta is named."""
    trace = record_code(FIXTURES / "masked_relu_rebind.py", loss="half_sse", reduction="mean")
    assert {f.id for f in trace.findings if f.severity == "error"} == {"loss-output-mismatch"}


def test_implicit_learning_rate_is_also_a_reference_mode_warning() -> None:
    from bptrace.sources import trace_from_source

    root = FIXTURES.parents[1] / "scenarios"
    rows = trace_from_source(root / "seed2_sigmoid_rows.toml")  # learning_rate = 1.0
    assert [f.id for f in rows.findings] == ["implicit-learning-rate"]
    columns = trace_from_source(root / "seed1_relu_sigmoid.toml")  # learning_rate = 0.1
    assert "implicit-learning-rate" not in {f.id for f in columns.findings}


def test_passing_the_activation_as_the_cache_is_named(tmp_path: Path) -> None:
    text = (FIXTURES / "cache_dicts.py").read_text()
    line = text.splitlines().index("    dZ2 = sigmoid_backward(dA2, c2)") + 1
    buggy = tmp_path / "buggy.py"
    buggy.write_text(text.replace("dZ2 = sigmoid_backward(dA2, c2)", "dZ2 = sigmoid_backward(dA2, A2)"))
    trace = record_code(buggy, loss="bce", reduction="mean")
    errors = [(f.id, f.line) for f in trace.findings if f.severity == "error"]
    assert errors == [("derivative-on-activation", line)]
    assert "x = A2, an activation" in trace.findings[0].message


def test_an_extra_derivative_after_softmax_is_a_loss_output_mismatch(tmp_path: Path) -> None:
    text = (FIXTURES / "softmax_columns.py").read_text()
    line = text.splitlines().index("    dZ2 = (A2 - Y) / m") + 1
    buggy = tmp_path / "buggy.py"
    buggy.write_text(text.replace("dZ2 = (A2 - Y) / m", "dZ2 = (A2 - Y) * A2 * (1 - A2) / m"))
    trace = record_code(buggy, loss="cross_entropy", reduction="mean")
    assert [(f.id, f.line) for f in trace.findings if f.severity == "error"] == [("loss-output-mismatch", line)]
    assert "∂L/∂Z2" in trace.findings[0].message
