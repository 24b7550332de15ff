from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from bptrace.gradcheck import check, learner_names, relative_error
from bptrace.sources import trace_from_source

ROOT = Path(__file__).resolve().parents[2]


def test_relative_error_is_the_classic_gradient_check() -> None:
    g = np.array([[1.0, -2.0], [0.5, 4.0]])
    assert relative_error(g, g.copy()) == 0.0
    assert math.isclose(relative_error(2 * g, g), 1 / 3)  # ‖g‖ / 3‖g‖: a factor 2 off
    assert math.isclose(relative_error(-g, g), 1.0)
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert math.isnan(relative_error(g, g[:, :1]))  # bias summed over the wrong axis: no number, a ✗


def test_a_gradient_off_by_the_batch_size_fails_the_check() -> None:
    trace = trace_from_source(ROOT / "scenarios" / "gallery" / "gradient_scale.toml")
    rows = {row.name: row for row in check(trace)}
    assert set(rows) == {"W1", "b1", "W2", "b2"}
    wrong = [name for name, row in rows.items() if not row.agrees]
    assert wrong and all(rows[name].worst > 0.1 for name in wrong)
    assert all(row.worst < 1e-12 for row in rows.values() if row.agrees)


def test_the_learners_own_names_are_read_from_its_updates() -> None:
    trace = trace_from_source(ROOT / "tests" / "fixtures" / "class_rows.py", loss="bce")
    assert learner_names(trace) == {"W2": "self.w_out", "b2": "self.b_out", "W1": "self.w_in", "b1": "self.b_in"}
    assert {row.name: row.learner_name for row in check(trace)}["W1"] == "self.w_in"
