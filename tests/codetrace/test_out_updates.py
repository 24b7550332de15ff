"""Recording `out=` updates: np.add(W, -lr*dW, out=W) is an update of W, like W -= lr*dW."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file
from bptrace.codetrace.structure import Structure

# A 2-3-1 sigmoid network, rows layout, mean bce; {update} is the update block, {steps} the loop length.
_PROGRAM = """\
import numpy as np
np.random.seed(3)
X = np.random.randn(8, 2)
Y = (X[:, :1] > 0).astype(float)
W1 = np.random.randn(2, 3) * 0.5
W2 = np.random.randn(3, 1) * 0.5
lr = 0.5
for step in range({steps}):
    A1 = 1 / (1 + np.exp(-(X @ W1)))
    A2 = 1 / (1 + np.exp(-(A1 @ W2)))
    dZ2 = (A2 - Y) / 8
    dW2 = A1.T @ dZ2
    dZ1 = dZ2 @ W2.T * A1 * (1 - A1)
    dW1 = X.T @ dZ1
{update}
"""
_OUT = "    np.add(W1, -lr * dW1, out=W1)\n    np.subtract(W2, lr * dW2, out=W2)\n"


def _write(tmp_path: Path, update: str = _OUT, steps: int = 4, name: str = "impl.py") -> Path:
    path = tmp_path / name
    path.write_text(_PROGRAM.format(update=update, steps=steps), encoding="utf-8")
    return path


def test_an_out_update_is_recorded_in_place_with_the_old_version_first(tmp_path: Path) -> None:
    run = run_file(_write(tmp_path, steps=1), seed=0)
    nodes = run.recorder.nodes
    updates = [n for n in nodes if n.inplace]
    assert [n.op for n in updates] == ["add", "subtract"]
    w1_old = updates[0].parents[0]
    assert isinstance(w1_old, int)
    assert nodes[w1_old].op == "multiply"  # W1 = randn(2, 3) * 0.5, the version the update replaced
    np.testing.assert_array_equal(nodes[updates[0].index].value, run.namespace["W1"])
    # The old version keeps its numbers although the array changed in place: old + step is the new one.
    step = updates[0].parents[1]
    assert isinstance(step, int)
    np.testing.assert_array_equal(nodes[w1_old].value + nodes[step].value, run.namespace["W1"])
    assert not np.array_equal(nodes[w1_old].value, run.namespace["W1"])


@pytest.mark.parametrize(("update", "sign", "rate"), [
    ("    np.add(W1, -lr * dW1, out=W1)\n    np.add(W2, -lr * dW2, out=W2)\n", 1, -0.5),
    ("    np.add(-lr * dW1, W1, out=W1)\n    np.add(-lr * dW2, W2, out=W2)\n", 1, -0.5),  # out= the second operand
    ("    np.subtract(W1, lr * dW1, out=W1)\n    np.subtract(W2, lr * dW2, out=(W2,))\n", -1, 0.5),
])
def test_structure_finds_out_updates_like_in_place_ones(tmp_path: Path, update: str, sign: int, rate: float) -> None:
    run = run_file(_write(tmp_path, update, steps=3), seed=0)
    structure = Structure(run.recorder.nodes, [])
    assert len(structure.steps) == 3
    assert [(u.sign, u.learning_rate) for u in structure.updates] == [(sign, rate)] * 6
    names = {run.recorder.nodes[u.gradient].best[1] for u in structure.updates if u.gradient is not None}
    assert names == {"dW1", "dW2"}


def test_out_into_the_second_operand_of_a_subtraction_is_not_an_update(tmp_path: Path) -> None:
    """np.subtract(s, W, out=W) is s − W: a new version of W, not W moved by a step."""
    run = run_file(_write(tmp_path, "    np.subtract(lr * dW1, W1, out=W1)\n", steps=1), seed=0)
    made = next(n for n in run.recorder.nodes if n.op == "subtract" and n.site >= 0
                and run.recorder.sites[n.site].text.startswith("np.subtract"))
    assert not made.inplace
    assert Structure(run.recorder.nodes, []).updates == []


@pytest.mark.parametrize("update", [_OUT, "    W1 -= lr * dW1\n    W2 -= lr * dW2\n"])
def test_out_updates_check_clean_and_a_flipped_sign_is_named_at_its_line(tmp_path: Path, update: str) -> None:
    trace = record_code(_write(tmp_path, update), loss="bce", reduction="mean")
    assert [f.id for f in trace.findings if f.severity == "error"] == []
    assert trace.train_steps == 4
    if "out=" in update:
        assert {s.target for s in trace.steps if s.phase == "update"} >= {"W1", "W2"}
    flipped = update.replace("np.add(W1, -lr * dW1", "np.add(W1, lr * dW1").replace("W1 -= ", "W1 += ")
    trace = record_code(_write(tmp_path, flipped), loss="bce", reduction="mean")
    line = 1 + _PROGRAM.format(update=flipped, steps=4).splitlines().index(flipped.splitlines()[0])
    assert ("update-sign", "impl.py", line) in [(f.id, f.file, f.line) for f in trace.findings]


def test_recording_out_updates_stops_after_the_step_limit(tmp_path: Path) -> None:
    """Analysis stays linear: past the recorded steps the loop runs unrecorded, and is only counted."""
    short = run_file(_write(tmp_path, steps=12, name="short.py"), seed=0, steps=3)
    long = run_file(_write(tmp_path, steps=60, name="long.py"), seed=0, steps=3)
    assert len(short.recorder.nodes) == len(long.recorder.nodes)
    assert (short.total_steps, long.total_steps) == (12, 60)
    plain = runpy.run_path(str(tmp_path / "long.py"), run_name="__main__")
    np.testing.assert_array_equal(long.namespace["W1"], plain["W1"])
