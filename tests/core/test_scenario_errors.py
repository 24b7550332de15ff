"""Every kind of malformed scenario exits 2 with a message naming the problem.

Each case runs the real CLI (``bptrace export``) in a subprocess: the message
must name the file and the key, there must be no traceback, and no output file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

GOOD = """\
format = 1
name = "ok"
[network]
layout = "columns"
inputs = 2
layers = [ { units = 3, activation = "relu" }, { units = 1, activation = "sigmoid" } ]
loss = "bce"
reduction = "sum"
[data]
X = [[0.5], [0.1]]
Y = [[0.7]]
[init]
seed = 0
[train]
learning_rate = 0.1
steps = 1
"""

# (id, file content or None for "no file", substrings the message must contain)
CASES: list[tuple[str, str | bytes | None, tuple[str, ...]]] = [
    ("missing-file", None, ("no such file",)),
    ("not-toml", "this is [not toml", ("not valid TOML", "line 1")),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", ("not a text file",)),
    ("empty", "", ("format", "missing")),
    ("wrong-format", GOOD.replace("format = 1", "format = 2"), ("format", "unsupported format 2")),
    ("unknown-top-key", GOOD + "\n[netwrok]\ninputs = 2\n", ("netwrok", 'did you mean "network"')),
    ("unknown-network-key", GOOD.replace("inputs = 2", "inputs = 2\nlayuot = 'rows'"),
     ("network.layuot", 'did you mean "layout"')),
    ("unknown-activation", GOOD.replace('"relu"', '"rleu"'),
     ("network.layers[0].activation", '"rleu"', 'did you mean "relu"', "sigmoid")),
    ("unknown-loss", GOOD.replace('loss = "bce"', 'loss = "crossentropy"'),
     ("network.loss", 'did you mean "cross_entropy"', "half_sse")),
    ("unknown-reduction", GOOD.replace('reduction = "sum"', 'reduction = "avg"'), ("network.reduction", "sum, mean")),
    ("unknown-layout", GOOD.replace('layout = "columns"', 'layout = "column"'),
     ("network.layout", 'did you mean "columns"')),
    ("zero-units", GOOD.replace("units = 3", "units = 0"), ("network.layers[0].units", "from 1", "found 0")),
    ("string-for-number", GOOD.replace("inputs = 2", 'inputs = "2"'), ("network.inputs", "integer", "string")),
    ("float-units", GOOD.replace("units = 3", "units = 3.5"), ("network.layers[0].units", "integer")),
    ("bool-for-number", GOOD.replace("learning_rate = 0.1", "learning_rate = true"),
     ("train.learning_rate", "number", "boolean")),
    ("negative-learning-rate", GOOD.replace("learning_rate = 0.1", "learning_rate = -0.1"),
     ("train.learning_rate", "positive")),
    ("missing-network", GOOD.replace("[network]", "[other]"), ("other", "unknown key")),
    ("missing-network-section", "format = 1\n[data]\nX = [[1.0]]\nY = [[1.0]]\n", ("[network]", "missing")),
    ("missing-data", GOOD.split("[data]")[0], ("[data]", "missing")),
    ("missing-Y", GOOD.replace("Y = [[0.7]]\n", ""), ("data.Y", "missing")),
    ("wrong-shape-X", GOOD.replace("X = [[0.5], [0.1]]", "X = [[0.5, 0.1]]"),
     ("data.X", "wrong shape", "found 1×2", "expected 2×1", "looks transposed")),
    ("wrong-shape-Y", GOOD.replace("Y = [[0.7]]", "Y = [[0.7], [0.2]]"), ("data.Y", "found 2×1", "expected 1×1")),
    ("wrong-shape-W", GOOD.replace("seed = 0", "seed = 0\nW1 = [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]"),
     ("init.W1", "found 2×3", "expected 3×2", "out×in")),
    ("rows-bias-shape", GOOD.replace('layout = "columns"', 'layout = "rows"')
     .replace("X = [[0.5], [0.1]]", "X = [[0.5, 0.1]]").replace("seed = 0", "seed = 0\nb1 = [[0.0], [0.0], [0.0]]"),
     ("init.b1", "found 3×1", "expected 3")),
    ("ragged", GOOD.replace("X = [[0.5], [0.1]]", "X = [[0.5], [0.1, 0.2]]"), ("data.X[1]", "ragged")),
    ("string-in-array", GOOD.replace("X = [[0.5], [0.1]]", 'X = [[0.5], ["a"]]'), ("data.X[1][0]", "string")),
    ("nan-value", GOOD.replace("X = [[0.5], [0.1]]", "X = [[0.5], [nan]]"), ("data.X", "finite")),
    ("inf-learning-rate", GOOD.replace("learning_rate = 0.1", "learning_rate = inf"),
     ("train.learning_rate", "finite")),
    ("unknown-init-key", GOOD.replace("seed = 0", "seed = 0\nW3 = [[1.0]]"), ("init.W3", "unknown key")),
    ("softmax-hidden", GOOD.replace('"relu"', '"softmax"'), ("network.layers[0].activation", "output layer")),
    ("ce-without-softmax", GOOD.replace('loss = "bce"', 'loss = "cross_entropy"'),
     ("network.layers[1].activation", "softmax")),
    ("layers-not-list", GOOD.replace(
        'layers = [ { units = 3, activation = "relu" }, { units = 1, activation = "sigmoid" } ]', "layers = 3"),
     ("network.layers", "non-empty list")),
    ("missing-activation", GOOD.replace('{ units = 3, activation = "relu" }', "{ units = 3 }"),
     ("network.layers[0].activation", "missing", "relu")),
    ("missing-loss", GOOD.replace('loss = "bce"\n', ""), ("network.loss", "missing", "half_sse")),
    ("scalar-X", GOOD.replace("X = [[0.5], [0.1]]", "X = 5"), ("data.X", "2-D", "single number")),
    ("table-for-section", GOOD.replace("[train]\nlearning_rate = 0.1\nsteps = 1\n", "").replace(
        'name = "ok"', 'name = "ok"\ntrain = 3'), ("train", "expected a table", "number")),
    ("zero-steps", GOOD.replace("steps = 1", "steps = 0"), ("train.steps", "from 1")),
    ("code-missing-file", 'format = 1\n[code]\npath = "nope.py"\nloss = "bce"\n', ("code.path", "no such file")),
    ("code-wrong-suffix", 'format = 1\n[code]\npath = "impl.txt"\nloss = "bce"\n', ("code.path", ".py or .ipynb")),
]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bptrace", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def _write(path: Path, content: str | bytes | None) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)


@pytest.mark.parametrize(("content", "needles"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_scenario_exits_2_with_a_message_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], content, needles
) -> None:
    from bptrace.cli import main

    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "bad.toml", content)
    out = tmp_path / "out.json"
    for command in (["export", "bad.toml", "-o", "out.json"], ["run", "bad.toml"]):
        assert main(command) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        message = captured.err.strip()
        assert message.startswith("bptrace: error: bad.toml"), message
        assert len(message.splitlines()) == 1, message
        for needle in needles:
            assert needle in message, f"{needle!r} not in {message!r}"
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == (["bad.toml"] if content is not None else [])


@pytest.mark.parametrize("case", ["not-toml", "binary", "wrong-shape-W", "unknown-activation"])
def test_a_real_process_prints_no_traceback(tmp_path: Path, case: str) -> None:
    content, needles = next(c[1:] for c in CASES if c[0] == case)
    _write(tmp_path / "bad.toml", content)
    result = _run("export", "bad.toml", "-o", "out.json", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("bptrace: error: bad.toml")
    assert all(needle in result.stderr for needle in needles)
    assert not (tmp_path / "out.json").exists()


def test_opening_a_scenario_never_evaluates_anything_in_it(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    # Strings that would run code if anything eval'd or exec'd them, in every string slot.
    payload = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    text = GOOD.replace('name = "ok"', f'name = "{payload}"\ndescription = "{payload}"').replace(
        '"relu"', f'"{payload}"'
    )
    (tmp_path / "evil.toml").write_text(text)
    result = _run("run", "evil.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert "network.layers[0].activation" in result.stderr
    assert not marker.exists()


def test_bad_cli_options_are_bad_input(tmp_path: Path) -> None:
    from bptrace.bundled import default

    for args, needle in (
        (["run", str(default()), "--loss", "bcee"], 'did you mean "bce"'),
        (["run", str(default()), "--steps", "0"], "--steps"),
        (["export", str(default()), "-o", "out.txt"], "cannot tell the format"),
        (["export", str(default()), "-o", "missing/out.json"], "does not exist"),
        (["run", "--code", "impl.py"], "impl.py: no such file"),  # --loss may be omitted: inferred
        (["replay", "nope.json"], "no such file"),
    ):
        result = _run(*args, cwd=tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        assert needle in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
