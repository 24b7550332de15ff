"""What changed between two runs of the same code: findings gone and new, and where a place went.

Watch mode re-runs the learner's script on every save, and the learner then asks two things: did my
change work (which findings are gone, which are new), and where am I (the same training step and the
same line or parameter, though the edit moved lines and steps around). Both are answered here, from
two Traces and nothing else, so ``run --watch`` and the TUI say the same. No Textual, no sympy.

Lines are followed through a diff of the two source texts: a comment added above line 29 makes it
line 30, and a finding still at that line is the same finding, not one gone and one new.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath

from bptrace.trace import Finding, Step, Trace

FIXED, NEW = "fixed", "new"


class LineMap:
    """Line numbers of the learner's main file in the old text, to the new text's.

    ``strict`` maps only lines kept as they were, or rewritten in place (a block of edited lines as long
    as the one it replaced: the one-line fix); otherwise a removed line goes to the line after it.
    """

    def __init__(self, file: str | None, old: str | None, new: str | None) -> None:
        self.file = file  # the name findings and steps give the main file ("impl.py"); None: no map
        self._strict: dict[int, int] = {}
        self._near: dict[int, int] = {}
        if file is None or old is None or new is None:
            return
        old_lines, new_lines = old.splitlines(), new.splitlines()
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            for i in range(i1, i2):
                offset = i - i1
                if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                    self._strict[i + 1] = self._near[i + 1] = j1 + offset + 1
                elif j2 > j1:  # a block rewritten to another length: its start, or as far as it goes
                    self._near[i + 1] = j1 + min(offset, j2 - j1 - 1) + 1
                else:  # deleted: the line that now follows
                    self._near[i + 1] = min(j1 + 1, max(len(new_lines), 1))

    @classmethod
    def between(cls, old: Trace, new: Trace) -> LineMap:
        """The map for two recordings of one script: only a .py file's text is its lines as numbered."""
        a, b = old.scenario, new.scenario
        file = main_file(new)
        plain = file is not None and file == main_file(old) and PurePath(file).suffix.lower() == ".py"
        return cls(file if plain else None, a.source_text, b.source_text)

    def line(self, file: str | None, line: int | None, *, strict: bool = True) -> int | None:
        """Where ``line`` of ``file`` is now; lines of other files (helper modules) are not followed."""
        if line is None or file is None or self.file is None or file != self.file:
            return line
        return (self._strict if strict else self._near).get(line)


def main_file(trace: Trace) -> str | None:
    source = trace.scenario.source_file
    return PurePath(source).name if source else None


# ---------------------------------------------------------------------------------- places


@dataclass(frozen=True, slots=True)
class Place:
    """A step in the learner's terms: training step, line, what it computes (and which time on that line)."""

    train_step: int
    phase: str
    file: str | None
    line: int | None
    target: str
    parameter: str | None
    occurrence: int  # earlier steps of this training step with the same file, line and target
    index: int  # the step index itself: the last resort


def _key(step: Step) -> tuple[str | None, int | None, str]:
    return (step.source.file if step.source else None, step.source.line if step.source else None, step.target)


def place_of(trace: Trace, index: int) -> Place:
    step = trace.steps[index]
    key = _key(step)
    occurrence = sum(1 for s in trace.steps[:index] if s.train_step == step.train_step and _key(s) == key)
    return Place(step.train_step, step.phase, key[0], key[1], step.target, step.parameter, occurrence, index)


def relocate(trace: Trace, place: Place, lines: LineMap) -> int:
    """The step of ``trace`` at ``place``: the same training step (or the last one recorded), then the same
    parameter, else the same line and target (the same occurrence), the same line, the same phase."""
    if not trace.steps:
        raise ValueError("a trace with no steps has no places")
    last = trace.steps[-1].train_step
    train_step = min(place.train_step, last)
    steps = [s for s in trace.steps if s.train_step == train_step]
    if not steps:
        return min(place.index, len(trace.steps) - 1)
    line = lines.line(place.file, place.line, strict=False)

    def first(matching: Iterable[Step]) -> Step | None:
        return next(iter(matching), None)

    found = None
    if place.parameter is not None:
        found = first(s for s in steps if s.parameter == place.parameter and s.phase == place.phase)
    if found is None and line is not None:
        same = [s for s in steps if _key(s) == (place.file, line, place.target)]
        found = same[min(place.occurrence, len(same) - 1)] if same else None
        found = found or first(s for s in steps if s.source and (s.source.file, s.source.line) == (place.file, line))
    found = found or first(s for s in steps if s.target == place.target and s.phase == place.phase)
    found = found or first(s for s in steps if s.phase == place.phase) or steps[0]
    return found.index


# ---------------------------------------------------------------------------------- findings


@dataclass(frozen=True, slots=True)
class VerdictDiff:
    """Findings of the new run against the last: gone, new, and still there (old, new)."""

    gone: tuple[Finding, ...]
    new: tuple[Finding, ...]
    kept: tuple[tuple[Finding, Finding], ...]
    errors: int
    warnings: int
    main_file: str | None
    # Steps of the new trace whose verdict flipped: FIXED (a finding there is gone) or NEW (one appeared).
    flipped: dict[int, str]

    @property
    def changed(self) -> bool:
        return bool(self.gone or self.new)

    def lines(self) -> list[str]:
        """What changed, one line each, the last ending with the new totals:
        ``✓ derivative-on-preactivation at line 29 is gone; 0 errors``."""
        out = [f"✓ {f.id}{self._where(f)} is gone" for f in self.gone]
        out += [f"{'✗' if f.severity == 'error' else '⚠'} new: {f.id}{self._where(f)}" for f in self.new]
        totals = _count(self.errors, "error") + (f", {_count(self.warnings, 'warning')}" if self.warnings else "")
        if not out:
            return [f"No change in the findings since the last run; {totals}"]
        out[-1] += f"; {totals}"
        return out

    def _where(self, finding: Finding) -> str:
        if finding.line is None:
            return ""
        if finding.file is None or finding.file == self.main_file:
            return f" at line {finding.line}"
        return f" at {finding.file}:{finding.line}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def diff_findings(old: Trace, new: Trace, lines: LineMap | None = None) -> VerdictDiff:
    """Match the old run's findings with the new one's: same id at the same (followed) line first,
    then same id in the same file (it moved); the rest are gone or new."""
    lines = lines or LineMap.between(old, new)
    left = list(new.findings)
    kept: list[tuple[Finding, Finding]] = []
    unmatched: list[Finding] = []
    for finding in old.findings:
        line = lines.line(finding.file, finding.line)
        match = next((f for f in left if (f.id, f.file, f.line) == (finding.id, finding.file, line)), None)
        if match is None:
            unmatched.append(finding)
        else:
            left.remove(match)
            kept.append((finding, match))
    gone: list[Finding] = []
    for finding in unmatched:
        match = next((f for f in left if (f.id, f.file) == (finding.id, finding.file)), None)
        if match is None:
            gone.append(finding)
        else:
            left.remove(match)
            kept.append((finding, match))
    flipped: dict[int, str] = {}
    if new.steps:
        for finding in gone:
            if finding.step is not None and 0 <= finding.step < len(old.steps):
                flipped[relocate(new, place_of(old, finding.step), lines)] = FIXED
        for finding in left:  # a new finding wins over a fixed one on the same step
            if finding.step is not None and 0 <= finding.step < len(new.steps):
                flipped[finding.step] = NEW
    return VerdictDiff(
        gone=tuple(gone), new=tuple(left), kept=tuple(kept),
        errors=sum(1 for f in new.findings if f.severity == "error"),
        warnings=new.warning_count(),
        main_file=main_file(new), flipped=flipped,
    )
