"""``%%bptrace`` in a real kernel: notebooks executed by nbclient with ipykernel, as a learner runs them.

Two kernel sessions (starting one is slow): the buggy notebook, which also checks what the cells
leave in the namespace, the bad options, ``%bptrace_last`` and ``bptrace.last_trace()``; and a fixed
copy, which must get no finding. The kernel imports bptrace from this checkout (PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from tests.jupyter.programs import (
    BUGGY_LINE,
    DATA,
    FIXED,
    HELPERS,
    MAGICS_INSIDE,
    RAISES,
    RAISING_LINE,
    TRAIN,
    USES_HELPERS,
    USES_HELPERS_LINE,
)

ROOT = Path(__file__).resolve().parents[2]

# Printed by the notebook itself: what the namespace holds after the traced cell, judged in the kernel.
STATE = """\
import json, types
import numpy as np
import bptrace

def code_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names

def instrumented(value):
    if isinstance(value, types.FunctionType):
        return any(n.startswith("__bp_") for n in code_names(value.__code__))
    if isinstance(value, type):
        return any(instrumented(v) for v in vars(value).values())
    return False

# The same cell run plainly, from the same data, in a namespace of its own: the traced run must
# leave what this leaves.
plain = {}
exec(DATA_SOURCE, plain)
exec(TRAIN_SOURCE, plain)
trace = bptrace.last_trace()
state = {
    "hook_names": sorted(k for k in globals() if k.startswith("__bp_")),
    "instrumented": sorted(k for k, v in list(globals().items()) if instrumented(v)),
    "lambda_plain": not instrumented(helpers[0]) and helpers[0](3) == 6 and helpers[1] is sigmoid,
    "not_plain_arrays": sorted(k for k, v in list(globals().items())
                               if isinstance(v, np.ndarray) and type(v) is not np.ndarray),
    "same_as_plain": {k: bool(np.array_equal(globals()[k], plain[k])) for k in ("W1", "W2", "A2", "dW1", "loss")},
    "layer_shares_W1": hidden.W is W1 and type(hidden.W) is np.ndarray,
    "calls_after": float(sigmoid(np.zeros(1))[0]) + float(hidden.forward(np.zeros((1, 2)))[0, 0]),
    "findings": [[f.id, f.file, f.line] for f in trace.findings],
    "source_file": trace.scenario.source_file,
}
print("STATE " + json.dumps(state))
"""

HELPERS_AFTER = """\
print("HELPERS " + json.dumps({"findings": [[f.id, f.file, f.line] for f in bptrace.last_trace().findings],
                               "label": bptrace.last_trace().scenario.source_file,
                               "plain": not instrumented(act) and not instrumented(act_prime),
                               "own_file": act_prime.__code__.co_filename != bptrace.last_trace().scenario.source_file,
                               "hook_names": sorted(k for k in globals() if k.startswith("__bp_"))}))
"""

AFTER_RAISE = """\
plain = {"np": np}
try:
    exec(RAISES_SOURCE, plain)
except ZeroDivisionError:
    pass
traced = {k for k in ("before", "V", "step", "ratio", "after", "x") if k in globals()}
expected = {k for k in ("before", "V", "step", "ratio", "after", "x") if k in plain}
print("RAISED " + json.dumps({"traced": sorted(traced), "plain": sorted(expected),
                              "V_same": bool(np.array_equal(V, plain["V"])), "before": before,
                              "findings": [[f.id, f.line] for f in bptrace.last_trace().findings]}))
"""


def _body(cell: str) -> str:
    """The cell without its %%bptrace line: the code a plain run executes."""
    return cell.split("\n", 1)[1]


def _notebook(*sources: str) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Learning backprop")] + [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _kernel(folder: Path) -> KernelManager:
    """A kernel of this very interpreter: an installed "python3" spec may name whichever ``python``
    comes first on PATH, which need not be the one with bptrace's dependencies."""
    spec = folder / "kernels" / "bptrace-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "bptrace test", "language": "python"}))
    return KernelManager(
        kernel_name="bptrace-test", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(spec.parent)])
    )


def _execute(nb: Any, folder: Path) -> Any:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    client = NotebookClient(nb, km=_kernel(folder), timeout=300, resources={"metadata": {"path": str(folder)}})
    client.execute(env=env)
    nbformat.write(nb, folder / "executed.ipynb")
    return nb


@pytest.fixture(scope="module")
def buggy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("buggy")
    cells = {
        "load": "%load_ext bptrace",
        "none_yet": "import sys, bptrace\nprint('LAST', repr(bptrace.last_trace()))\nprint('EXE', sys.executable)\n"
                    "print('FROM', bptrace.__file__)",
        "last_none": "%bptrace_last",
        "data": DATA,
        "train": TRAIN,
        "sources": f"DATA_SOURCE = {DATA!r}\nTRAIN_SOURCE = {_body(TRAIN)!r}\nRAISES_SOURCE = {_body(RAISES)!r}",
        "state": STATE,
        "helpers": HELPERS,
        "uses_helpers": USES_HELPERS,
        "helpers_after": HELPERS_AFTER,
        "magics_inside": MAGICS_INSIDE,
        "bad_loss": "%%bptrace --loss msee\nx = 1",
        "bad_steps": "%%bptrace --steps 0\nx = 1",
        "bad_word": "%%bptrace --lr 3\nx = 1",
        "raises": RAISES,
        "after_raise": AFTER_RAISE,
        "last": "%bptrace_last",
    }
    nb = _execute(_notebook(*cells.values()), folder)
    return dict(zip(cells, nb.cells[1:], strict=True))


@pytest.fixture(scope="module")
def fixed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("fixed")
    cells = {"load": "%load_ext bptrace", "data": DATA, "train": FIXED}
    nb = _execute(_notebook(*cells.values()), folder)
    return dict(zip(cells, nb.cells[1:], strict=True))


def _stream(cell: Any, name: str) -> str:
    return "".join(o["text"] for o in cell["outputs"] if o["output_type"] == "stream" and o["name"] == name)


def _html(cell: Any) -> list[str]:
    return [o["data"]["text/html"] for o in cell["outputs"] if o["output_type"] == "display_data"]


def _printed(cell: Any, tag: str) -> dict[str, Any]:
    line = next(line for line in _stream(cell, "stdout").splitlines() if line.startswith(tag + " "))
    return json.loads(line[len(tag) + 1:])


class _Frame(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "iframe":
            self.frames.append(dict(attrs))


def _frame(html: str) -> dict[str, str | None]:
    parser = _Frame()
    parser.feed(html)
    assert len(parser.frames) == 1
    return parser.frames[0]


def test_the_buggy_cell_gets_the_finding_on_its_own_line(buggy: dict[str, Any]) -> None:
    verdict, viewer = _html(buggy["train"])
    assert "derivative-on-preactivation" in verdict
    assert f"cell line {BUGGY_LINE}" in verdict  # the cell's own numbering: the %%bptrace line is line 1
    quoted = TRAIN.splitlines()[BUGGY_LINE - 1]
    assert f'<span class="ln">{BUGGY_LINE}</span>{quoted}</pre>' in verdict
    assert "Gradient check" in verdict and "1 error(s)" in verdict
    state = _printed(buggy["state"], "STATE")
    assert ["derivative-on-preactivation", state["source_file"], BUGGY_LINE] in state["findings"]
    assert state["source_file"].startswith("In [")
    assert "derivative-on-preactivation" in viewer  # the trace viewer below it shows the same trace


def test_the_fixed_copy_gets_no_finding(fixed: dict[str, Any]) -> None:
    verdict, viewer = _html(fixed["train"])
    assert "0 error(s), 0 warning(s)" in verdict
    assert 'class="finding' not in verdict and "✗" not in verdict
    assert verdict.count('<span class="good">✓</span>') == 2  # W1 and W2 agree with the truth
    assert "<iframe" in viewer
    assert _stream(fixed["train"], "stderr") == ""


def test_the_viewer_is_a_sandboxed_offline_frame(buggy: dict[str, Any]) -> None:
    frame = _frame(_html(buggy["train"])[1])
    assert frame["sandbox"] == ""  # no permission at all: no scripts, no forms, no top navigation
    page = frame["srcdoc"]
    assert page is not None and page.startswith("<!DOCTYPE html>")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'' in page
    assert '<base href="about:srcdoc">' in page  # the timeline's #step links scroll the frame
    assert "<script" not in page.lower()
    for attribute in (' src="', " src='", "url("):
        assert attribute not in page  # nothing is fetched: formulas are MathML, the sparkline inline SVG
    assert 'href="http' not in page and "<math" in page and 'href="#step-' in page
    assert "height: 640px" in (frame["style"] or "")


def test_nothing_of_bptrace_is_left_in_the_namespace(buggy: dict[str, Any]) -> None:
    state = _printed(buggy["state"], "STATE")
    assert state["hook_names"] == []
    assert state["instrumented"] == []  # sigmoid, sigmoid_derivative, Layer run the learner's own code
    assert state["lambda_plain"] is True  # found wherever they are referenced, not only by name
    assert state["not_plain_arrays"] == []
    assert state["layer_shares_W1"] is True
    assert state["calls_after"] == 1.0  # sigmoid(0) + sigmoid(0): callable after the cell, untraced
    # The traced run computed what running the cell computes.
    assert state["same_as_plain"] == {"W1": True, "W2": True, "A2": True, "dW1": True, "loss": True}


def test_a_raising_cell_leaves_what_running_it_leaves(buggy: dict[str, Any]) -> None:
    raised = _printed(buggy["after_raise"], "RAISED")
    assert raised["traced"] == raised["plain"] == ["V", "before", "step"]
    assert raised["V_same"] is True and raised["before"] == "assigned"
    assert ["exception", RAISING_LINE] in raised["findings"]
    verdict = _html(buggy["raises"])[0]
    assert "ZeroDivisionError" in verdict and f"cell line {RAISING_LINE}" in verdict
    assert "Traceback" not in _stream(buggy["raises"], "stderr")


def test_bad_options_say_one_line_and_run_nothing(buggy: dict[str, Any]) -> None:
    for key, expected in (("bad_loss", '--loss: unknown value "msee" (did you mean "mse"?)'),
                          ("bad_steps", "--steps: expected a number of training steps from 1 to"),
                          ("bad_word", "unrecognized arguments: --lr 3")):
        cell = buggy[key]
        err = _stream(cell, "stderr")
        assert err.startswith("bptrace: error: ") and expected in err, err
        assert err.count("\n") == 1, err  # one line, no traceback
        assert _html(cell) == [] and all(o["output_type"] != "error" for o in cell["outputs"])
    assert "x" not in _printed(buggy["after_raise"], "RAISED")["traced"]  # none of those cells ran


def test_last_trace_is_none_before_the_first_cell_and_bptrace_last_says_so(buggy: dict[str, Any]) -> None:
    printed = _stream(buggy["none_yet"], "stdout")
    assert "LAST None" in printed
    # the kernel is this interpreter, and bptrace is this checkout's
    assert f"EXE {sys.executable}\n" in printed and f"FROM {ROOT / 'bptrace' / '__init__.py'}\n" in printed
    said = _stream(buggy["last_none"], "stderr")
    assert said == "bptrace: no trace yet: run a cell that starts with %%bptrace first\n"


def test_bptrace_last_reopens_the_last_trace(buggy: dict[str, Any]) -> None:
    again = _html(buggy["last"])
    assert again == _html(buggy["raises"])  # the raising cell ran last: its verdict and viewer, again
    assert unescape(_frame(again[1])["srcdoc"] or "").count("ratio = 1 / 0") >= 1


def test_helpers_from_an_earlier_cell_are_traced_and_given_back(buggy: dict[str, Any]) -> None:
    state = _printed(buggy["helpers_after"], "HELPERS")
    # Found through the helper the earlier cell defined, named where Z was handed to it.
    assert ["derivative-on-preactivation", state["label"], USES_HELPERS_LINE] in state["findings"]
    assert state["plain"] is True and state["own_file"] is True and state["hook_names"] == []
    assert "act_prime(Z)" in _html(buggy["uses_helpers"])[0]


def test_ipython_syntax_in_a_traced_cell_runs_as_ipython_runs_it(buggy: dict[str, Any]) -> None:
    cell = buggy["magics_inside"]
    out = _stream(cell, "stdout")
    assert "from-the-shell" in out.splitlines() and "Z 3" in out.splitlines()
    verdict = _html(cell)[0]
    assert "0 error(s), 0 warning(s)" in verdict and "exception" not in verdict
