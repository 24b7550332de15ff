"""Python lists used as data (np.dot(W1, X), A2 - Y with X, Y lists): recorded as leaves (pylists.py)."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np

from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file
from bptrace.codetrace.runtime import Const
from bptrace.codetrace.structure import Structure

_LISTS = """\
import numpy as np
np.random.seed(2)
X = [[0, 0, 1, 1],
     [0, 1, 0, 1]]
Y = [[0, 1, 1, 0]]
W1 = np.random.randn(3, 2)
W2 = np.random.randn(1, 3)
for i in range(3):
    A1 = np.tanh(np.dot(W1, X))
    A2 = 1 / (1 + np.exp(-W2.dot(A1)))
    dZ2 = (A2 - Y) / 4
    dW2 = np.dot(dZ2, A1.T)
    dZ1 = np.dot(W2.T, dZ2) * (1 - A1 ** 2)
    dW1 = np.dot(dZ1, np.transpose(X))
    W2 = W2 - 1.5 * dW2
    W1 = W1 - 1.5 * dW1
"""


def test_lists_met_by_numpy_ops_are_recorded_as_data(tmp_path: Path) -> None:
    path = tmp_path / "lists.py"
    path.write_text(_LISTS, encoding="utf-8")
    run = run_file(path, seed=0)
    nodes = run.recorder.nodes
    leaves = {n.best[1]: n for n in nodes if n.op == "leaf" and n.best is not None}
    assert set(leaves) == {"X", "Y"}
    np.testing.assert_array_equal(leaves["X"].value, np.asarray([[0, 0, 1, 1], [0, 1, 0, 1]]))
    # The same list, unchanged, is one leaf for every use: np.dot(W1, X) and np.transpose(X) in every step.
    assert sum(1 for n in nodes if n.op == "leaf" and n.names == ["X"]) == 1
    structure = Structure(nodes, [])
    assert len(structure.steps) == 3
    assert all(nodes[s.target].best == (0, "Y") for s in structure.steps)
    plain = runpy.run_path(str(path), run_name="__main__")
    for key in ("W1", "W2", "A2"):
        np.testing.assert_array_equal(run.namespace[key], plain[key])
        assert run.namespace[key].dtype == plain[key].dtype


def test_lists_with_data_check_clean_and_a_plant_is_named(tmp_path: Path) -> None:
    path = tmp_path / "lists.py"
    path.write_text(_LISTS, encoding="utf-8")
    trace = record_code(path, loss="bce", reduction="mean")
    assert [f.id for f in trace.findings if f.severity == "error"] == []
    path.write_text(_LISTS.replace("W2 = W2 - 1.5 * dW2", "W2 = W2 + 1.5 * dW2"), encoding="utf-8")
    trace = record_code(path, loss="bce", reduction="mean")
    assert ("update-sign", 15) in [(f.id, f.line) for f in trace.findings]


def test_a_list_changed_between_uses_is_a_new_leaf(tmp_path: Path) -> None:
    path = tmp_path / "grow.py"
    path.write_text("import numpy as np\nW = np.ones((1, 2))\nY = [[1.0, 2.0]]\na = W - Y\nY[0][1] = 5.0\nb = W - Y\n")
    run = run_file(path, seed=0)
    values = [n.value.tolist() for n in run.recorder.nodes if n.op == "leaf" and n.names == ["Y"]]
    assert values == [[[1.0, 2.0]], [[1.0, 5.0]]]
    assert run.namespace["b"].tolist() == [[0.0, -4.0]]


def test_lists_that_are_not_data_stay_python_values(tmp_path: Path) -> None:
    """Shapes, axes and Python's own list operators are left alone; a list of arrays keeps its arrays."""
    path = tmp_path / "keep.py"
    path.write_text(
        "import numpy as np\nA = np.arange(6.0)\nB = np.reshape(A, [2, 3])\nC = np.transpose(B, [1, 0])\n"
        "L = [1, 2] * 2\nM = [1] + [2]\nD = np.concatenate([A, A])\nE = np.sum(B, axis=0) - [1.0, 1.0, 1.0]\n")
    run = run_file(path, seed=0)
    assert run.raised is None
    assert run.namespace["L"] == [1, 2, 1, 2] and run.namespace["M"] == [1, 2]
    nodes = run.recorder.nodes
    reshape = next(n for n in nodes if n.op == "reshape")
    assert reshape.parents[1] == Const([2, 3])
    transpose = next(n for n in nodes if n.op == "transpose")
    assert transpose.parents[1] == Const([1, 0])
    concatenate = next(n for n in nodes if n.op == "concatenate")
    assert isinstance(concatenate.parents[0], Const)  # a list of arrays: not data of its own
    leaves = [n for n in nodes if n.op == "leaf"]
    assert [n.value.tolist() for n in leaves if n.value.ndim == 1 and n.value.size == 3] == [[1.0, 1.0, 1.0]]


def test_a_name_rebound_to_new_lists_keeps_only_its_latest_list(tmp_path: Path) -> None:
    """A per-sample loop that rebinds `x = [...]` must not keep every sample's list alive."""
    path = tmp_path / "samples.py"
    path.write_text("import numpy as np\nW = np.ones((2, 3))\nfor i in range(50):\n"
                    "    x = [float(i), 1.0, 2.0]\n    h = np.dot(W, x)\n")
    run = run_file(path, seed=0)
    lists = run.recorder.lists
    assert len(lists.names) == 1
    leaves = [n for n in run.recorder.nodes if n.op == "leaf" and n.names == ["x"]]
    assert [n.value[0] for n in leaves] == [float(i) for i in range(50)]
