"""The headless report of ``bptrace run`` (rich): the answer first, the step table on request."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bptrace.numbers import array_summary, shape_text
from bptrace.report_verdicts import gradient_check, loss_summary
from bptrace.trace import Finding, SourceRef, Trace, budget_note, loss_said, recorded_train_steps

_MARKS = {"error": ("✗", "bold red"), "warning": ("⚠", "yellow"), "info": ("i", "cyan")}
CONTEXT_BEFORE = 3  # steps shown before a finding's own
NARROW = 80  # below this width the step table leaves out the phase column


def step_table(trace: Trace, indices: range, title: str, width: int | None = None) -> Table:
    """The steps at ``indices``; narrow terminals drop the phase column before squeezing the others."""
    table = Table(title=title, title_justify="left", expand=False, pad_edge=False)
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    with_phase = width is None or width >= NARROW
    if with_phase:
        table.add_column("phase", no_wrap=True)
    main_file = Path(trace.scenario.source_file).name if trace.scenario.source_file else None
    with_lines = any(step.source for step in trace.steps[indices.start:indices.stop])
    if with_lines:
        table.add_column("line", justify="right", no_wrap=True, style="dim")
    table.add_column("formula", overflow="fold", min_width=12)
    table.add_column("shape", justify="right", no_wrap=True)
    table.add_column("value", overflow="fold", min_width=12)
    table.add_column("", no_wrap=True)
    for step in trace.steps[indices.start:indices.stop]:
        marks = Text()
        for severity in {f.id: f.severity for f in trace.findings_at(step.index)}.values():
            mark, style = _MARKS[severity]
            marks.append(mark, style=style)
        formula = step.formula.text if step.formula else f"{step.target} = {step.op}({', '.join(step.inputs)})"
        lines = [Text(_line_label(step.source, main_file))] if with_lines else []
        phase = [step.phase] if with_phase else []
        table.add_row(
            str(step.index), *phase, *lines, Text(formula), shape_text(step.shape), Text(array_summary(step.value)),
            marks,
        )
    return table


def training_step_range(trace: Trace, train_step: int) -> range:
    """The steps of one training step (steps are recorded in order, so they are contiguous)."""
    indices = [step.index for step in trace.steps if step.train_step == train_step]
    return range(indices[0], indices[-1] + 1) if indices else range(0)


def _line_label(source: SourceRef | None, main_file: str | None) -> str:
    """The learner's own file is implied: ``38``; a notebook cell ``cell6:2``; another module ``helpers.py:4``."""
    if source is None:
        return ""
    file, _, cell = source.file.partition("#")
    if file == main_file:
        return f"{cell}:{source.line}" if cell else str(source.line)
    return f"{source.file}:{source.line}"


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
    if finding.fix:
        text.append(" Fix: ", style="bold")
        text.append(finding.fix)
    return text


def render(trace: Trace, console: Console, *, table: range | None = None, quiet: bool = False) -> None:
    """The answer first: header, gradient check, findings with their steps, the loss; then, if asked,
    the step table for ``table`` (step indices). ``quiet``: the findings and the exit line only."""
    width = console.width
    if not quiet:
        _header(trace, console)
        check = gradient_check(trace)
        if check is not None:
            console.print(check)
    for finding in trace.findings:
        if not quiet and finding.step is not None and 0 <= finding.step < len(trace.steps):
            console.print(step_table(trace, _around(trace, finding.step), f"Around step {finding.step}", width))
        console.print(finding_text(finding))
    if not quiet:
        console.print(loss_summary(trace, width))
        if table is not None:
            _full_table(trace, console, table, width)
        elif trace.steps:
            count = len(trace.steps)
            console.print(Text(f"(the {count} step{'s' * (count != 1)}: --table, or --table N..M for some; "
                               "bptrace export or the TUI)", style="dim"))
    errors = trace.error_count()
    warnings = trace.warning_count()
    summary_style = "bold red" if errors else "bold green"
    console.print(Text(f"{errors} error(s), {warnings} warning(s)", style=summary_style))


def _header(trace: Trace, console: Console) -> None:
    info = trace.scenario
    console.print(Text(info.name, style="bold"), Text(f"  {info.mode} mode · {loss_said(info)}", style="dim"))
    for said in (info.notes.get("loss_inferred"), info.notes.get("loss_unknown")):
        if isinstance(said, str):
            console.print(Text(said, style="dim"))
    bounded = recorded_train_steps(info)
    if bounded:  # the findings below hold for the recorded steps only
        console.print(Text(bounded, style="yellow"))
    kept = budget_note(info, trace.train_steps)
    if kept:  # findings need values: they are looked for in the kept steps only
        console.print(Text(kept, style="yellow"))


def _around(trace: Trace, index: int) -> range:
    """A few steps before a finding's step and one after, within its training step."""
    own = training_step_range(trace, trace.steps[index].train_step)
    return range(max(own.start, index - CONTEXT_BEFORE), min(own.stop, index + 2))


def _full_table(trace: Trace, console: Console, wanted: range, width: int) -> None:
    """One table per training step, over the wanted step indices."""
    wanted = range(max(0, wanted.start), min(len(trace.steps), wanted.stop))
    for train_step in range(trace.train_steps):
        own = training_step_range(trace, train_step)
        part = range(max(own.start, wanted.start), min(own.stop, wanted.stop))
        if len(part):
            console.print(step_table(trace, part, f"Training step {train_step}", width))
