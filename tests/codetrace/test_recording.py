"""Every NumPy operation of the learner's code is a step with its op, the name it is bound to and its line."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _steps(trace):  # type: ignore[no-untyped-def]
    return {(s.target, s.source.line if s.source else None): s for s in trace.steps}


def test_operation_catalogue_is_recorded_with_targets_and_lines() -> None:
    trace = record_code(FIXTURES / "op_catalogue.py", loss="half_sse", check=False)
    steps = _steps(trace)
    expected = [
        ("X", 3, "array"), ("W", 4, "random.randn"), ("b", 5, "zeros"), ("np.dot(W, X.T)", 6, "dot"),
        ("X.T", 6, "transpose"), ("Z", 6, "add"), ("P", 7, "matmul"), ("T", 8, "transpose"),
        ("S0", 9, "sum"), ("S1", 10, "sum"), ("M", 11, "mean"), ("R", 12, "maximum"), ("Z > 0", 13, "greater"),
        ("D", 13, "where"), ("-Z", 14, "negative"), ("E", 14, "exp"), ("L", 15, "log"), ("H", 16, "tanh"),
        ("Z ** 2", 17, "power"), ("Q", 17, "add"), ("self.w", 22, "ones"), ("box.w", 26, "subtract"),
        ("W", 27, "subtract"), ("W", 28, "setitem"), ("K", 29, "sum"),
    ]
    for target, line, op in expected:
        assert (target, line) in steps, (target, line, sorted(k for k in steps if k[1] == line))
        assert steps[(target, line)].op == op, (target, steps[(target, line)].op)
    s1 = steps[("S1", 10)]
    assert s1.value.shape == (3, 1) and steps[("S0", 9)].value.shape == (2,)
    # integer inputs keep their values; in-place updates keep the version before them intact
    assert steps[("X", 3)].value.dtype.kind == "i"
    w0 = steps[("W", 4)].value
    w1 = steps[("W", 27)].value
    np.testing.assert_array_equal(w1, w0 - 0.1 * w0)
    assert steps[("box.w", 26)].value.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert next(s for s in trace.steps if s.target == "self.w").value.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_recorded_run_is_bit_identical_to_a_plain_run() -> None:
    for name in ("functions_columns.py", "class_rows.py", "op_catalogue.py"):
        np.random.seed(0)  # noqa: NPY002 - the same global seed code mode uses
        plain = runpy.run_path(str(FIXTURES / name), run_name="__main__")
        traced = run_file(FIXTURES / name, seed=0)
        arrays = [k for k, v in plain.items() if isinstance(v, np.ndarray)]
        assert arrays
        for key in arrays:
            np.testing.assert_array_equal(traced.namespace[key], plain[key], err_msg=f"{name}: {key}")
            assert traced.namespace[key].dtype == plain[key].dtype


def test_notebook_cells_run_in_order_with_magics_neutralised() -> None:
    trace = record_code(FIXTURES / "functions_columns.ipynb", loss="bce", reduction="sum")
    files = {s.source.file for s in trace.steps if s.source}
    assert "functions_columns.ipynb#cell8" in files
    dz2 = next(s for s in trace.steps if s.target == "dZ2")
    assert (dz2.source.file, dz2.source.line) == ("functions_columns.ipynb#cell8", 2)
    assert trace.error_count() == 0


def test_out_arguments_make_a_new_version(tmp_path: Path) -> None:
    program = tmp_path / "out.py"
    program.write_text(
        "import numpy as np\nZ = np.array([[-1.0, 2.0], [3.0, -4.0]])\nnp.maximum(Z, 0, out=Z)\nS = Z * 2\n"
    )
    trace = record_code(program, loss="half_sse", check=False)
    z = next(s for s in trace.steps if s.target == "Z")
    assert z.value.tolist() == [[-1.0, 2.0], [3.0, -4.0]]  # the version before the in-place op keeps its numbers
    new = next(s for s in trace.steps if s.op == "maximum")
    assert new.value.tolist() == [[0.0, 2.0], [3.0, 0.0]] and new.source is not None and new.source.line == 3
    assert next(s for s in trace.steps if s.target == "S").inputs[0] == new.target


def test_a_finished_recording_lets_go_of_its_nodes_without_the_garbage_collector() -> None:
    """The hooks stay in the script's namespace, a reference cycle: the recorded arrays must not wait for a
    collection (repeated runs in one process would take fresh memory each time)."""
    from bptrace.codetrace.runtime import Node

    def alive() -> int:
        return sum(1 for obj in gc.get_objects() if type(obj) is Node)

    gc.collect()
    gc.disable()
    try:
        before = alive()
        trace = record_code(FIXTURES / "functions_columns.py", loss="half_sse")
        assert trace.steps and alive() == before  # nothing the analysis made is left holding them
        del trace
        assert alive() == before
    finally:
        gc.enable()


def test_kept_copies_know_whether_they_are_finite(tmp_path: Path) -> None:
    """The recorder reads each snapshot's finiteness as it copies it, so the non-finite check skips the copies
    it found finite: a NaN written into a parameter between updates is still the first non-finite array."""
    script = tmp_path / "nan_between_updates.py"
    script.write_text(
        "import numpy as np\n\nW = np.ones((2, 3))\nX = np.ones((3, 4))\nY = np.zeros((2, 4))\n"
        "for step in range(3):\n    A = W @ X\n    dA = A - Y\n    dW = dA @ X.T\n    W -= 0.1 * dW\n"
        "    if step == 0:\n        W[0, 0] = np.nan\n"
    )
    nodes = run_file(script, seed=0).recorder.nodes
    for node in nodes:
        if node.finite is not None:
            assert node.finite is True and np.isfinite(node.value).all(), node
    assert any(n.finite for n in nodes if n.inplace)  # the first update's version was checked while copied
    nan_versions = [n for n in nodes if n.inplace and np.isnan(np.asarray(n.value, dtype=float)).any()]
    assert nan_versions and all(n.finite is None for n in nan_versions)
    trace = record_code(script, loss="half_sse", check=False)
    found = [(f.id, f.line) for f in trace.findings if f.id == "non-finite"]
    assert found == [("non-finite", 12)], trace.findings


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the diverging script's own overflow
def test_arrays_marked_finite_are_finite(tmp_path: Path) -> None:
    """What the recorder and the gradient check mark as all finite (so the non-finite check skips it) is, for a
    run whose gradients are right and for one whose weights overflow to inf and NaN."""
    from bptrace.codetrace import analyse

    diverging = tmp_path / "diverging.py"
    diverging.write_text(
        "import numpy as np\n\nW = np.full((2, 3), 1e300)\nX = np.ones((3, 4))\nY = np.zeros((2, 4))\n"
        "for step in range(3):\n    A = W @ X\n    dA = A - Y\n    dW = dA @ X.T\n    W -= 1e10 * dW\n"
    )
    for path in (FIXTURES / "functions_columns.py", diverging):
        run = run_file(path, seed=0)
        trace = analyse(run, str(path), loss="half_sse", check=False)
        marked = [n for n in run.recorder.nodes if n.finite]
        assert marked
        for node in marked:
            assert node.finite is True and np.isfinite(node.value).all(), (path.name, node.index, node.op)
        if path is diverging:
            assert any(f.id == "non-finite" for f in trace.findings)
