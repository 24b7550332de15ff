"""Class 4: traces that are valid JSON of the right types but inconsistent inside.

A hypothesis strategy mutates real traces (a reference recording and a code-mode one) so they
stay schema-valid (every key present, every value of its JSON type) but break the invariants
readers rely on: indices, training steps, shapes, dimensions, names, meta. ``run``, ``export``
(JSON, Markdown, HTML) and ``replay`` (the TUI under Pilot) must each end with exit 0, 1 or 2,
never a traceback; exit 2 writes no file.
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bptrace import symbolic
from bptrace.bundled import SCENARIO_DIR
from bptrace.cli import main
from bptrace.errors import BadInput
from bptrace.export.json_format import dumps, load_trace
from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.recorder import record
from bptrace.scenario import load_scenario
from tests.hostile.conftest import memory_cap
from tests.tui.conftest import code_trace

OPS = ("affine", "sigmoid", "relu", "softmax", "loss_grad", "activation_grad", "weight_grad", "bias_grad",
       "input_grad", "sgd", "matmul", "bce")
NAMES = ("W1", "b1", "A1", "Z1", "X", "Y", "dZ1", "∂L/∂Z1", "W1ᵀ", "A0ᵀ", "nope", "")


@cache
def base_traces() -> tuple[dict[str, Any], ...]:
    reference = record(load_scenario(SCENARIO_DIR / "seed1_relu_sigmoid.toml"), 2)
    return tuple(json.loads(dumps(symbolic.with_formulas(t))) for t in (reference, code_trace()))


numbers = st.one_of(st.integers(-3, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=32),
                    st.sampled_from(["nan", "inf", "-inf"]))
arrays = st.recursive(numbers, lambda inner: st.lists(inner, min_size=0, max_size=3), max_leaves=12)
integers = st.one_of(st.integers(-2, 5), st.integers(-(10**15), 10**15), st.just(1e999), st.just(2.5))


@st.composite
def mutations(draw: st.DrawFn) -> tuple[int, list[tuple[str, Any]]]:
    """Which base trace, and a few (what, value) edits to make to it."""
    edits = st.one_of(
        st.tuples(st.just("index"), integers), st.tuples(st.just("train_step"), integers),
        st.tuples(st.just("value"), arrays), st.tuples(st.just("shape"), st.lists(integers, max_size=4)),
        st.tuples(st.just("formula"), st.none()), st.tuples(st.just("op"), st.sampled_from(OPS)),
        st.tuples(st.just("inputs"), st.lists(st.sampled_from(NAMES), max_size=4)),
        st.tuples(st.just("layer"), st.one_of(integers, st.sampled_from(["1", None]))),
        st.tuples(st.just("activation"), st.sampled_from([*ACTIVATIONS, "bogus", 3])),
        st.tuples(st.just("term_name"), st.sampled_from(NAMES)), st.tuples(st.just("term_value"), arrays),
        st.tuples(st.just("drop_terms"), st.none()), st.tuples(st.just("loss"), st.sampled_from([*LOSSES, "hinge"])),
        st.tuples(st.just("layers"), st.lists(st.tuples(integers, st.sampled_from(["relu", "", "x"])), max_size=3)),
        st.tuples(st.just("finding_step"), integers), st.tuples(st.just("losses"), st.integers(0, 3)),
        st.tuples(st.just("parameter"), arrays), st.tuples(st.just("learning_rate"), numbers),
        st.tuples(st.just("phase"), st.sampled_from(["forward", "loss", "backward", "update"])),
    )
    return draw(st.integers(0, 1)), draw(st.lists(st.tuples(edits, st.integers(0, 10**6)), min_size=1, max_size=4))


def mutate(doc: dict[str, Any], edits: list[tuple[tuple[str, Any], int]]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for (what, value), at in edits:
        step = doc["steps"][at % len(doc["steps"])]
        if what in ("index", "train_step", "value", "shape", "formula", "op", "inputs", "phase"):
            step[what] = value
        elif what in ("layer", "activation", "learning_rate"):
            step["meta"][what] = value
        elif what in ("term_name", "term_value") and step["terms"]:
            step["terms"][at % len(step["terms"])][what.removeprefix("term_")] = value
        elif what == "drop_terms":
            step["terms"] = []
        elif what == "loss":
            doc["scenario"]["loss"] = value
        elif what == "layers":
            doc["scenario"]["layers"] = [list(pair) for pair in value]
        elif what == "finding_step" and doc["findings"]:
            doc["findings"][at % len(doc["findings"])]["step"] = value
        elif what == "losses":
            doc["losses"] = doc["losses"][:value]
        elif what == "parameter" and doc["parameters"]:
            doc["parameters"][sorted(doc["parameters"])[at % len(doc["parameters"])]] = value
    return doc


def _write(doc: dict[str, Any], folder: Path) -> Path:
    path = folder / "trace.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


async def _replay(path: Path) -> None:
    from bptrace.tui.app import BptraceApp

    try:
        trace = load_trace(path)
    except BadInput:
        return  # replay's exit 2
    app = BptraceApp(trace)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n", "s", "right", "f", "end", "p", "c", "d")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(mutations())
def test_inconsistent_traces_end_in_0_1_or_2_without_a_traceback(capsys: pytest.CaptureFixture[str], case) -> None:
    which, edits = case
    with tempfile.TemporaryDirectory() as folder, memory_cap():
        path = _write(mutate(base_traces()[which], edits), Path(folder))
        codes = {main(["run", str(path)])}
        for suffix in (".md", ".html", ".json"):
            out = Path(folder) / f"out{suffix}"
            code = main(["export", str(path), "-o", str(out), "--detail", "all"])
            codes.add(code)
            assert code != 2 or not out.exists()
        assert codes <= {0, 1, 2}
        assert len(codes - {2}) <= 1 and (codes == {2} or 2 not in codes)  # bad input is bad for every command
        asyncio.run(_replay(path))
    err = capsys.readouterr().err
    assert "Traceback" not in err


KNOWN = [  # the cases the issue reproduced, each by the key path it must name
    ("affine-null-formula-one-input", lambda d: d["steps"][0].update(formula=None, inputs=["W1"]), "steps[0].inputs"),
    ("unknown-loss", lambda d: d["scenario"].update(loss="hinge"), "scenario.loss"),
    ("huge-integer", lambda d: d["scenario"]["layers"][1].__setitem__(0, 1e999), "scenario.layers[1][0]"),
    ("affine-shapes-disagree", lambda d: (d["steps"][0].update(formula=None),
                                          d["steps"][0]["terms"][0].update(value=[[1.0]], shape=[1, 1])),
     "steps[0].formula"),
    ("non-integer-layer", lambda d: d["steps"][7]["meta"].update(layer="1"), "steps[7].meta.layer"),
    ("index-mismatch", lambda d: d["steps"][3].update(index=4), "steps[3].index"),
    ("train-step-huge", lambda d: d["steps"][-1].update(train_step=10**15), "train_step"),
    ("empty-value-huge-shape", lambda d: d["steps"][1].update(value=[], shape=[0, 10**12]), "steps[1].shape"),
    ("finding-on-no-step", lambda d: d["findings"].append(
        {"id": "x", "severity": "error", "step": 999, "file": None, "line": None, "message": "m"}), "findings[0].step"),
]


@pytest.mark.parametrize(("edit", "where"), [k[1:] for k in KNOWN], ids=[k[0] for k in KNOWN])
def test_each_reproduced_case_is_exit_2_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edit, where
) -> None:
    doc = copy.deepcopy(base_traces()[0])
    edit(doc)
    path = _write(doc, tmp_path)
    # replay last: were the trace accepted, it would open the TUI; run fails first instead
    for command in (["run", str(path)], ["export", str(path), "-o", str(tmp_path / "o.md"), "--detail", "all"],
                    ["replay", str(path)]):
        with memory_cap():
            assert main(command) == 2, command
        message = capsys.readouterr().err.strip()
        assert message.startswith(f"bptrace: error: {path}: ") and where in message, message
        assert len(message.splitlines()) == 1
    assert not (tmp_path / "o.md").exists()


def test_a_hundred_thousand_levels_of_nesting_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"format": "bptrace-trace", "version": 1, "steps": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with memory_cap():
        assert main(["run", str(path)]) == 2
    assert "nested too deeply" in capsys.readouterr().err


def test_a_code_mode_trace_with_a_3d_value_goes_through_every_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The "3-D value" traceback: code mode records any NumPy value, so the readers show it
    # (rows by the first axis, as the TUI does) instead of the loader refusing what bptrace wrote.
    doc = copy.deepcopy(base_traces()[1])
    doc["steps"][1].update(value=[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]], shape=[2, 2, 2])
    path = _write(doc, tmp_path)
    with memory_cap():
        assert main(["run", str(path)]) in (0, 1)
        for suffix in (".md", ".html", ".json"):
            assert main(["export", str(path), "-o", str(tmp_path / f"o{suffix}"), "--detail", "all"]) in (0, 1)
        asyncio.run(_replay(path))
    assert load_trace(tmp_path / "o.json").steps[1].value.shape == (2, 2, 2)
    assert "Traceback" not in capsys.readouterr().err
