"""Notebooks as Jupyter shows them: cell places (``#cell[n]`` / ``#cellK``) and cell magics."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file
from bptrace.codetrace.loader import load_cells

# One training step of a 2-2-1 sigmoid network, split over cells; the last cell's first line is a cell magic.
_SETUP = "import numpy as np\nX = np.array([[0.5, 0.1], [0.2, 0.7]])\nY = np.array([[1.0, 0.0]])\n"
_INIT = "W1 = np.array([[0.1, -0.2], [0.3, 0.4]])\nW2 = np.array([[0.5, -0.6]])\n"
_STEP = (
    "A1 = 1 / (1 + np.exp(-(W1 @ X)))\n"
    "A2 = 1 / (1 + np.exp(-(W2 @ A1)))\n"
    "dZ2 = A2 - Y\n"
    "dW2 = dZ2 @ A1.T\n"
    "dZ1 = (W2.T @ dZ2) * A1 * (1 - A1)\n"
    "dW1 = dZ1 @ X.T\n"
    "W2 -= 0.5 * dW2\n"
    "W1 -= 0.5 * dW1\n"
)


def _notebook(path: Path, cells: list[tuple[str, str, int | None]]) -> Path:
    """cells: (cell_type, source, execution_count)."""
    doc = {"cells": [{"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True),
                      **({"execution_count": count, "outputs": []} if kind == "code" else {})}
                     for kind, source, count in cells],
           "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_cells_are_named_by_their_execution_count_else_their_place_among_all_cells(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", [
        ("markdown", "# Title", None), ("code", "x = 1", 3), ("markdown", "text", None), ("code", "y = 2", None),
        ("code", "z = 3", 7),
    ])
    assert [c.label for c in load_cells(path)] == ["nb.ipynb#cell[3]", "nb.ipynb#cell4", "nb.ipynb#cell[7]"]


def test_a_count_stored_twice_names_neither_cell_by_it(tmp_path: Path) -> None:
    """A copied cell keeps its count: two cells called [2] would be one place, so both fall back to the index."""
    path = _notebook(tmp_path / "nb.ipynb", [("code", "x = 1", 2), ("code", "y = 2", 2), ("code", "z = 3", 5)])
    assert [c.label for c in load_cells(path)] == ["nb.ipynb#cell1", "nb.ipynb#cell2", "nb.ipynb#cell[5]"]


def test_findings_and_steps_name_the_jupyter_place(tmp_path: Path) -> None:
    wrong = _STEP.replace("W2 -= 0.5 * dW2", "W2 += 0.5 * dW2")
    path = _notebook(tmp_path / "nb.ipynb", [
        ("markdown", "## data", None), ("code", _SETUP, 1), ("code", _INIT, None), ("markdown", "## train", None),
        ("code", wrong, 4),
    ])
    trace = record_code(path, loss="bce", reduction="sum")
    sign = [(f.file, f.line) for f in trace.findings if f.id == "update-sign"]
    assert sign == [("nb.ipynb#cell[4]", 7)], [(f.id, f.file, f.line) for f in trace.findings]
    w2 = next(s for s in trace.steps if s.target == "W2" and s.source is not None)
    assert (w2.source.file, w2.source.line) == ("nb.ipynb#cell3", 2)


def test_a_python_cell_magic_runs_its_body_on_the_same_lines(tmp_path: Path) -> None:
    for magic in ("%%time", "%%capture out", "%%timeit -n1 -r1", "%%prun -q"):
        path = _notebook(tmp_path / "nb.ipynb", [
            ("code", _SETUP + _INIT, None), ("code", f"{magic}\n{_STEP}", None),
        ])
        trace = record_code(path, loss="bce", reduction="sum")
        assert trace.train_steps == 1, magic
        assert trace.error_count() == 0, (magic, [(f.id, f.message) for f in trace.findings])
        dz2 = next(s for s in trace.steps if s.target == "dZ2")
        assert (dz2.source.file, dz2.source.line) == ("nb.ipynb#cell2", 4), magic  # the magic is line 1


def test_a_cell_magic_whose_body_is_not_python_stays_out(tmp_path: Path) -> None:
    written = tmp_path / "helper.py"
    cells = [("code", "import numpy as np\nran = []", None)]
    cells += [("code", f"{magic}\nran.append({magic!r})\n", None) for magic in (
        "%%bash", "%%sh", "%%html", "%%javascript", "%%markdown", "%%latex", "%%python3", "%%script python")]
    cells += [
        ("code", f"%%writefile {written}\nran.append('writefile')\n", None),
        ("code", "\n\n%%bash\nls -l\n", None),
    ]
    run = run_file(_notebook(tmp_path / "nb.ipynb", cells), seed=0)
    assert run.raised is None
    assert run.namespace["ran"] == []
    assert not written.exists()


def test_line_magics_and_shell_lines_inside_a_python_cell_magic_are_neutralised(tmp_path: Path) -> None:
    path = _notebook(tmp_path / "nb.ipynb", [
        ("code", "%%time\n%matplotlib inline\nimport numpy as np\nfiles = !ls\nv = np.ones(3)\n", None),
    ])
    run = run_file(path, seed=0)
    assert run.raised is None
    np.testing.assert_array_equal(run.namespace["v"], np.ones(3))
