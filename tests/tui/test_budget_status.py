"""Past the memory budget (--max-memory), the TUI says which training steps keep their values."""

from __future__ import annotations

from pathlib import Path

from bptrace.codetrace import record_code
from bptrace.tui.app import BptraceApp
from tests.tui.conftest import settle

# 3000 samples: each training step keeps a few 3000-row arrays, so a 1 MB budget holds only the first few.
LEARNER = '''\
import numpy as np

X = np.random.randn(3000, 8)
Y = (X[:, :1] > 0).astype(float)
W = np.random.randn(8, 1) * 0.1
b = np.zeros((1, 1))
for step in range(20):
    A = 1 / (1 + np.exp(-(X @ W + b)))
    dZ = (A - Y) / 3000
    W -= 0.5 * (X.T @ dZ)
    b -= 0.5 * dZ.sum(axis=0, keepdims=True)
'''


async def test_the_status_line_says_what_the_budget_kept(tmp_path: Path) -> None:
    script = tmp_path / "learner.py"
    script.write_text(LEARNER)
    trace = record_code(script, max_memory=1 << 20)
    kept = trace.scenario.notes["values_for_train_steps"]
    assert isinstance(kept, list) and 1 <= len(kept) < 20
    app = BptraceApp(trace)
    async with app.run_test(size=(160, 36)) as pilot:
        await settle(pilot)
        status = str(app.screen.query_one("#status").content)
    last = f"0–{kept[-1]}" if len(kept) > 1 else "0"
    assert f"values for training steps {last} of 20 (memory budget 1 MB)" in status
    assert len(trace.losses) == 20
