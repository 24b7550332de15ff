"""rerun: what a save gives (a trace, or a one-line reason), which files count, and stopping a run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from bptrace.codetrace import record_code
from bptrace.errors import BadInput, Cancelled
from bptrace.rerun import CodeRun, Failed, attempt, watched
from bptrace.trace import Trace

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "watch_sigmoid.py"


def test_a_save_that_does_not_parse_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text("import numpy as np\n\nW = np.ones((2, 2)\nprint(W)\n")
    outcome = attempt(CodeRun(code=str(path)))
    assert isinstance(outcome, Failed) and outcome.bad_input
    assert outcome.message.startswith("impl.py:3: does not parse: ")


def test_a_notebook_cell_is_named_as_jupyter_shows_it(tmp_path: Path) -> None:
    cells = [{"cell_type": "code", "source": "import numpy as np\n", "execution_count": 1},
             {"cell_type": "code", "source": "x = 1\ny = (\n", "execution_count": 2}]
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}))
    outcome = attempt(CodeRun(code=str(path)))
    assert isinstance(outcome, Failed) and outcome.message.startswith("nb.ipynb#cell[2]:2: does not parse: ")


def test_a_valid_script_that_cannot_be_analysed_says_why(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text("import numpy as np\nx = np.ones(3) * 2\n")
    outcome = attempt(CodeRun(code=str(path)))
    assert isinstance(outcome, Failed) and not outcome.bad_input
    assert outcome.message.startswith("impl.py: cannot analyse: ") and "\n" not in outcome.message


def test_control_characters_in_a_message_are_made_visible(tmp_path: Path) -> None:
    path = tmp_path / "impl\x1b]0;pwned\x07.py"
    path.write_text("x = (\n")
    outcome = attempt(CodeRun(code=str(path)))
    assert isinstance(outcome, Failed) and "\x1b" not in outcome.message and "\\x1b" in outcome.message


def test_the_files_that_count(tmp_path: Path) -> None:
    from watchfiles import Change

    (tmp_path / "sub").mkdir()
    script = tmp_path / "impl.py"
    script.write_text("")
    folder, counts = watched(CodeRun(code=str(script)))
    assert folder == tmp_path.resolve()
    inside = str(folder)
    assert counts(Change.modified, f"{inside}/impl.py")
    assert counts(Change.added, f"{inside}/helpers.py")  # a module beside it
    assert counts(Change.modified, f"{inside}/other.ipynb")
    assert not counts(Change.deleted, f"{inside}/impl.py")  # editors that replace the file: the create counts
    assert not counts(Change.modified, f"{inside}/notes.txt")
    assert not counts(Change.modified, f"{inside}/sub/deep.py")


def test_the_script_of_a_scenario_and_a_scenario_without_code(tmp_path: Path) -> None:
    (tmp_path / "impl.py").write_text("")
    scenario = tmp_path / "s.toml"
    scenario.write_text('format = 1\nname = "s"\n[code]\npath = "impl.py"\nloss = "half_sse"\n')
    run = CodeRun(source=str(scenario))
    assert run.script().resolve() == (tmp_path / "impl.py").resolve()
    _, counts = watched(run)
    assert counts(object(), str(scenario.resolve()))
    with pytest.raises(BadInput, match="--watch"):
        CodeRun(source=str(Path(__file__).resolve().parents[2] / "scenarios" / "seed1_relu_sigmoid.toml")).script()


def test_a_cancelled_run_stops_the_script_and_leaves_nothing_behind(tmp_path: Path) -> None:
    """The learner's own ``except Exception`` does not swallow it; sys.path, sys.argv, the import hooks and
    the modules beside the script are as before; the next run records as a fresh one does."""
    (tmp_path / "helpers.py").write_text("import numpy as np\n\ndef twice(x):\n    return 2 * x\n")
    path = tmp_path / "impl.py"
    body = FIXTURE.read_text().replace("for it in range(3):", "from helpers import twice\nfor it in range(3):")
    path.write_text(body.replace("    Zh = Wh @ X + bh", "    try:\n        Zh = twice(Wh @ X + bh) / 2\n"
                                 "    except Exception:\n        Zh = Wh @ X + bh"))
    asked = 0

    def after_some_ops() -> bool:
        nonlocal asked
        asked += 1
        return asked > 40

    before = (list(sys.path), list(sys.argv), list(sys.meta_path))
    with pytest.raises(Cancelled):
        record_code(path, cancelled=after_some_ops)
    assert asked == 41  # stopped at the first op asked after the answer turned
    assert (list(sys.path), list(sys.argv), list(sys.meta_path)) == before
    assert "helpers" not in sys.modules
    again = record_code(path)
    assert isinstance(again, Trace)
    assert [f.id for f in again.findings] == ["derivative-on-preactivation"]
    assert {s.source.file for s in again.steps if s.source} >= {"impl.py", "helpers.py"}


def test_a_cancelled_analysis_stops_too(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text(FIXTURE.read_text())
    calls = 0

    def once_the_script_ran() -> bool:  # False to every op of the script, True once the analysis asks
        nonlocal calls
        calls += 1
        return sys._getframe(1).f_code.co_name != "checked"  # runtime._stoppable's hook wrapper

    with pytest.raises(Cancelled):
        record_code(path, cancelled=once_the_script_ran)
    assert calls > 100  # the whole script ran and asked at every op
