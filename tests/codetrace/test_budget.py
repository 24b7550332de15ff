"""The memory budget of code mode (--max-memory): full detail while it fits, losses and verdicts after.

The memory test runs in a subprocess under RLIMIT_AS, so a regression that keeps everything fails
there instead of taking the machine down. Its program would keep about 150 MB recorded in full.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from bptrace.cli import main
from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file
from bptrace.codetrace.runtime import _owner
from bptrace.errors import BadInput
from bptrace.gradcheck import step_verdicts
from bptrace.limits import parse_size

ROOT = Path(__file__).resolve().parents[2]
ADDRESS_SPACE = 3 << 30  # numpy and OpenBLAS reserve a lot of address space; far below what a leak would take

# A 200-32-10 softmax network over 1500 samples, 50 full-batch steps: about 3 MB of arrays per step.
# GRAD_W2 is the line the planted-mistake test changes.
PROGRAM = '''\
import numpy as np

samples, features, hidden = 1500, 200, 32
X = np.random.randn(samples, features)
labels = np.random.randint(0, 10, samples)
Y = np.eye(10)[labels]
W1 = np.random.randn(features, hidden) * 0.1
b1 = np.zeros((1, hidden))
W2 = np.random.randn(hidden, 10) * 0.1
b2 = np.zeros((1, 10))
for step in range(50):
    Z1 = X @ W1 + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2 + b2
    E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
    P = E / E.sum(axis=1, keepdims=True)
    dZ2 = (P - Y) / samples
    dW2 = GRAD_W2
    db2 = dZ2.sum(axis=0, keepdims=True)
    dZ1 = (dZ2 @ W2.T) * (Z1 > 0)
    dW1 = X.T @ dZ1
    db1 = dZ1.sum(axis=0, keepdims=True)
    W1 -= 0.5 * dW1
    b1 -= 0.5 * db1
    W2 -= 0.5 * dW2
    b2 -= 0.5 * db2
'''
RIGHT = PROGRAM.replace("GRAD_W2", "A1.T @ dZ2")
TWICE = PROGRAM.replace("GRAD_W2", "2 * (A1.T @ dZ2)")  # W2's gradient twice too large

BUDGET = 20 << 20

# Run in the subprocess: record the program with and without the budget; report what each kept.
CHILD = textwrap.dedent('''
    import json, resource, sys, tracemalloc
    from pathlib import Path
    import numpy as np
    byte_bounds = getattr(np.lib, "array_utils", np).byte_bounds  # NumPy 2 moved it
    resource.setrlimit(resource.RLIMIT_AS, ({space}, {space}))
    from bptrace.codetrace import record_code
    from bptrace.gradcheck import step_verdicts
    from bptrace.trace import budget_note

    def held(trace):
        """Bytes of memory the trace's arrays reach, each byte once (views and pooled copies included)."""
        spans = []
        arrays = [s.value for s in trace.steps] + [t.value for s in trace.steps for t in s.terms]
        arrays += [s.reference for s in trace.steps if s.reference is not None]
        for group in (*trace.gradients, *trace.reference_gradients, trace.parameters):
            arrays += list(group.values())
        for a in arrays:
            if isinstance(a, np.ndarray) and a.size:
                spans.append(byte_bounds(a))
        total, end = 0, -1
        for low, high in sorted(spans):
            if high > end:
                total += high - max(low, end)
                end = high
        return total

    def record(budget):
        tracemalloc.start()
        tracemalloc.reset_peak()
        trace = record_code(Path(sys.argv[1]), loss="cross_entropy", reduction="mean", max_memory=budget)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        verdicts = [{{k: [v.relative_error, v.agrees] for k, v in d.items()}} for d in step_verdicts(trace)]
        return {{"peak": peak, "held": held(trace), "losses": trace.losses, "verdicts": verdicts,
                "notes": {{k: v for k, v in trace.scenario.notes.items() if k != "loss_inferred"}},
                "train_steps": sorted({{s.train_step for s in trace.steps}}),
                "gradients": [bool(g) for g in trace.gradients], "note": budget_note(trace.scenario, trace.train_steps),
                "parameters": {{k: v.tolist() for k, v in trace.parameters.items()}}}}

    budgeted = record({budget})
    full = record(1 << 40)
    print(json.dumps({{"budgeted": budgeted, "full": full}}))
''')


def _record_in_subprocess(tmp_path: Path, program: str) -> tuple[dict, dict]:
    script = tmp_path / "learner.py"
    script.write_text(program)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    result = subprocess.run([sys.executable, "-c", CHILD.format(space=ADDRESS_SPACE, budget=BUDGET), str(script)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    return out["budgeted"], out["full"]


def test_the_budget_bounds_what_is_kept_and_keeps_every_verdict(tmp_path: Path) -> None:
    budgeted, full = _record_in_subprocess(tmp_path, RIGHT)
    # Recorded in full, the program keeps several times the budget: the budget is what bounds it.
    assert full["held"] > 5 * BUDGET and full["peak"] > 5 * BUDGET
    kept = budgeted["notes"]["values_for_train_steps"]
    assert budgeted["notes"]["memory_budget"] == {"bytes": BUDGET, "kept": len(kept), "verdicts": 50}
    assert 1 <= len(kept) < 50 and kept == list(range(len(kept)))
    # What the trace holds fits the budget (a pooled block's unused tail is not counted: bytes reached);
    # the peak while recording adds one step being judged and the analysis' temporaries, not more steps.
    assert budgeted["held"] <= BUDGET + (1 << 20)
    assert budgeted["peak"] <= BUDGET + (16 << 20) < full["peak"] / 4
    # Values for the kept steps only; loss and a verdict per parameter for every one of the 50.
    assert budgeted["train_steps"] == kept
    assert budgeted["gradients"] == [i in kept for i in range(50)]
    assert len(budgeted["losses"]) == 50 and len(budgeted["verdicts"]) == 50
    assert all(set(v) == {"W1", "b1", "W2", "b2"} for v in budgeted["verdicts"])
    assert all(agrees and error < 1e-12 for v in budgeted["verdicts"] for error, agrees in v.values())
    # The same numbers as the full recording: losses bit for bit, the final parameters too.
    assert budgeted["losses"] == full["losses"]
    assert budgeted["parameters"] == full["parameters"]
    assert budgeted["note"] == \
        f"Values kept for training steps 0–{len(kept) - 1} (memory budget 20 MB); verdicts for all 50."
    assert full["note"] is None


def test_a_wrong_gradient_is_caught_past_the_budget_too(tmp_path: Path) -> None:
    budgeted, _full = _record_in_subprocess(tmp_path, TWICE)
    kept = len(budgeted["notes"]["values_for_train_steps"])
    assert kept < 50
    for verdicts in budgeted["verdicts"]:
        error, agrees = verdicts["W2"]
        # g = 2ĝ: ‖2ĝ − ĝ‖ / (‖2ĝ‖ + ‖ĝ‖) = 1/3, whatever ĝ is.
        assert not agrees and math.isclose(error, 1 / 3, rel_tol=1e-9)
        assert all(verdicts[name][1] for name in ("W1", "b1", "b2"))


DATA = '''\
import numpy as np

X = np.random.randn(300, 8)
Y = (X[:, :1] > 0).astype(float)
W = np.random.randn(8, 1) * 0.1
b = np.zeros((1, 1))
for step in range(20):
    A = 1 / (1 + np.exp(-(X @ W + b)))
    dZ = (A - Y) / 300
    W -= 0.5 * (X.T @ dZ)
    b -= 0.5 * dZ.sum(axis=0, keepdims=True)
'''


def test_data_read_by_every_step_is_kept_once(tmp_path: Path) -> None:
    script = tmp_path / "data.py"
    script.write_text(DATA)
    recorder = run_file(script, 0, steps=50).recorder
    big = [n for n in recorder.nodes if isinstance(n.value, np.ndarray) and n.value.shape in ((300, 8), (8, 300))]
    # X and every step's X.T: one array's memory, however many steps read it.
    assert len(big) > 20
    assert len({id(_owner(n.value)) for n in big}) == 1
    # The recording's own count (what the budget reads) is the memory its nodes hold, X once.
    owners = {id(_owner(n.value)): _owner(n.value).nbytes for n in recorder.nodes if isinstance(n.value, np.ndarray)}
    assert recorder.kept == sum(owners.values())


SHUFFLED = '''\
import numpy as np

data = np.random.randn(40, 4)
data[:, 3] = data[:, 0] > 0
W = np.random.randn(3, 1) * 0.1
b = np.zeros((1, 1))
for epoch in range(6):
    np.random.shuffle(data)
    X, Y = data[:, :3], data[:, 3:]
    A = 1 / (1 + np.exp(-(X @ W + b)))
    dZ = (A - Y) / 40
    W -= 0.5 * (X.T @ dZ)
    b -= 0.5 * dZ.sum(axis=0, keepdims=True)
'''


def test_data_changed_in_place_between_steps_is_not_shared(tmp_path: Path) -> None:
    """np.random.shuffle(data) each epoch: each step keeps the rows it read, not the last shuffle's."""
    script = tmp_path / "shuffled.py"
    script.write_text(SHUFFLED)
    recorder = run_file(script, 0, steps=50).recorder
    products = [n for n in recorder.nodes if n.op == "matmul" and n.value.shape == (40, 1)]
    assert len(products) == 6
    for node in products:  # X @ W, recomputed from the operands as recorded, is what the step computed
        x, w = (recorder.nodes[p].value for p in node.parents)
        np.testing.assert_array_equal(x @ w, node.value)
    rows = {recorder.nodes[node.parents[0]].value.tobytes() for node in products}
    assert len(rows) == 6  # six different orders, six kept versions
    trace = record_code(script, loss="bce", reduction="mean")
    assert all(v.agrees for verdicts in step_verdicts(trace) for v in verdicts.values())
    assert trace.error_count() == 0


@pytest.mark.parametrize(("text", "expected"), [
    ("512M", 512 << 20), ("1G", 1 << 30), ("1.5GB", 3 << 29), ("2048MiB", 2 << 30), ("300m", 300 << 20),
    (str(5 << 20), 5 << 20),
])
def test_sizes_are_read_as_learners_write_them(text: str, expected: int) -> None:
    assert parse_size(text, "--max-memory") == expected


@pytest.mark.parametrize("text", ["", "lots", "-1G", "1e9", "12x", "0", "100", "2000T"])
def test_a_bad_size_names_the_option(text: str) -> None:
    with pytest.raises(BadInput, match="--max-memory"):
        parse_size(text, "--max-memory")


def test_the_command_line_takes_the_budget_and_says_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "data.py"
    script.write_text(DATA.replace("300", "3000"))  # X is 190 kB; 20 steps of 3000-sample arrays are more than 1 MB
    assert main(["run", "--code", str(script), "--max-memory", "1M"]) == 0
    out = capsys.readouterr().out
    assert "Values kept for training step" in out and "(memory budget 1 MB); verdicts for all 20." in out
    assert main(["run", "--code", str(script), "--max-memory", "lots"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == 'bptrace: error: --max-memory: expected a size such as 512M or 2G, found "lots"'
    out_json = tmp_path / "t.json"
    assert main(["export", str(script), "--max-memory", "1M", "-o", str(out_json)]) == 0
    doc = json.loads(out_json.read_text())
    kept = doc["scenario"]["notes"]["values_for_train_steps"]
    assert doc["scenario"]["notes"]["memory_budget"]["bytes"] == 1 << 20
    assert len(doc["losses"]) == 20 and all(doc["verdicts"][i] for i in range(20))
    assert {s["train_step"] for s in doc["steps"]} == set(kept) and max(kept) < 19
    out_md = tmp_path / "t.md"
    assert main(["export", str(script), "--max-memory", "1M", "-o", str(out_md)]) == 0
    text = out_md.read_text()
    assert "(memory budget 1 MB); verdicts for all 20." in text and "## Training step 19" not in text



def test_the_kept_steps_structure_is_built_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the budget, the structure built on the kept steps when the budget was exceeded is the one the
    analysis reads: the recording keeps nothing else, so it is not built again."""
    import bptrace.codetrace as codetrace

    script = tmp_path / "data.py"
    script.write_text(DATA.replace("300", "3000"))
    whole = record_code(script, loss="bce", reduction="mean", max_memory=1 << 20)

    def again(*args: object, **kwargs: object) -> None:
        raise AssertionError("the kept steps' structure was built again")

    monkeypatch.setattr(codetrace, "Structure", again)
    trace = record_code(script, loss="bce", reduction="mean", max_memory=1 << 20)
    assert trace.scenario.notes["memory_budget"] == whole.scenario.notes["memory_budget"]
    assert [s.target for s in trace.steps] == [s.target for s in whole.steps] and trace.losses == whole.losses
