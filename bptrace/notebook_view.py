"""What a ``%%bptrace`` cell shows under itself: the verdict, then the trace viewer.

Both are plain objects with ``_repr_mimebundle_`` (HTML, and text for a terminal IPython), so this
module needs no IPython. Every string from the trace is escaped (``html.escape``); the viewer is the
HTML export (no scripts, nothing fetched, its own CSP) inside a sandboxed ``<iframe srcdoc>``.
"""

from __future__ import annotations

import io
import linecache
import math
from html import escape

from bptrace.export import notes
from bptrace.export.html_format import loss_sparkline
from bptrace.gradcheck import ParameterCheck, check
from bptrace.numbers import number
from bptrace.trace import Finding, Trace, loss_said

# px; the export's timeline is sticky at 100vh, so it scrolls on its own beside the steps. A sandboxed
# frame runs no script to measure its page, so the height is fixed; the frame's corner resizes it.
VIEWER_HEIGHT = 640
_MARKS = {"error": "✗", "warning": "⚠", "info": "i"}
# A srcdoc document resolves links against the notebook page's address: without this base, the
# timeline's "#step-12" would load the notebook page itself inside the frame instead of scrolling.
_BASE = '<base href="about:srcdoc">'

_STYLE = """<style>
.bptrace-verdict { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; font-size: 14px;
  line-height: 1.45; max-width: 60rem; }
.bptrace-verdict h4 { margin: 0.2em 0 0.4em; font-size: 1.05em; }
.bptrace-verdict .dim { opacity: 0.7; }
.bptrace-verdict table.check { border-collapse: collapse; margin: 0.3em 0 0.8em; }
.bptrace-verdict table.check th, .bptrace-verdict table.check td { padding: 0.15em 0.8em; text-align: right;
  border-bottom: 1px solid rgba(127,127,127,0.3); font-variant-numeric: tabular-nums; }
.bptrace-verdict table.check th:first-child, .bptrace-verdict table.check td:first-child { text-align: left; }
.bptrace-verdict .bad { color: #cf222e; font-weight: 600; }
.bptrace-verdict .good { color: #1a7f37; font-weight: 600; }
.bptrace-verdict .finding { border-left: 4px solid #cf222e; background: rgba(207,34,46,0.07); padding: 0.4em 0.8em;
  margin: 0.5em 0; border-radius: 0 4px 4px 0; }
.bptrace-verdict .finding.warning { border-left-color: #bf8700; background: rgba(191,135,0,0.08); }
.bptrace-verdict .finding.info { border-left-color: #0969da; background: rgba(9,105,218,0.07); }
.bptrace-verdict .finding p { margin: 0.25em 0; }
.bptrace-verdict pre.quote { margin: 0.3em 0; padding: 0.3em 0.6em; background: rgba(127,127,127,0.12);
  border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; }
.bptrace-verdict pre.quote .ln { opacity: 0.6; margin-right: 1em; user-select: none; }
.bptrace-verdict code { font-size: 0.92em; }
.bptrace-verdict .summary { font-weight: 700; margin-top: 0.6em; }
.bptrace-verdict svg.sparkline { max-width: 100%; height: 48px; color: #8250df; }
</style>"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def place(trace: Trace, finding: Finding) -> str:
    """``cell line 24, step 31``: the traced cell is "cell"; another file (a module beside the
    notebook) by its name."""
    parts = []
    if finding.line is not None:
        own = finding.file is None or finding.file == trace.scenario.source_file
        parts.append(f"{'cell' if own else finding.file} line {finding.line}")
    elif finding.file:
        parts.append(finding.file)
    if finding.step is not None:
        parts.append(f"step {finding.step}")
    return ", ".join(parts)


def quoted_line(trace: Trace, finding: Finding) -> str | None:
    """The guilty line: from the cell's text, or from a module beside the notebook (linecache)."""
    line = notes.source_line(trace, finding.file, finding.line)
    if line is None and finding.file and finding.line and finding.file != trace.scenario.source_file:
        line = linecache.getline(finding.file, finding.line).rstrip("\n") or None
    return line


def _error(value: float) -> str:
    if math.isnan(value):
        return '<span class="dim">—</span>'
    text = f"{value:.1e}"
    return f'<span class="bad">{text}</span>' if value > 1e-4 else text


def _check_table(rows: list[ParameterCheck]) -> str:
    named = any(row.learner_name for row in rows)
    head = "<th>parameter</th>" + ("<th>in your code</th>" if named else "") + \
        "<th>shape</th><th>worst</th><th>median</th><th>steps</th><th></th>"
    body = []
    for row in rows:
        mark = '<span class="good">✓</span>' if row.agrees else '<span class="bad">✗</span>'
        learner = f"<td><code>{_e(row.learner_name or '')}</code></td>" if named else ""
        shape = "×".join(str(n) for n in row.shape) or "scalar"
        body.append(f"<tr><td><code>{_e(row.name)}</code></td>{learner}<td>{_e(shape)}</td><td>{_error(row.worst)}</td>"
                    f"<td>{_error(row.median)}</td><td>{row.checked}</td><td>{mark}</td></tr>")
    return (f'<table class="check"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>')


def _finding(trace: Trace, finding: Finding) -> str:
    note = notes.note_for(finding)
    parts = [f'<p><b>{_MARKS.get(finding.severity, "")} {_e(note.title)}</b> <code>{_e(finding.id)}</code> '
             f'<span class="dim">· {_e(place(trace, finding))}</span></p>']
    line = quoted_line(trace, finding)
    if line is not None:
        parts.append(f'<pre class="quote"><span class="ln">{finding.line}</span>{_e(line)}</pre>')
    parts.append(f"<p>{_e(note.message)}</p>")
    if note.fix:
        parts.append(f"<p><b>Fix:</b> {_e(note.fix)}</p>")
    return f'<div class="finding {_e(finding.severity)}">{"".join(parts)}</div>'


def _notes(trace: Trace) -> str:
    """What code mode said (the loss inferred or not, steps recorded, interrupted): its notes' ``said``; for a
    trace from before that key, the description without its opening "Code mode: …, traced as it runs." (the
    heading says which cell)."""
    info = trace.scenario
    said = info.notes.get("said")
    if isinstance(said, list) and all(isinstance(sentence, str) for sentence in said):
        return " ".join(said).strip()
    about = f"Code mode: {info.name}, traced as it runs."
    return info.description.removeprefix(about).strip()


def verdict_html(trace: Trace) -> str:
    info = trace.scenario
    parts = [
        _STYLE,
        '<div class="bptrace-verdict">',
        f'<h4>bptrace · <span class="dim">{_e(info.name)} · {_e(loss_said(info))}</span></h4>',
    ]
    said = _notes(trace)
    if said:
        parts.append(f'<p class="dim">{_e(said)}</p>')
    rows = check(trace)
    if rows:
        parts.append('<p><b>Gradient check</b> <span class="dim">· your gradient g against the true ĝ, relative error '
                     "‖g−ĝ‖/(‖g‖+‖ĝ‖) over the checked training steps</span></p>")
        parts.append(_check_table(rows))
    parts.extend(_finding(trace, f) for f in trace.findings)
    finite = [x for x in trace.losses if math.isfinite(x)]
    if len(finite) > 1:  # the sparkline says from what to what, and the lowest
        parts.append(f"<p><b>Loss</b> per training step</p>{loss_sparkline(trace.losses, height=48)}")
    elif finite:
        parts.append(f"<p><b>Loss</b>: {_e(number(finite[0], 6))}</p>")
    errors = trace.error_count()
    warnings = trace.warning_count()
    css = "bad" if errors else "good"
    parts.append(f'<p class="summary {css}">{errors} error(s), {warnings} warning(s)</p></div>')
    return "".join(parts)


def verdict_text(trace: Trace, width: int = 100) -> str:
    """The ``bptrace run`` report, for a frontend that shows text only (IPython in a terminal)."""
    from rich.console import Console

    from bptrace.inert import inert_trace
    from bptrace.report import render

    out = io.StringIO()
    render(
        inert_trace(trace), Console(file=out, width=width, color_system=None, force_terminal=False, force_jupyter=False)
    )
    return out.getvalue()


def viewer_html(trace: Trace, height: int = VIEWER_HEIGHT) -> str:
    """The HTML export in a sandboxed frame: no scripts, forms, popups or top navigation (``sandbox``
    with no permissions), nothing fetched (the export's own CSP). ``srcdoc`` is escaped whole."""
    from bptrace.export.html_format import render

    page = render(trace).replace("<head>\n", f"<head>\n{_BASE}\n", 1)
    return (
        f'<iframe sandbox="" srcdoc="{escape(page, quote=True)}" '
        f'title="bptrace trace viewer: {_e(trace.scenario.name)}" '
        f'style="box-sizing: border-box; width: 100%; height: {int(height)}px; resize: vertical; overflow: auto; '
        'border: 1px solid rgba(127,127,127,0.4); border-radius: 4px;">'
        "</iframe>"
    )


class Verdict:
    """The verdict under a cell: gradient check, findings with their lines, loss, the error count."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return {"text/html": verdict_html(self.trace), "text/plain": verdict_text(self.trace)}


class Viewer:
    """The trace viewer under a cell (the HTML export, framed)."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        text = (f"(the trace viewer, {len(self.trace.steps)} steps, shows in a notebook; here, bptrace.last_trace() "
                "returns the trace and bptrace.export.export_trace(trace, path) writes it as HTML)")
        return {"text/html": viewer_html(self.trace), "text/plain": text}
