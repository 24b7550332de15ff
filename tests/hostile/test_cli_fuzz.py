"""The whole CLI (``run``, ``export``, ``replay``) under generated input.

Hypothesis builds scenario files (schema-valid-ish TOML, then broken: truncated, a byte
changed, a BOM, deep nesting), learner programs (a small training loop that may raise, exit,
``os._exit``, loop a few times, not parse, or hold no network at all) and traces (recorded,
then made inconsistent or truncated). Whatever the input, the contract of DESIGN.md holds:
the exit is 0, 1, 2 or 3, never a traceback, and no output file is left when it is 2 or 3.

Most examples call ``bptrace.cli.main`` in-process (a subprocess costs a second of imports
each) under ``memory_cap``; a few run ``python -m bptrace`` in a subprocess under a 2 GiB
address-space limit, where a runaway allocation cannot take the machine down and a crash of
the interpreter itself would show. Derandomized, so CI sees the same examples every time.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bptrace import cli
from bptrace.trace import Trace
from tests.hostile.conftest import CODE, memory_cap
from tests.hostile.test_trace_fuzz import base_traces, mutate, mutations

ADDRESS_SPACE = 2 * 2**30
# CI runs the small, fixed sample; BPTRACE_FUZZ_EXAMPLES=500 searches further (locally, by hand).
EXAMPLES = int(os.environ.get("BPTRACE_FUZZ_EXAMPLES", "40"))
ACTIVATIONS = ("sigmoid", "relu", "tanh", "leaky_relu", "linear", "softmax", "swish")
LOSSES = ("half_sse", "sse", "mse", "bce", "cross_entropy", "hinge")


# ---------------------------------------------------------------- scenarios


def _toml_value(value: Any) -> str:
    """A Python value as TOML (JSON's spelling of strings, numbers, arrays is TOML's too, but for
    non-finite floats, which JSON cannot write and TOML spells nan and inf)."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    # ensure_ascii=False: JSON escapes characters past U+FFFF as surrogate pairs, which TOML refuses
    return json.dumps(value, ensure_ascii=False)


def _matrix(rows: int, cols: int, fill: float) -> list[list[float]]:
    return [[round(fill * (1 + r - c) / 3, 3) for c in range(cols)] for r in range(rows)]


# Any character but a lone surrogate (it cannot be written as UTF-8).
NAMES = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
# One wrong turn each: (table, key, value), or a whole table gone (value DELETE).
DELETE = object()
SCENARIO_FAULTS = [("network", "layout", "diagonal"), ("network", "inputs", 0), ("network", "inputs", 100_000),
                   ("network", "activation", "swish"), ("network", "units", 0), ("network", "units", -1),
                   ("network", "units", 100_000), ("network", "layers", []), ("network", "loss", "hinge"),
                   ("network", "reduction", "max"), ("data", "shape", 1), ("train", "learning_rate", float("nan")),
                   ("train", "learning_rate", float("inf")), ("train", "steps", 0), ("train", "steps", 10**9),
                   ("init", "seed", -1), ("train", "surprise", 1), ("network", None, DELETE), ("data", None, DELETE),
                   ("top", "format", 2)]


@st.composite
def scenario_texts(draw: st.DrawFn) -> str:
    """A scenario file: valid about half the time, else with a wrong turn or two, or broken as text."""
    faults = draw(st.lists(st.sampled_from(SCENARIO_FAULTS), min_size=0, max_size=2))
    wrong = {(table, key): value for table, key, value in faults}
    layout = wrong.get(("network", "layout"), draw(st.sampled_from(["columns", "rows"])))
    inputs = wrong.get(("network", "inputs"), draw(st.integers(1, 3)))
    units = [wrong.get(("network", "units"), draw(st.integers(1, 3))) for _ in range(draw(st.integers(0, 2)))]
    activations = draw(st.lists(st.sampled_from(ACTIVATIONS[:5]), min_size=len(units), max_size=len(units)))
    if ("network", "activation") in wrong and activations:
        activations[0] = wrong["network", "activation"]
    output = draw(st.sampled_from(["sigmoid", "softmax", "linear", "tanh"]))
    loss = wrong.get(("network", "loss"), {"sigmoid": "bce", "softmax": "cross_entropy"}.get(output, "half_sse"))
    outputs = 2 if output == "softmax" else 1
    layers = [*({"units": u, "activation": a} for u, a in zip(units, activations, strict=True)),
              {"units": outputs, "activation": output}]
    samples = draw(st.integers(1, 3))
    features = inputs if isinstance(inputs, int) and 0 < inputs < 10 else 2
    x = _matrix(features + wrong.get(("data", "shape"), 0), samples, 0.5)
    y = [[float((r + c) % 2) for c in range(samples)] for r in range(outputs)]
    if outputs == 2:
        y = [[float(c % 2) for c in range(samples)], [float(1 - c % 2) for c in range(samples)]]
    if layout == "rows":
        x, y = [list(col) for col in zip(*x, strict=False)], [list(col) for col in zip(*y, strict=False)]
    doc: dict[str, dict[str, Any]] = {
        "network": {
            "layout": layout,
            "inputs": inputs,
            "layers": wrong.get(("network", "layers"), layers),
            "loss": loss,
            "reduction": wrong.get(("network", "reduction"), draw(st.sampled_from(["sum", "mean"]))),
        },
        "data": {"X": x, "Y": y},
        "init": {"seed": wrong.get(("init", "seed"), draw(st.integers(0, 3)))},
        "train": {
            "learning_rate": wrong.get(("train", "learning_rate"), draw(st.sampled_from([0.1, 0.5, 1.0]))),
            "steps": wrong.get(("train", "steps"), draw(st.integers(1, 3))),
        },
    }
    if ("train", "surprise") in wrong:
        doc["train"]["surprise"] = 1  # an unknown key
    for table, _key, value in faults:
        if value is DELETE:
            doc.pop(table, None)
    header = f"format = {wrong.get(('top', 'format'), 1)}\nname = {_toml_value(draw(NAMES))}\n"
    text = header + "".join(f"\n[{table}]\n" + "".join(f"{k} = {_toml_value(v)}\n" for k, v in body.items())
                            for table, body in doc.items())
    return _break(draw, text)


def _break(draw: st.DrawFn, text: str) -> str:
    """Leave the text alone (mostly), or break it the ways files break."""
    how = draw(st.sampled_from(["keep"] * 6 + ["truncate", "byte", "bom", "deep"]))
    if how == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if how == "byte":
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        return text[:at] + draw(st.sampled_from(["\x00", "[", "\"", "=", "é", "\x1b"])) + text[at + 1:]
    if how == "bom":
        return "\ufeff" + text
    if how == "deep":
        return text + "\n[deep]\nx = " + "[" * 5000 + "]" * 5000 + "\n"
    return text


# ---------------------------------------------------------------- learner programs

PROGRAM = """\
import os
import sys
import numpy as np

X = np.array({x})
Y = np.array({y})
W1 = np.random.randn({hidden}, {features}) * 0.5
b1 = np.zeros(({hidden}, 1))
W2 = np.random.randn(1, {hidden}) * 0.5
b2 = np.zeros((1, 1))
learning_rate = 0.5
for step in range({steps}):
    Z1 = W1 @ X + b1
    A1 = {activation}
    Z2 = W2 @ A1 + b2
    A2 = 1 / (1 + np.exp(-Z2))
    dZ2 = {delta}
    dW2 = dZ2 @ A1.T
    db2 = np.sum(dZ2, axis=1, keepdims=True)
    dA1 = W2.T @ dZ2
    dZ1 = dA1 * {derivative}
    dW1 = dZ1 @ X.T
    db1 = np.sum(dZ1, axis=1, keepdims=True)
    W1 -= learning_rate * dW1
    b1 -= learning_rate * db1
    W2 -= learning_rate * dW2
    b2 -= learning_rate * db2
"""
ACTIVATION_PAIRS = [("np.maximum(0, Z1)", "(Z1 > 0)"), ("np.tanh(Z1)", "(1 - A1 ** 2)"),
                    ("1 / (1 + np.exp(-Z1))", "A1 * (1 - A1)"), ("1 / (1 + np.exp(-Z1))", "Z1 * (1 - Z1)")]
# Statements put somewhere in the program: the ways a learner's script ends or goes wrong.
INTERRUPTIONS = ["raise ValueError('boom')", "sys.exit(0)", "sys.exit(3)", "sys.exit('bye')", "os._exit(2)",
                 "1 / 0", "np.ones(2) @ np.ones(3)", "import no_such_module_here", "raise KeyboardInterrupt",
                 "raise SystemExit", "print('\\x1b]0;title\\x07')", "W1 = 'not an array'", "del X",
                 "A2 = A2 * np.nan", "return 1"]
NO_NETWORK = ["print(sum(range(5)))\n", "import numpy as np\nx = np.ones(3) * 2\nprint(x @ x)\n", "", "# nothing\n",
              "import numpy as np\nfor i in range(3):\n    y = np.exp(np.arange(4.0))\n"]


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A small learner program: a training loop (maybe interrupted), or one with no network, or one that
    does not parse."""
    kind = draw(st.sampled_from(["net", "net", "net", "none", "syntax"]))
    if kind == "none":
        return draw(st.sampled_from(NO_NETWORK))
    samples, features, hidden = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    activation, derivative = draw(st.sampled_from(ACTIVATION_PAIRS))
    lines = PROGRAM.format(
        x=_matrix(features, samples, 0.5), y=[[float(c % 2) for c in range(samples)]], hidden=hidden,
        features=features, steps=draw(st.integers(0, 3)), activation=activation, derivative=derivative,
        delta=draw(st.sampled_from(["A2 - Y", "(A2 - Y) * A2 * (1 - A2)", "(A2 - Y) / X.shape[1]", "Y - A2"])),
    ).splitlines()
    if draw(st.booleans()):
        at = draw(st.integers(4, len(lines)))  # at top level or inside the loop, indented to match
        indent = "    " if at > 12 else ""
        lines.insert(at, indent + draw(st.sampled_from(INTERRUPTIONS)))
    text = "\n".join(lines) + "\n"
    if kind == "syntax":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(["def (:", ")", "\n  x = 1\n", "\x00"])) + text[at:]
    return text


# ---------------------------------------------------------------- traces


@st.composite
def trace_texts(draw: st.DrawFn) -> str:
    """A recorded trace, made inconsistent (test_trace_fuzz's mutations), truncated or of another version."""
    which, edits = draw(mutations())
    doc = base_traces()[which]
    how = draw(st.sampled_from(["as-is", "as-is", "mutated", "mutated", "truncated", "version"]))
    if how == "mutated":
        doc = mutate(doc, edits)
    if how == "version":
        doc = {**doc, "version": draw(st.sampled_from([0, 3, "2", None]))}
    text = json.dumps(doc, ensure_ascii=False)
    return text[: draw(st.integers(0, len(text)))] if how == "truncated" else text


# ---------------------------------------------------------------- command lines


@dataclass(frozen=True)
class Case:
    """Files to write and the command line to run in their folder."""

    files: dict[str, str]
    argv: list[str]
    output: str | None  # the file export writes, if any


@st.composite
def cases(draw: st.DrawFn, commands: tuple[str, ...] = ("run", "export", "replay")) -> Case:
    command = draw(st.sampled_from(commands))
    if command == "replay":
        return Case({"trace.json": draw(trace_texts())}, ["replay", "trace.json"], None)
    source = draw(st.sampled_from(["scenario", "code", "scenario+code", "trace"]))
    files: dict[str, str] = {}
    argv = [command]
    if source == "trace":
        files["trace.json"] = draw(trace_texts())
        argv.append("trace.json")
    if source in ("scenario", "scenario+code"):
        files["scenario.toml"] = draw(scenario_texts())
        argv.append("scenario.toml")
    if source in ("code", "scenario+code"):
        files["impl.py"] = draw(programs())
        # export takes a code file as its SOURCE; run takes it with --code
        argv += ["impl.py"] if command == "export" and source == "code" else ["--code", "impl.py"]
    options: dict[str, st.SearchStrategy[Any]] = {  # mostly values that exist, now and then one that does not
        "--loss": st.sampled_from([*LOSSES[:5], "hinge"]),
        "--reduction": st.sampled_from(["sum", "mean", "sum", "max"]),
        "--steps": st.sampled_from(["1", "2", "3", "0", "1000000"]),
        "--seed": st.sampled_from(["0", "7", "-1"]),
    }
    if source in ("code", "scenario+code") and draw(st.booleans()):
        argv += ["--loss", draw(st.sampled_from(["bce", "half_sse", "mse"]))]
    for option, values in options.items():
        if draw(st.integers(0, 5)) == 0:
            argv += [option, str(draw(values))]
    output = None
    if command == "export":
        output = "out" + draw(st.sampled_from([".json", ".md", ".html", ".json", ".md", ".html", ".txt"]))
        argv += ["-o", output]
        if draw(st.booleans()):
            argv.append("--detail=" + draw(st.sampled_from(["all", "0..-1", "last", "-1", "0", "5", "x"])))
    elif draw(st.integers(0, 3)) == 0:
        argv += ["--table", draw(st.sampled_from(["all", "0..3", "x"]))]
    return Case(files, argv, output)


def _write(case: Case, folder: Path) -> None:
    for name, text in case.files.items():
        (folder / name).write_text(text, encoding="utf-8")


def _check(code: int, err: str, case: Case, folder: Path) -> None:
    event(f"{case.argv[0]} exit {code}")  # --hypothesis-show-statistics: which outcomes the examples reach
    assert code in (0, 1, 2, 3), (code, case.argv, err[-2000:])
    assert "Traceback" not in err, (case.argv, err[-2000:])
    if case.output is not None:
        written = (folder / case.output).exists()
        assert written == (code in (0, 1)), (code, case.argv, err[-2000:])


# ---------------------------------------------------------------- in-process: the contract, many examples


def _pilot(trace: Trace | None) -> int:
    """``replay`` without a terminal: the TUI on the loaded trace under Textual's Pilot, a few keys pressed."""
    from bptrace.tui.app import BptraceApp

    async def drive() -> None:
        app = BptraceApp(trace)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.press("n", "s", "end", "f", "p")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    asyncio.run(drive())
    return 0


def _main(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exit_:  # argparse's own refusals (exit 2) are part of the CLI too
        return exit_.code if isinstance(exit_.code, int) else 1


@settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases())
def test_the_cli_keeps_its_contract_on_generated_input(case: Case, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "_open_tui", _pilot)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _write(case, folder)
        monkeypatch.chdir(folder)
        capsys.readouterr()
        with memory_cap():
            code = _main(case.argv)
        _check(code, capsys.readouterr().err, case, folder)


# ---------------------------------------------------------------- subprocess: bounded memory


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@settings(derandomize=True, max_examples=max(6, EXAMPLES // 8), deadline=None, database=None)
@given(case=cases(commands=("run", "export")))
def test_the_cli_in_a_process_of_its_own_stays_within_2_gib(case: Case) -> None:
    # replay is left to the in-process test: a trace that loads would open the TUI and wait for keys.
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        _write(case, folder)
        result = subprocess.run(
            [sys.executable, "-m", "bptrace", *case.argv], capture_output=True, text=True, cwd=folder, timeout=120,
            env={**os.environ, "PYTHONPATH": str(CODE)}, preexec_fn=_limit_memory, stdin=subprocess.DEVNULL,
        )
        # a MemoryError or the kernel's kill would show as a traceback or a negative exit
        _check(result.returncode, result.stderr, case, folder)


# ---------------------------------------------------------------- what the fuzz found


def test_a_seed_numpy_cannot_take_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # Found by the fuzz: `run --code impl.py --seed -1` ended in NumPy's ValueError traceback, exit 1.
    (tmp_path / "impl.py").write_text("import numpy as np\nprint(np.random.randn())\n")
    monkeypatch.chdir(tmp_path)
    for seed in ("-1", str(2**32)):
        assert _main(["run", "--code", "impl.py", "--loss", "bce", "--seed", seed]) == 2
        err = capsys.readouterr().err
        assert err.startswith("bptrace: error: --seed: expected a seed from 0 to 4294967295") and "Traceback" not in err
    assert _main(["export", "impl.py", "-o", "out.json", "--loss", "bce", "--seed", "-1"]) == 2
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("statement", ["return 1", "break", "nonlocal x", "yield 1\nawait f()"])
def test_a_program_that_parses_but_does_not_compile_is_bad_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], statement: str) -> None:
    # Found by the fuzz: a `return` at the top of a script passes ast.parse, and compiling the
    # rewritten tree raised SyntaxError through the CLI (a traceback, exit 1).
    (tmp_path / "impl.py").write_text(f"import numpy as np\nx = np.ones(2)\n{statement}\n")
    monkeypatch.chdir(tmp_path)
    assert _main(["run", "--code", "impl.py", "--loss", "bce"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bptrace: error: impl.py: line 3: does not parse: "), err
    assert _main(["export", "impl.py", "-o", "out.html", "--loss", "bce"]) == 2
    assert not (tmp_path / "out.html").exists()


def test_a_null_byte_in_a_program_names_no_line_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Found by the fuzz: Python refuses a null byte before it counts lines, and the message said "line None".
    (tmp_path / "impl.py").write_text("import numpy as np\nx = 1\x00\n")
    monkeypatch.chdir(tmp_path)
    assert _main(["run", "--code", "impl.py", "--loss", "bce"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bptrace: error: impl.py: does not parse: ") and "None" not in err, err
