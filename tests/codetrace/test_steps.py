"""What the parameters are, what an update is, what a training step is (issue 11, point 3).

Parameters rebound through list comprehensions (Nielsen), gradient accumulators that are not parameters
(Udacity's per-record loop, dict entries), per-sample passes summed into one update as one training step,
data preparation that is no training step, and `--steps N` cutting where the analysis finds the steps.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from bptrace.codetrace import record_code
from bptrace.codetrace.execute import run_file
from bptrace.codetrace.structure import Structure

PACKAGE = Path(__file__).resolve().parents[2] / "bptrace" / "codetrace"

# Mini-batches of per-sample backprop, lists of arrays rebound by comprehensions (the accumulators too).
LISTS = '''import numpy as np
np.random.seed(2)

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

weights = [np.random.randn(3, 2), np.random.randn(1, 3)]
biases = [np.random.randn(3, 1), np.random.randn(1, 1)]
data = [(np.random.rand(2, 1), np.array([[float(k % 2)]])) for k in range(8)]

def backprop(x, y):
    zs, acts = [], [x]
    for w, b in zip(weights, biases):
        zs.append(np.dot(w, acts[-1]) + b)
        acts.append(sigmoid(zs[-1]))
    delta = (acts[-1] - y) * acts[-1] * (1 - acts[-1])
    nb, nw = [None, delta], [None, np.dot(delta, acts[-2].T)]
    delta = np.dot(weights[1].T, delta) * acts[1] * (1 - acts[1])
    nb[0], nw[0] = delta, np.dot(delta, acts[0].T)
    return nb, nw

for epoch in range({epochs}):
    for k in range(0, len(data), {batch}):
        batch = data[k:k + {batch}]
        nabla_b = [np.zeros(b.shape) for b in biases]
        nabla_w = [np.zeros(w.shape) for w in weights]
        for x, y in batch:
            db, dw = backprop(x, y)
            nabla_b = [nb + d for nb, d in zip(nabla_b, db)]
            nabla_w = [nw + d for nw, d in zip(nabla_w, dw)]
        weights = [w - (2.0 / len(batch)) * nw for w, nw in zip(weights, nabla_w)]
        biases = [b {sign} (2.0 / len(batch)) * nb for b, nb in zip(biases, nabla_b)]
'''

# A per-record loop accumulating into a zeros array, one update per epoch, an evaluation after it.
RECORDS = '''import numpy as np
np.random.seed(5)

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

features = np.random.randn(12, 3)
targets = (features[:, 0] > 0).astype(float)
weights = np.random.normal(scale=0.5, size=3)
for e in range({epochs}):
    del_w = np.zeros(weights.shape)
    for x, y in zip(features, targets):
        output = sigmoid(np.dot(x, weights))
        error = y - output
        del_w += error * output * (1 - output) * x
    weights += 0.5 * del_w {scale}
    out = sigmoid(np.dot(features, weights))
    print(np.mean((out - targets) ** 2))
'''

# Normalising, a one-hot loop and a shuffling loop before the parameters exist.
PREP = '''import numpy as np
np.random.seed(1)
raw = np.random.rand(20, 3) * 50
labels = np.array([i % 2 for i in range(20)])
X0 = (raw - raw.mean(axis=0)) / raw.std(axis=0)
Y0 = np.zeros((20, 2))
for i in range(20):
    Y0[i, labels[i]] = 1.0
perm = np.random.permutation(20)
X = np.zeros_like(X0)
Y = np.zeros_like(Y0)
for i in range(20):
    X[i] = X0[perm[i]]
    Y[i] = Y0[perm[i]]
W = np.random.randn(3, 2) * 0.1
b = np.zeros(2)
for step in range({steps}):
    A = 1 / (1 + np.exp(-(X @ W + b)))
    dZ = (A - Y) * A * (1 - A) / 20
    W -= 0.5 * (X.T @ dZ)
    b -= 0.5 * dZ.sum(axis=0)
'''


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "impl.py"
    path.write_text(text)
    return path


def _structure(path: Path, steps: int = 50) -> Structure:
    run = run_file(path, 0, steps=steps)
    return Structure(run.recorder.nodes, [(f.site, f.op, f.parents) for f in run.recorder.failed])


def _errors(trace) -> list[tuple[str, int | None]]:  # type: ignore[no-untyped-def]
    return [(f.id, f.line) for f in trace.findings if f.severity == "error"]


def test_list_elements_rebound_by_a_comprehension_are_updates_and_accumulators_are_not(tmp_path: Path) -> None:
    path = _write(tmp_path, LISTS.format(epochs=2, batch=4, sign="-"))
    structure = _structure(path)
    # 8 samples in batches of 4, 2 epochs: 4 updates of each of the 4 parameters, nothing else.
    assert len(structure.steps) == 4
    assert all(len(step.updates) == 4 for step in structure.steps)
    assert len({structure.root[u.node] for u in structure.updates}) == 4
    assert all(len(step.pairs) == 4 for step in structure.steps)  # one forward pass per sample
    trace = record_code(path, loss="half_sse", reduction="mean")
    assert not _errors(trace), _errors(trace)
    loss_step = next(s for s in trace.steps if s.phase == "loss" and s.train_step == 0)
    assert loss_step.meta["samples"] == 4


def test_a_sign_planted_in_a_comprehension_is_named_at_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, LISTS.format(epochs=1, batch=4, sign="+"))
    trace = record_code(path, loss="half_sse", reduction="mean")
    line = next(n for n, s in enumerate(path.read_text().splitlines(), 1) if "biases = [b +" in s)
    assert ("update-sign", line) in _errors(trace), _errors(trace)


def test_the_summed_gradient_stepped_without_its_mean_is_a_scale_finding_at_the_update(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORDS.format(epochs=3, scale=""))
    trace = record_code(path, loss="half_sse", reduction="mean")
    line = next(n for n, s in enumerate(path.read_text().splitlines(), 1) if "weights += " in s)
    assert _errors(trace) == [("gradient-scale", line)]
    assert "12 samples" in next(f.message for f in trace.findings if f.id == "gradient-scale")


def test_a_per_record_accumulator_is_no_parameter_and_an_evaluation_is_no_sample(tmp_path: Path) -> None:
    path = _write(tmp_path, RECORDS.format(epochs=3, scale="/ 12"))
    structure = _structure(path)
    assert len(structure.steps) == 3  # one per epoch, not one per record
    assert {u.site for u in structure.updates} == {structure.updates[0].site}
    assert all(len(step.pairs) == 12 for step in structure.steps)  # the evaluation after the update is not one
    trace = record_code(path, loss="half_sse", reduction="mean")
    assert not _errors(trace), _errors(trace)
    assert trace.train_steps == 3


@pytest.mark.parametrize(("program", "limit", "total"), [
    (LISTS.format(epochs=3, batch=2, sign="-"), 5, 12),
    (RECORDS.format(epochs=6, scale="/ 12"), 2, 6),
])
def test_bounded_recording_cuts_where_the_analysis_finds_the_steps(
    tmp_path: Path, program: str, limit: int, total: int,
) -> None:
    path = _write(tmp_path, program)
    assert len(_structure(path, steps=10_000).steps) == total
    run = run_file(path, 0, steps=limit)
    assert run.total_steps == total
    structure = Structure(run.recorder.nodes, [(f.site, f.op, f.parents) for f in run.recorder.failed])
    assert len(structure.steps) == limit
    trace = record_code(path, loss="half_sse", reduction="mean", steps=limit)
    assert trace.train_steps == limit and not _errors(trace)


def test_data_preparation_is_no_training_step(tmp_path: Path) -> None:
    path = _write(tmp_path, PREP.format(steps=4))
    lines = path.read_text().splitlines()
    prep_end = next(n for n, s in enumerate(lines, 1) if s.startswith("W = "))
    trace = record_code(path, loss="half_sse", reduction="mean")
    assert trace.train_steps == 4 and not _errors(trace)
    shown = [s for s in trace.steps if s.source is not None and s.source.line < prep_end]
    # Only what training reads of it (X and Y, as the shuffling loop left them), not the loops' ops.
    assert {s.target for s in shown} == {"X", "Y"}
    assert all(s.train_step == 0 for s in shown)
    x = next(s for s in shown if s.target == "X")
    structure = _structure(path)
    assert structure.prepared > 100  # two loops of 20 rows ran before step 0
    np.testing.assert_array_equal(x.value, structure.nodes[structure.steps[0].data[0]].value)


def _imports(path: Path) -> set[str]:
    """The codetrace modules a file imports, TYPE_CHECKING imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bptrace.codetrace."):
            found.add(node.module.rsplit(".", 1)[1])
    return found


def test_no_import_cycle_through_the_update_rule() -> None:
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}

    def reaches(start: str, goal: str) -> bool:
        seen, stack = set(), list(graph.get(start, ()))
        while stack:
            current = stack.pop()
            if current == goal:
                return True
            if current not in seen:
                seen.add(current)
                stack.extend(graph.get(current, ()))
        return False

    # The cycles the issue named (bound ↔ runtime, bound → structure → … → bound, layers ↔ structure).
    for module in ("updates", "bound", "runtime", "layers"):
        assert not reaches(module, module), module
    assert not reaches("structure", "layers") or not reaches("layers", "structure")
    assert graph["updates"] == set()  # the rule depends on nothing in codetrace
    assert "updates" in graph["structure"] and "updates" in graph["bound"]


def test_a_preparation_loop_keeps_no_copy_per_row(tmp_path: Path) -> None:
    """A one-hot loop over 2,000 rows of a (2000, 50) array: a copy per row would be 1.6 GB."""
    import tracemalloc

    path = _write(tmp_path, '''import numpy as np
labels = np.arange(2000) % 50
Y = np.zeros((2000, 50))
for i in range(2000):
    Y[i, labels[i]] = 1.0
X = np.random.rand(2000, 3)
W = np.random.randn(3, 50) * 0.1
for step in range(2):
    A = X @ W
    dA = (A - Y) / 2000
    dA[A < -5] = 0.0
    W -= 0.1 * (X.T @ dA)
''')
    tracemalloc.start()
    try:
        run = run_file(path, 0, steps=50)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 200 * 2**20, peak
    nodes = run.recorder.nodes
    # Once training has begun, a write in place still keeps the version before it.
    masked = [n for n in nodes if n.op == "setitem" and n.value.shape == (2000, 50) and n.parents[0] > 4000]
    assert masked and all(nodes[n.parents[0]].value is not n.value for n in masked)
