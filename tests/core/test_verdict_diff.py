"""verdict_diff: findings gone and new between two runs, and places followed across an edit.

The expectations are worked out from the source texts themselves (which line holds which statement),
not from the diff the module computes.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pytest

from bptrace.codetrace import record_code
from bptrace.trace import Finding, ScenarioInfo, Trace
from bptrace.verdict_diff import FIXED, NEW, LineMap, diff_findings, place_of, relocate

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "watch_sigmoid.py"
BUGGY = FIXTURE.read_text()
DEBUG_LINE = "    worst = np.max(np.abs(Ao - T))  # debugging: how far off is the worst sample?\n"
# The learner's fix: the activation to the helper, and the debugging line gone (steps and lines move up).
FIXED_TEXT = BUGGY.replace("sigmoid_derivative(Zo)", "sigmoid_derivative(Ao)").replace(DEBUG_LINE, "")


def number_of(text: str, start: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip().startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


@cache
def recorded(text: str) -> Trace:
    path = (
        Path(tempfile.mkdtemp(prefix="bptrace-diff-")) / "impl.py"
    )  # the same name in every version, as a learner's saves are
    path.write_text(text)
    return record_code(path)


def test_the_fix_is_reported_gone_with_the_new_totals() -> None:
    old, new = recorded(BUGGY), recorded(FIXED_TEXT)
    diff = diff_findings(old, new)
    line = number_of(BUGGY, "dZo =")
    assert [(f.id, f.line) for f in diff.gone] == [("derivative-on-preactivation", line)]
    assert diff.new == () and diff.errors == 0
    assert diff.lines() == [f"✓ derivative-on-preactivation at line {line} is gone; 0 errors"]
    # The timeline marks the step that was wrong, where it is in the new trace: dZo in training step 0.
    (step, flip), = diff.flipped.items()
    assert flip == FIXED
    assert (new.steps[step].target, new.steps[step].train_step) == ("dZo", 0)
    assert new.steps[step].source.line == number_of(FIXED_TEXT, "dZo =")


def test_a_mistake_brought_back_is_new() -> None:
    old, new = recorded(FIXED_TEXT), recorded(BUGGY)
    diff = diff_findings(old, new)
    assert diff.gone == ()
    assert diff.lines() == [f"✗ new: derivative-on-preactivation at line {number_of(BUGGY, 'dZo =')}; 1 error"]
    assert list(diff.flipped.values()) == [NEW]
    assert new.finding_ids_at(next(iter(diff.flipped))) == ("derivative-on-preactivation",)


def test_a_finding_that_only_moved_is_the_same_finding() -> None:
    moved = BUGGY.replace("for it in range(3):", "# three steps are enough to see it\nfor it in range(3):")
    diff = diff_findings(recorded(BUGGY), recorded(moved))
    assert not diff.changed and len(diff.kept) == 1
    old, new = diff.kept[0]
    assert new.line == old.line + 1
    assert diff.lines() == ["No change in the findings since the last run; 1 error"]


@pytest.mark.parametrize("train_step", [0, 1, 2])
def test_every_place_follows_its_statement(train_step: int) -> None:
    """Each step on a line of the script goes to the step of the same training step, on the line that now
    holds the same statement, computing the same thing (the same time it does so on that line)."""
    old, new = recorded(BUGGY), recorded(FIXED_TEXT)
    old_lines, new_lines = BUGGY.splitlines(), FIXED_TEXT.splitlines()
    lines = LineMap.between(old, new)
    checked = 0
    for step in old.steps:
        if step.train_step != train_step or step.source is None:
            continue
        statement = old_lines[step.source.line - 1]
        if new_lines.count(statement) != 1 or "sigmoid_derivative(" in statement or step.index < 6:
            continue  # edited or removed, a statement twice, or the helper's lines (shared by several calls)
        found = new.steps[relocate(new, place_of(old, step.index), lines)]
        assert (found.train_step, found.target) == (train_step, step.target)
        assert found.source is not None and found.source.line == new_lines.index(statement) + 1
        checked += 1
    assert checked >= 15
    # Step indices moved (the debugging line's ops are gone): the cursor keeps the place, not the index.
    dzo = [s.index for s in old.steps if s.target == "dZo" and s.train_step == train_step]
    assert relocate(new, place_of(old, dzo[0]), lines) != dzo[0]


def test_an_update_keeps_its_parameter() -> None:
    old, new = recorded(BUGGY), recorded(FIXED_TEXT)
    update = next(s.index for s in old.steps if s.train_step == 2 and s.phase == "update" and s.parameter == "W2")
    found = new.steps[relocate(new, place_of(old, update), LineMap.between(old, new))]
    assert (found.train_step, found.phase, found.parameter) == (2, "update", "W2")


def test_fewer_training_steps_keep_the_last_one() -> None:
    old = recorded(BUGGY)
    shorter = recorded(BUGGY.replace("range(3)", "range(2)"))
    last = next(s.index for s in old.steps if s.train_step == 2 and s.target == "dWh")
    found = shorter.steps[relocate(shorter, place_of(old, last), LineMap.between(old, shorter))]
    assert (found.train_step, found.target) == (1, "dWh")


def test_line_map_by_hand() -> None:
    old = "a\nb\nc\nd\ne\n"
    new = "a\nB\nc\ne\nf\n"  # b edited in place, d deleted, f added
    lines = LineMap("x.py", old, new)
    assert [lines.line("x.py", n) for n in range(1, 6)] == [1, 2, 3, None, 4]
    assert lines.line("x.py", 4, strict=False) == 4  # a deleted line: the one that now follows
    assert lines.line("helper.py", 4) == 4  # other files are not followed
    assert LineMap(None, old, new).line("x.py", 4) == 4


def _trace(findings: list[Finding], file: str = "impl.py") -> Trace:
    info = ScenarioInfo("t", "code", "half_sse", "sum", source_file=f"/somewhere/{file}", source_text="x\n" * 50)
    return Trace(info, (), (), (), {}, tuple(findings))


def test_findings_in_another_file_and_warnings_are_named() -> None:
    old = _trace([Finding("gradient-scale", "error", None, "", "helpers.py", 4)])
    new = _trace([Finding("saturated-units", "warning", None, "", "impl.py", 9)])
    assert diff_findings(old, new).lines() == [
        "✓ gradient-scale at helpers.py:4 is gone",
        "⚠ new: saturated-units at line 9; 0 errors, 1 warning",
    ]
