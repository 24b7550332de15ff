"""A standalone HTML study note: one file, no scripts, nothing fetched.

Formulas are MathML (drawn natively by the browser), numbers are tables, a
timeline links every written-out step, findings stand out, and the page
follows the reader's light or dark preference. A Content-Security-Policy
forbids scripts and every network request, and every string from the trace
(names, messages, the learner's source) is escaped: a trace cannot inject
markup into the page. Text from input also sits in ``<bdi>`` (its own bidirectional
isolate): a U+202E or a right-to-left name in a file name, a scenario name, a message
or a source line cannot reorder bptrace's own words around it ("line 2, step 3"). Long
unbroken words wrap (the stylesheet) instead of widening the page.
Which training steps are written out: ``notes.py``.
"""

from __future__ import annotations

import re
from html import escape
from importlib import resources

import numpy as np

from bptrace.elided import Array
from bptrace.export import notes
from bptrace.export.mathml import latex_to_mathml
from bptrace.numbers import matrix_rows, number
from bptrace.trace import Finding, Formula, Step, Trace, budget_note, recorded_train_steps

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
LOSS_COLUMNS = 10


def e(value: object) -> str:
    """Escape any trace text for element content and attribute values alike."""
    return escape(str(value), quote=True)


# Explicit bidi controls (embeddings, overrides, isolates, marks). Where no element can
# isolate (the <title>, attribute values shown as tooltips) they are dropped and the text
# wrapped in FSI…PDI instead; a stray PDI left in would close that isolate early.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def t(value: object) -> str:
    """Input-derived text for element content: escaped and isolated (``<bdi>``), so whatever
    direction it runs in or forces stays inside it."""
    return f"<bdi>{e(value)}</bdi>"


def plain_isolated(value: object) -> str:
    """Input-derived text where no element can go (title, tooltips): controls dropped, FSI…PDI around."""
    return "\u2068" + _BIDI_CONTROLS.sub("", str(value)) + "\u2069"


def _css() -> str:
    return resources.files("bptrace.export").joinpath("html_format.css").read_text(encoding="utf-8")


def matrix_table(value: Array) -> str:
    """A table of about 4 significant digits, elided past 8×8 (``matrix_rows``); the shape is in the caption."""
    rows = matrix_rows(value)
    body = "".join(
        "<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows
    )
    return f'<table class="matrix"><tbody>{body}</tbody></table>'


def _cell(cell: str) -> str:
    if cell in ("…", "⋮", "⋱"):
        return f'<td class="elided">{cell}</td>'
    classes = "neg" if cell.startswith("-") else "nonfinite" if cell in ("nan", "inf") else ""
    return f'<td class="{classes}">{e(cell)}</td>' if classes else f"<td>{e(cell)}</td>"


class HtmlPrinter(notes.NotePrinter):
    # ------------------------------------------------------------ the page

    def _print_Trace(self, trace: Trace) -> str:
        detailed = self.begin(trace)
        info = trace.scenario
        sections = [self._header(trace, detailed)]
        if trace.findings:
            sections.append(self._findings_summary(trace))
        sections.append(self._losses(trace))
        if info.source_text is not None:
            sections.append(self._listing(trace))
        for train_step in detailed:
            sections.append(self._train_step(trace, train_step))
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<meta name="color-scheme" content="light dark">\n'
            '<meta name="generator" content="bptrace">\n'
            f"<title>{e(plain_isolated(info.name))} · bptrace</title>\n<style>\n{_css()}</style>\n</head>\n<body>\n"
            f'<div class="layout">\n{self._timeline(trace, detailed)}\n<main>\n'
            + "\n".join(sections)
            + "\n</main>\n</div>\n</body>\n</html>\n"
        )

    def _header(self, trace: Trace, detailed: tuple[int, ...]) -> str:
        info = trace.scenario
        facts = [("Mode", t(info.mode)), ("Loss", f"{t(info.loss)}, {t(info.reduction)} over samples")]
        if notes.network_text(trace):
            facts.append(("Network", f"{t(notes.network_text(trace))} ({t(info.layout)} layout)"))
        if info.source_file:
            facts.append(("Code", f"<code>{t(notes.code_file_name(trace))}</code>"))
        shown = ", ".join(f'<a href="#train-step-{n}">{n}</a>' for n in detailed) or "none"
        count = notes.train_step_count(trace)
        others = "; the others by their loss, choose with <code>--detail</code>" if count > len(detailed) else ""
        facts.append(("Training steps", f"{count} (written out in full: {shown}{others})"))
        errors = trace.error_count()
        facts.append(
            ("Findings", f'<a href="#findings">{len(trace.findings)}</a>' if trace.findings else "none")
            if not errors
            else (
                "Findings",
                f'<a href="#findings">{len(trace.findings)}</a>'
                f' <span class="badge severity-error">{errors} error{"s" * (errors != 1)}</span>',
            )
        )
        if (recorded := recorded_train_steps(info)) is not None:
            facts.append(("Recorded", t(recorded)))
        if (kept := budget_note(info, len(trace.losses))) is not None:
            facts.append(("Memory budget", t(kept)))
        rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        description = f'<p class="description">{t(info.description)}</p>' if info.description else ""
        return (f'<header id="top"><p class="kicker">bptrace trace</p><h1>{t(info.name)}</h1>{description}'
                f'<dl class="facts">{rows}</dl></header>')

    def _timeline(self, trace: Trace, detailed: tuple[int, ...]) -> str:
        items = ['<li><a href="#top">Overview</a></li>']
        if trace.findings:
            items.append(f'<li><a href="#findings">Findings ({len(trace.findings)})</a></li>')
        items.append('<li><a href="#losses">Losses</a></li>')
        if trace.scenario.source_text is not None:
            items.append('<li><a href="#source">Source</a></li>')
        for train_step in detailed:
            steps = []
            for step in notes.steps_of(trace, train_step):
                flagged = notes.findings_of(trace, step)
                mark = ""
                if flagged:
                    ids = e(", ".join(plain_isolated(f.id) for f in flagged))
                    mark = f' <span class="dot severity-{_worst(flagged)}" title="{ids}">●</span>'
                steps.append(
                    f'<li class="phase-{e(step.phase)}"><a href="#step-{step.index}">'
                    f'<span class="index">{step.index}</span> {t(step.op)} → {t(notes.gradient_name(step))}</a>'
                    f'{mark}</li>'
                )
            items.append(f'<li class="train-step"><a href="#train-step-{train_step}">Training step {train_step}</a>'
                         f'<ol class="steps">{"".join(steps)}</ol></li>')
        return f'<nav class="timeline" aria-label="Timeline"><h2>Timeline</h2><ol>{"".join(items)}</ol></nav>'

    def _findings_summary(self, trace: Trace) -> str:
        rows = []
        for finding in trace.findings:
            note = notes.note_for(finding)
            place = _where(finding)
            if finding.step is not None:
                place = f'<a href="#step-{finding.step}">{place}</a>'
            elif finding.line is not None and trace.scenario.source_text is not None:
                place = f'<a href="#L{finding.line}">{place}</a>'
            rows.append(
                f'<tr class="severity-{e(finding.severity)}"><td><span class="badge severity-{e(finding.severity)}">'
                f"{t(finding.severity)}</span></td><td>{t(note.title)}<br><code>{t(finding.id)}</code></td>"
                f"<td>{place}</td><td>{t(note.message)}</td></tr>"
            )
        unplaced = "".join(self.doprint(f) for f in trace.findings if f.step is None)
        return (f'<section id="findings"><h2>Findings</h2><table class="findings"><thead><tr><th>severity</th>'
                f"<th>finding</th><th>where</th><th>what</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
                f"{unplaced}</section>")

    def _losses(self, trace: Trace) -> str:
        losses = trace.losses
        if not losses:
            return '<section id="losses"><h2>Losses</h2><p>No loss was computed.</p></section>'
        width = min(LOSS_COLUMNS, len(losses))
        head = "<tr><th>step</th>" + "".join(f"<th>+{k}</th>" for k in range(width)) + "</tr>"
        body = []
        for start in range(0, len(losses), width):
            cells = "".join(f"<td>{e(number(x))}</td>" for x in losses[start:start + width])
            body.append(f"<tr><th>{start}</th>{cells}</tr>")
        return (
            f'<section id="losses"><h2>Losses</h2>{loss_sparkline(losses)}'
            '<p class="hint">Loss before each training step\'s update; row <i>n</i>, column <i>+k</i> is step '
            f'<i>n + k</i>.</p><table class="losses"><thead>{head}</thead><tbody>{"".join(body)}</tbody></table>'
            '</section>'
        )

    def _listing(self, trace: Trace) -> str:
        info = trace.scenario
        flagged: dict[int, str] = {}
        for finding in trace.findings:
            if finding.line is not None and (
                finding.file is None or notes.source_line(trace, finding.file, finding.line)
            ):
                flagged.setdefault(finding.line, finding.severity)
        lines = []
        for number_, line in enumerate((info.source_text or "").splitlines(), start=1):
            cls = f' class="line flagged severity-{e(flagged[number_])}"' if number_ in flagged else ' class="line"'
            lines.append(f'<span id="L{number_}"{cls}><a class="ln" href="#L{number_}">{number_}</a>{t(line)}</span>')
        return (f'<section id="source"><h2>Source: <code>{t(notes.code_file_name(trace))}</code></h2>'
                f'<pre class="listing"><code>{"".join(lines)}</code></pre></section>')

    def _train_step(self, trace: Trace, train_step: int) -> str:
        loss = f'<p class="loss">Loss before this step\'s update: <b>{e(number(trace.losses[train_step]))}</b></p>' \
            if train_step < len(trace.losses) else ""
        steps = "\n".join(self.doprint(step) for step in notes.steps_of(trace, train_step))
        return (f'<section class="train-step" id="train-step-{train_step}"><h2>Training step {train_step}</h2>'
                f'{loss}\n{steps}</section>')

    # ------------------------------------------------------------ one step

    def _print_Step(self, step: Step) -> str:
        assert self.trace is not None
        found = notes.findings_of(self.trace, step)
        classes = f"step phase-{e(step.phase)}" + (f" has-findings severity-{_worst(found)}" if found else "")
        title = (f'<h3><a class="anchor" href="#step-{step.index}">Step {step.index}</a> '
                 f'<span class="chip phase-{e(step.phase)}">{e(step.phase)}</span> <code>{t(step.op)}</code> → '
                 f"<bdi>{latex_to_mathml(notes.target_latex(step), display=False)}</bdi></h3>")
        parts = [title]
        if step.formula is not None and not notes.formula_is_source_line(self.trace, step):
            parts.append(self.doprint(step.formula))
        if step.source is not None:
            parts.append(self._source(step))
        figures = [self._figure(name, role, value) for name, role, value in notes.value_terms(step)]
        if step.reference is not None:
            figures.append(self._figure("expected", "reference", step.reference, label="true value"))
        parts.append(f'<div class="terms">{"".join(figures)}</div>')
        gap = None if step.reference is None else notes.largest_gap(step.value, step.reference)
        if gap is not None:
            parts.append(f'<p class="gap">Largest difference from the true value: <b>{e(number(gap))}</b></p>')
        parts.extend(self.doprint(finding) for finding in found)
        return f'<article class="{classes}" id="step-{step.index}">{"".join(parts)}</article>'

    def _print_Formula(self, formula: Formula) -> str:
        code = notes.code_formula(formula)
        if code is not None:
            return f'<div class="formula code"><code>{t(code)}</code></div>'
        return f'<div class="formula" title="{e(plain_isolated(formula.text))}">{latex_to_mathml(formula.latex)}</div>'

    def _figure(self, name: str, role: str, value: Array, label: str | None = None) -> str:
        """A value with its caption; ``name`` is LaTeX."""
        caption = e(label) if label else f"<bdi>{latex_to_mathml(name, display=False)}</bdi>"
        return (f'<figure class="term role-{e(role)}"><figcaption>{caption} <span class="role">{t(role)}</span>'
                f' <span class="shape">{e(notes.shape_of(value))}</span></figcaption>{matrix_table(value)}</figure>')

    def _source(self, step: Step) -> str:
        assert self.trace is not None and step.source is not None
        line = notes.source_line(self.trace, step.source.file, step.source.line)
        where = f"{t(step.source.file)} line {step.source.line}"
        if line is not None:
            where = f'<a href="#L{step.source.line}">{where}</a>'
        code = f" <code>{t(line.strip())}</code>" if line is not None else ""
        return f'<p class="source">{where}{code}</p>'

    def _print_Finding(self, finding: Finding) -> str:
        assert self.trace is not None
        note = notes.note_for(finding)
        parts = [
            f'<p class="finding-title"><span class="badge severity-{e(finding.severity)}">{t(finding.severity)}</span> '
            f"<strong>{t(note.title)}</strong> <code>{t(finding.id)}</code> "
            f'<span class="where">{_where(finding)}</span></p>',
            f"<p>{t(note.message)}</p>",
        ]
        line = notes.source_line(self.trace, finding.file, finding.line)
        if line is not None:
            parts.append(f'<pre class="snippet"><code><span class="ln">{finding.line}</span>{t(line)}</code></pre>')
        if note.explanation:
            parts.append(f'<p class="why"><b>Why:</b> {t(note.explanation)}</p>')
        if note.fix:
            parts.append(f'<p class="fix"><b>Fix:</b> {t(note.fix)}</p>')
        return f'<aside class="finding severity-{e(finding.severity)}" role="note">{"".join(parts)}</aside>'


def _where(finding: Finding) -> str:
    """``notes.where`` in HTML: the file name isolated, so it cannot reorder "line 23, step 12"."""
    parts = []
    if finding.file:
        parts.append(f"{t(finding.file)} line {finding.line}" if finding.line is not None else t(finding.file))
    elif finding.line is not None:
        parts.append(f"line {finding.line}")
    if finding.step is not None:
        parts.append(f"step {finding.step}")
    return ", ".join(parts)


def _worst(findings: list[Finding]) -> str:
    severities = {f.severity for f in findings}
    return next((s for s in ("error", "warning", "info") if s in severities), "info")


def loss_sparkline(losses: tuple[float, ...], width: int = 480, height: int = 80) -> str:
    """The losses as an inline SVG line (finite ones; no script, no file)."""
    points = [(i, x) for i, x in enumerate(losses) if np.isfinite(x)]
    if len(points) < 2:
        return ""
    low, high = min(x for _, x in points), max(x for _, x in points)
    span = (high - low) or 1.0
    last = max(len(losses) - 1, 1)
    coords = " ".join(f"{4 + i / last * (width - 8):.1f},{4 + (high - x) / span * (height - 8):.1f}" for i, x in points)
    lowest = min(points, key=lambda p: p[1])
    summary = (f"Loss from {number(points[0][1])} (step {points[0][0]}) to {number(points[-1][1])} "
               f"(step {points[-1][0]}); lowest {number(lowest[1])} at step {lowest[0]}.")
    return (f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
            f'aria-label="{e(summary)}"><polyline points="{coords}" fill="none" stroke="currentColor" '
            f'stroke-width="2"/></svg><p class="hint">{e(summary)}</p>')


def render(trace: Trace, detail: str | None = None) -> str:
    return HtmlPrinter(detail).doprint(trace)
