"""Property tests: whatever the scenario, bptrace gives a trace whose gradients match
finite differences, or a clean exit-2 message; random bytes are refused cleanly."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from bptrace.cli import main
from bptrace.errors import BadInput
from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.recorder import record
from bptrace.scenario import load_scenario
from tests.oracle import finite_difference_gradients, loss_value

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

finite = st.floats(min_value=-3, max_value=3, allow_nan=False, allow_infinity=False)
extreme = st.one_of(finite, st.sampled_from([0.0, 1e-300, -1e-300, 1e6, -1e6, 1e300, -1e300]))


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value == math.inf else "-inf" if value == -math.inf else repr(value))
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def to_toml(doc: dict[str, object]) -> str:
    lines = [f"{k} = {toml_value(v)}" for k, v in doc.items() if not isinstance(v, dict)]
    for section, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {toml_value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


@st.composite
def scenario_docs(draw: st.DrawFn) -> dict[str, object]:
    """Mostly valid scenarios; about a third carry one deliberate defect."""
    defect = draw(st.sampled_from([None] * 12 + ["layout", "inputs", "units", "activation", "loss", "shape", "mix"]))
    layout = "diagonal" if defect == "layout" else draw(st.sampled_from(["columns", "rows"]))
    inputs = 0 if defect == "inputs" else draw(st.integers(1, 3))
    units = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    if defect == "units":
        units[0] = 0
    loss = "hinge" if defect == "loss" else draw(st.sampled_from(list(LOSSES)))
    hidden_names = [a for a in ACTIVATIONS if a != "softmax"]
    activations = [draw(st.sampled_from(hidden_names)) for _ in units]
    activations[-1] = {"bce": "sigmoid", "cross_entropy": "softmax"}.get(loss, activations[-1])
    if loss == "cross_entropy":
        units[-1] = max(units[-1], 2)
    if defect == "activation":
        activations[0] = "sigmoidd"
    if defect == "mix":  # softmax in a hidden layer, or cross-entropy without softmax
        activations[-1] = "tanh"
        loss = "cross_entropy"
    samples = draw(st.integers(1, 3))
    values = extreme if draw(st.booleans()) else finite

    def matrix(rows: int, cols: int) -> list[list[float]]:
        return [[draw(values) for _ in range(cols)] for _ in range(rows)]

    skew = 1 if defect == "shape" else 0
    outputs = units[-1]
    if layout == "rows":
        X, Y = matrix(samples, inputs + skew), matrix(samples, outputs)
    else:
        X, Y = matrix(inputs + skew, samples), matrix(outputs, samples)
    if loss in ("bce", "cross_entropy"):
        Y = [[min(abs(v), 1.0) for v in row] for row in Y]
    return {
        "format": 1,
        "name": "property",
        "network": {
            "layout": layout,
            "inputs": inputs,
            "layers": [{"units": u, "activation": a} for u, a in zip(units, activations, strict=True)],
            "loss": loss,
            "reduction": draw(st.sampled_from(["sum", "mean"])),
        },
        "data": {"X": X, "Y": Y},
        "init": {"seed": draw(st.integers(0, 1000))},
        "train": {"learning_rate": draw(st.sampled_from([0.01, 0.1, 1.0])), "steps": draw(st.integers(1, 2))},
    }


@SETTINGS
@given(doc=scenario_docs())
def test_random_scenarios_give_a_checked_trace_or_a_clean_error(tmp_path_factory, doc) -> None:
    path = Path(tmp_path_factory.mktemp("s")) / "s.toml"
    path.write_text(to_toml(doc))
    try:
        scenario = load_scenario(path)
    except BadInput as error:
        assert str(error).startswith(str(path))
        event("refused: bad input")
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the recorder must not leak numpy warnings either
        trace = record(scenario)
    assert len(trace.losses) == scenario.steps
    ok = math.isfinite(trace.losses[0]) and all(np.all(np.isfinite(g)) for g in trace.gradients[0].values())
    if not ok:
        assert any(f.id == "non-finite" for f in trace.findings)
        event("recorded: non-finite finding")
        return
    params = scenario.parameters
    big = max(float(np.max(np.abs(v))) for v in (*params.values(), scenario.X, scenario.Y))
    assume(big < 100)  # finite differences lose every digit when L is huge (Y = 1e6 gives L ≈ 5e11)
    z_values = [np.min(np.abs(s.value)) for s in trace.steps if s.op == "affine" and s.train_step == 0]
    assume(min(z_values) > 1e-4)  # away from relu kinks
    activations = [layer.activation for layer in scenario.layers]
    f = lambda p: loss_value(p, scenario.X, scenario.Y, activations, scenario.loss, scenario.reduction, scenario.layout)
    with np.errstate(all="ignore"):
        expected = finite_difference_gradients(params, f)
    for name, grad in expected.items():
        np.testing.assert_allclose(trace.gradients[0][name], grad, rtol=1e-4, atol=1e-6)
    event("recorded: gradients checked")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=st.binary(max_size=300), suffix=st.sampled_from([".toml", ".json"]))
def test_random_bytes_are_refused_cleanly(
    tmp_path_factory, capsys: pytest.CaptureFixture[str], blob: bytes, suffix: str
) -> None:
    folder = Path(tmp_path_factory.mktemp("b"))
    source = folder / f"input{suffix}"
    source.write_bytes(blob)
    out = folder / "out.json"
    assert main(["export", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"bptrace: error: {source}")
    assert not out.exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_random_text_as_a_trace_is_refused_cleanly(
    tmp_path_factory, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    folder = Path(tmp_path_factory.mktemp("t"))
    source = folder / "trace.json"
    source.write_text(json.dumps({"format": "bptrace-trace", "version": 1, "scenario": text, "steps": [text]}))
    assert main(["export", str(source), "-o", str(folder / "out.json")]) == 2
    assert capsys.readouterr().err.startswith(f"bptrace: error: {source}")


def notebook_of(cells: list[str]) -> str:
    return json.dumps({"cells": [{"cell_type": "code", "source": c} for c in cells], "nbformat": 4})


code_blobs = st.one_of(
    st.tuples(st.binary(max_size=300), st.just(".py")),
    st.tuples(st.text(max_size=120).map(str.encode), st.just(".py")),
    st.tuples(st.binary(max_size=300), st.just(".ipynb")),
    st.tuples(st.lists(st.text(max_size=40), max_size=3).map(notebook_of).map(str.encode), st.just(".ipynb")),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(blob=code_blobs)
def test_random_bytes_as_code_are_refused_cleanly(tmp_path_factory, capsys: pytest.CaptureFixture[str],
                                                  blob: tuple[bytes, str]) -> None:
    """Garbage is exit 2 with the file named; garbage that happens to be Python and raises is the
    debugger's job (exit 1, an exception finding); garbage that is Python and runs has no network in it
    (exit 3, cannot analyse). Never a traceback, never a half-written file."""
    data, suffix = blob
    folder = Path(tmp_path_factory.mktemp("c"))
    source = folder / f"impl{suffix}"
    source.write_bytes(data)
    out = folder / "out.json"
    code = main(["export", str(source), "--loss", "bce", "-o", str(out)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code == 2:
        event("refused")
        assert err.startswith(f"bptrace: error: {source}"), err
        assert not out.exists()
    elif code == 3:
        event("ran, nothing to analyse")
        assert err.startswith(f"bptrace: {source}: cannot analyse"), err
        assert not out.exists()
    else:
        event("ran and raised")
        assert code == 1, err
        assert "exception" in {f["id"] for f in json.loads(out.read_text())["findings"]}
