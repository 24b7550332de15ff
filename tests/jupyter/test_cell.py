"""A cell traced in a namespace that outlives it, in process (no kernel): ``bptrace.notebook``.

What the namespace holds afterwards is compared with the same code run plainly; the kernel tests
(test_kernel.py) check the same through IPython.
"""

from __future__ import annotations

import builtins
import html
import importlib
import linecache
import sys
import types
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from bptrace import last_trace, notebook
from bptrace.errors import BadInput
from bptrace.notebook_view import verdict_html, viewer_html
from tests.jupyter.programs import BUGGY_LINE, DATA, TRAIN

MORE = """\
def scaler(k):
    def scale(v):
        return v * k
    return scale

class Base:
    def out(self, v):
        return v + 1

class Child(Base):
    def out(self, v):
        return super().out(v) * 2

    @staticmethod
    def twice(v):
        return v * 2

double = scaler(2.0)
rows = [row * 2 for row in (r for r in X)]
"""


def _fresh() -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": "__main__", "__builtins__": builtins}
    exec(DATA, namespace)
    return namespace


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _hooked(value: object) -> bool:
    if isinstance(value, types.FunctionType):
        return any(n.startswith("__bp_") for n in _code_names(value.__code__))
    if isinstance(value, type):
        return any(_hooked(getattr(v, "__func__", v)) for v in vars(value).values())
    return False


def _trace(body: str, namespace: dict[str, object], tmp_path: Path, line: str = "%%bptrace", **options: object):
    return notebook.trace_cell(body, namespace, label="In [7]", first_line=line,
                               options=notebook.Options(**options),  # type: ignore[arg-type]
                               folder=tmp_path)


def test_the_namespace_holds_what_a_plain_run_leaves_and_nothing_of_bptrace(tmp_path: Path) -> None:
    body = TRAIN.split("\n", 1)[1] + MORE
    traced, plain = _fresh(), _fresh()
    trace = _trace(body, traced, tmp_path)
    exec(body, plain)
    assert ("derivative-on-preactivation", "In [7]", BUGGY_LINE) in [(f.id, f.file, f.line) for f in trace.findings]
    assert last_trace() is trace
    # No name added, none missing (Python's own __warningregistry__ goes where a warning is attributed:
    # in a traced run, to the recorder's module, which called NumPy).
    assert set(traced) == set(plain) - {"__warningregistry__"}
    assert [k for k, v in traced.items() if _hooked(v)] == []
    assert not _hooked(traced["double"])  # a closure made by a traced function
    for name, value in plain.items():
        if isinstance(value, np.ndarray):
            assert type(traced[name]) is np.ndarray and np.array_equal(traced[name], value), name
    child = traced["Child"]()  # type: ignore[operator]
    assert child.out(1) == 4 and child.twice(3) == 6 and traced["double"](3) == 6.0  # type: ignore[operator]


def test_a_cell_that_raises_keeps_the_assignments_before_the_raise(tmp_path: Path) -> None:
    body = "before = 1\nV = np.ones(3)\nfor k in range(3):\n    V -= 0.5 * V\nboom = V[7]\nafter = 2\n"
    traced, plain = _fresh(), _fresh()
    trace = _trace(body, traced, tmp_path)
    with pytest.raises(IndexError):
        exec(body, plain)
    assert set(traced) == set(plain) and "after" not in traced and traced["before"] == 1
    assert np.array_equal(traced["V"], plain["V"])  # type: ignore[arg-type]
    raised = [f for f in trace.findings if f.id == "exception"]
    assert [(f.file, f.line) for f in raised] == [("In [7]", 6)]  # the %%bptrace line is line 1
    assert "IndexError" in raised[0].message


def test_an_interrupt_keeps_what_was_recorded(tmp_path: Path) -> None:
    body = TRAIN.split("\n", 1)[1].replace("    W1 -= lr * dW1\n", "    W1 -= lr * dW1\n    if epoch == 2:\n"
                                                                     "        raise KeyboardInterrupt\n")
    namespace = _fresh()
    trace = _trace(body, namespace, tmp_path)
    assert trace.scenario.interrupted and trace.train_steps == 3
    assert "exception" not in [f.id for f in trace.findings]
    assert [k for k in namespace if k.startswith("__bp_")] == []


HELPER_MODULE = ("import numpy as np\nLOADS.append(1) if 'LOADS' in globals() else None\n\n"
                 "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n\n"
                 "def sigmoid_derivative(a):\n    return a * (1 - a)\n")


@pytest.fixture
def helper_module(tmp_path: Path, request: pytest.FixtureRequest):
    """A module beside the notebook, under a name of its own (a notebook keeps what it imported)."""
    name = f"nn_helpers_{request.node.name[-40:].replace('[', '_').replace(']', '_')}"
    (tmp_path / f"{name}.py").write_text(HELPER_MODULE)
    yield name
    sys.modules.pop(name, None)


def test_a_module_the_cell_imports_is_plain_afterwards_and_stays_imported(tmp_path: Path, helper_module: str) -> None:
    body = TRAIN.split("\n", 1)[1].split("class Layer")[1]
    body = (
        f"from {helper_module} import sigmoid, sigmoid_derivative\nimport {helper_module} as helpers_mod\nclass Layer"
        + body
    )
    namespace = _fresh()
    trace = _trace(body, namespace, tmp_path)
    assert "derivative-on-preactivation" in [f.id for f in trace.findings]
    module = namespace["helpers_mod"]
    assert isinstance(module, types.ModuleType) and sys.modules[helper_module] is module  # as `import` leaves it
    assert [k for k in vars(module) if k.startswith("__bp_")] == []
    assert not _hooked(namespace["sigmoid_derivative"]) and namespace["sigmoid"] is module.sigmoid


def test_a_module_imported_before_is_traced_not_imported_again(tmp_path: Path, helper_module: str) -> None:
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module(helper_module)
    finally:
        sys.path.remove(str(tmp_path))
    module.LOADS = []  # type: ignore[attr-defined]
    original = module.sigmoid_derivative.__code__
    namespace = _fresh()
    exec(f"from {helper_module} import sigmoid, sigmoid_derivative", namespace)
    body = "class Layer" + TRAIN.split("\n", 1)[1].split("class Layer")[1]
    trace = _trace(body, namespace, tmp_path)
    assert module.LOADS == []  # running the cell would not import it again: neither does tracing it
    assert "derivative-on-preactivation" in [f.id for f in trace.findings]
    assert f"{helper_module}.py" in {s.source.file for s in trace.steps if s.source}  # its ops were recorded
    assert module.sigmoid_derivative.__code__ is original and sys.modules[helper_module] is module


def test_a_module_edited_since_its_import_runs_as_imported_untraced(tmp_path: Path, helper_module: str) -> None:
    sys.path.insert(0, str(tmp_path))
    try:
        module = importlib.import_module(helper_module)
    finally:
        sys.path.remove(str(tmp_path))
    # The file now reads otherwise; the kernel still runs what it imported. Tracing the new text would
    # trace code that does not run.
    (tmp_path / f"{helper_module}.py").write_text(HELPER_MODULE.replace("a * (1 - a)", "a * (1 - a) * 1.0"))
    linecache.checkcache()
    namespace = _fresh()
    exec(f"from {helper_module} import sigmoid, sigmoid_derivative", namespace)
    body = "class Layer" + TRAIN.split("\n", 1)[1].split("class Layer")[1]
    trace = _trace(body, namespace, tmp_path)
    lines = {s.source.line for s in trace.steps if s.source and s.source.file == f"{helper_module}.py"}
    assert 5 in lines and 8 not in lines  # sigmoid (unchanged) traced; sigmoid_derivative (edited) not
    assert module.sigmoid_derivative(np.array([0.5]))[0] == 0.25


def test_functions_of_earlier_cells_are_traced_for_the_run_and_given_back(tmp_path: Path) -> None:
    helpers, rest = TRAIN.split("\n", 1)[1].split("class Layer")
    earlier = (
        "/tmp/ipykernel_0/earlier_cell.py"  # a kernel's name for a cell; its text in linecache, as IPython keeps it
    )
    linecache.cache[earlier] = (len(helpers), None, helpers.splitlines(keepends=True), earlier)
    namespace = _fresh()
    exec(compile(helpers, earlier, "exec"), namespace)
    original = namespace["sigmoid_derivative"].__code__  # type: ignore[attr-defined]
    body = "class Layer" + rest
    untraced = _trace(body, _fresh() | {k: namespace[k] for k in ("sigmoid", "sigmoid_derivative")}, tmp_path)
    trace = notebook.trace_cell(body, namespace, label="In [7]", first_line="%%bptrace", options=notebook.Options(),
                                folder=tmp_path, earlier={earlier: "In [6]"})
    assert "derivative-on-preactivation" not in [f.id for f in untraced.findings]  # a black box, without them
    found = [(f.id, f.file, f.line) for f in trace.findings]
    # Named where the pre-activation was handed over: the call in the traced cell (one line above the
    # buggy line of TRAIN: the helpers' lines moved to the earlier cell, the %%bptrace line stays).
    assert ("derivative-on-preactivation", "In [7]", body.splitlines().index(
        "    dZ1 = (dZ2 @ W2.T) * sigmoid_derivative(Z1)") + 2) in found
    assert namespace["sigmoid_derivative"].__code__ is original  # type: ignore[attr-defined]
    assert "In [6]" in {s.file for s in trace.steps if s.source for s in [s.source]}  # its ops were recorded


@pytest.mark.parametrize(("line", "said"), [
    ("--loss msee", '--loss: unknown value "msee" (did you mean "mse"?)'),
    ("--reduction avg", '--reduction: unknown value "avg"'),
    ("--steps 0", "--steps: expected a number of training steps from 1 to 100000, found 0"),
    ("--steps many", "%%bptrace: argument --steps: invalid int value: 'many'"),
    ("--lr 3", "%%bptrace: unrecognized arguments: --lr 3"),
    ("--loss 'mse", "%%bptrace: cannot read the options: No closing quotation"),
])
def test_bad_options_are_one_line_of_bad_input(line: str, said: str) -> None:
    with pytest.raises(BadInput) as error:
        notebook.parse_options(line)
    assert said in str(error.value) and "\n" not in str(error.value)


def test_good_options_mean_what_the_cli_s_mean() -> None:
    assert notebook.parse_options("--loss bce --reduction sum --steps 3") == notebook.Options("bce", "sum", 3)
    assert notebook.parse_options("") == notebook.Options()


def test_a_syntax_error_names_the_cell_line(tmp_path: Path) -> None:
    namespace = _fresh()
    with pytest.raises(BadInput) as error:
        _trace("x = 1\ny = (\n", namespace, tmp_path)
    assert str(error.value).startswith("In [7]: line 3: does not parse")  # line 1 is the %%bptrace line
    assert "x" not in namespace


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.srcdoc: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.srcdoc += [v or "" for k, v in attrs if k == "srcdoc"]


def test_text_from_the_cell_cannot_escape_the_verdict_or_the_frame(tmp_path: Path) -> None:
    namespace = _fresh()
    body = TRAIN.split("\n", 1)[1].replace(
        "sigmoid_derivative(Z1)", "sigmoid_derivative(Z1)  # </iframe><script>x()</script>"
    )
    trace = _trace(body, namespace, tmp_path)
    trace = replace(trace, scenario=replace(trace.scenario, name='"><img src=x onerror=y()>'))
    verdict, viewer = _Tags(), _Tags()
    verdict.feed(verdict_html(trace))
    viewer.feed(viewer_html(trace))
    assert "script" not in verdict.tags and "img" not in verdict.tags and "iframe" not in verdict.tags
    assert "&lt;/iframe&gt;&lt;script&gt;" in verdict_html(trace)  # the guilty line is quoted, as text
    assert viewer.tags == ["iframe"]
    inner = _Tags()
    inner.feed(viewer.srcdoc[0])
    assert "script" not in inner.tags and "img" not in inner.tags and inner.tags.count("iframe") == 0


def test_the_verdict_says_what_code_mode_said_from_its_notes_and_from_the_description_before(tmp_path: Path) -> None:
    trace = _trace(TRAIN.split("\n", 1)[1], _fresh(), tmp_path)
    info = trace.scenario
    inferred = info.notes["loss_inferred"]
    assert isinstance(inferred, str) and inferred.startswith("Loss inferred: half_sse")
    assert info.notes["said"] == [inferred]
    assert info.description == f"Code mode: {info.name}, traced as it runs. {inferred}"  # unchanged for its readers
    said = f'<p class="dim">{html.escape(inferred)}</p>'
    shown = verdict_html(trace)
    assert said in shown and "traced as it runs" not in shown
    # A trace written before ``said``: the same sentence, from the description.
    before = replace(trace, scenario=replace(info, notes={k: v for k, v in info.notes.items() if k != "said"}))
    assert verdict_html(before) == shown
    # The notes do not depend on the description's opening naming the cell as the trace does.
    renamed = replace(trace, scenario=replace(info, name="In [8]"))
    assert said in verdict_html(renamed) and "traced as it runs" not in verdict_html(renamed)


def test_a_generator_left_suspended_goes_on_without_recording(tmp_path: Path) -> None:
    """Its frame runs the rewritten code (no plain code can be swapped into a running frame): idle
    hooks that record nothing stay for it, rather than a NameError on the next ``next``."""
    namespace = _fresh()
    body = TRAIN.split("\n", 1)[1] + "batches = (row * 2 for row in X)\nfirst = next(batches)\n"
    _trace(body, namespace, tmp_path)
    second = next(namespace["batches"])  # type: ignore[call-overload]
    assert np.array_equal(second, namespace["X"][1] * 2)  # type: ignore[index]
    idle = namespace["__bp_bin__"].__self__  # type: ignore[attr-defined]
    assert idle.enabled is False and idle.nodes == [] and not _hooked(namespace["sigmoid"])


def test_ipython_is_imported_by_the_magic_only() -> None:
    import subprocess
    import sys

    code = ("import sys, bptrace, bptrace.notebook, bptrace.notebook_view; assert bptrace.last_trace() is None; "
            "assert 'IPython' not in sys.modules, 'IPython imported'; import bptrace.jupyter; "
            "assert 'IPython' in sys.modules")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
