"""The headless report of ``bptrace run``: a step table, the losses, the findings (rich)."""

from __future__ import annotations

import re
from pathlib import Path

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from bptrace.numbers import array_summary, number, shape_text
from bptrace.trace import Finding, SourceRef, Trace

_MARKS = {"error": ("✗", "bold red"), "warning": ("⚠", "yellow"), "info": ("i", "cyan")}
MAX_LOSS_ROWS = 12
# Code mode's note when only the first training steps were recorded (bptrace/codetrace/bound.py writes it).
_BOUNDED = re.compile(r"Recorded in detail: [^()]*\(\d+ of \d+\)[^.]*\.")


def step_table(trace: Trace, train_step: int = 0) -> Table:
    severities = {f.id: f.severity for f in trace.findings}
    table = Table(title=f"Training step {train_step}", title_justify="left", expand=False, pad_edge=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("phase")
    main_file = Path(trace.scenario.source_file).name if trace.scenario.source_file else None
    with_lines = any(step.source for step in trace.steps)
    if with_lines:
        table.add_column("line", justify="right", no_wrap=True, style="dim")
    table.add_column("formula", overflow="fold")
    table.add_column("shape", justify="right")
    table.add_column("value", overflow="fold")
    table.add_column("", no_wrap=True)
    for step in trace.steps:
        if step.train_step != train_step:
            continue
        marks = Text()
        for finding_id in step.findings:
            mark, style = _MARKS[severities.get(finding_id, "error")]
            marks.append(mark, style=style)
        formula = step.formula.text if step.formula else f"{step.target} = {step.op}({', '.join(step.inputs)})"
        lines = [_line_label(step.source, main_file)] if with_lines else []
        table.add_row(  # Text, not str: a str cell is rich markup, and "A1[b:]" or "x[/y]" come from input
            str(step.index), step.phase, *map(Text, lines), Text(formula), shape_text(step.shape),
            array_summary(step.value), marks,
        )
    return table


def _line_label(source: SourceRef | None, main_file: str | None) -> str:
    """The learner's own file is implied: ``38``; a notebook cell ``cell6:2``; another module ``helpers.py:4``."""
    if source is None:
        return ""
    file, _, cell = source.file.partition("#")
    if file == main_file:
        return f"{cell}:{source.line}" if cell else str(source.line)
    return f"{source.file}:{source.line}"


def loss_table(trace: Trace) -> Table:
    table = Table(title="Loss per training step", title_justify="left", pad_edge=False)
    table.add_column("step", justify="right")
    table.add_column("loss", justify="right")
    losses = list(enumerate(trace.losses))
    if len(losses) > MAX_LOSS_ROWS:
        half = MAX_LOSS_ROWS // 2
        shown = [*losses[:half], None, *losses[-half:]]
    else:
        shown = losses
    for row in shown:
        if row is None:
            table.add_row("…", "…")
        else:
            table.add_row(str(row[0]), number(row[1], 6))
    return table


def finding_text(finding: Finding) -> Text:
    mark, style = _MARKS[finding.severity]
    text = Text()
    text.append(f"{mark} {finding.id}", style=style)
    where = []
    if finding.step is not None:
        where.append(f"step {finding.step}")
    if finding.file:
        where.append(f"{finding.file}:{finding.line}" if finding.line else finding.file)
    if where:
        text.append(f" ({', '.join(where)})", style="dim")
    text.append(f"\n  {finding.message}")
    return text


def render(trace: Trace, console: Console) -> None:
    info = trace.scenario
    console.print(Text(info.name, style="bold"), Text(f"  {info.mode} mode · loss {info.loss} ({info.reduction})", style="dim"))
    for note in info.notes:
        if not _BOUNDED.search(note):  # that one is printed below, in yellow
            console.print(Text(note, style="dim"))
    bounded = _BOUNDED.search(info.description) if info.mode == "code" else None
    if bounded:  # the findings below hold for the recorded steps only
        console.print(Text(bounded.group(0), style="yellow"))
    console.print(step_table(trace, 0))
    if trace.train_steps > 1:
        console.print(Text(f"(steps of training steps 1–{trace.train_steps - 1} are in the trace: "
                           "bptrace export or the TUI)", style="dim"))
    console.print(loss_table(trace))
    if trace.findings:
        console.print(Group(*(finding_text(f) for f in trace.findings)))
    errors = trace.error_count()
    warnings = sum(1 for f in trace.findings if f.severity == "warning")
    summary_style = "bold red" if errors else "bold green"
    console.print(Text(f"{errors} error(s), {warnings} warning(s)", style=summary_style))
