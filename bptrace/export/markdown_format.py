"""A study note in Markdown that renders on GitHub and in Jupyter.

Formulas and numbers are LaTeX in ``$$`` blocks, each on lines of its own with
blank lines around (GitHub drops a ``$$`` block that follows another directly).
Inside math, commands whose backslash Markdown would eat (``\\,``, ``\\{``) are
replaced by spelled-out ones, and every matrix row separator ``\\\\`` ends its
line, the one place GitHub keeps it. Text from the trace (names, messages,
source) is escaped, so nothing in it turns into markup. Findings are GitHub
alerts (``> [!CAUTION]`` for errors, ``> [!WARNING]``, ``> [!NOTE]``), which
Jupyter shows as plain quotes.
"""

from __future__ import annotations

import re

import numpy as np

from bptrace.elided import Array
from bptrace.export import notes
from bptrace.inert import visible
from bptrace.numbers import matrix_rows, number
from bptrace.trace import Finding, Formula, Step, Trace, budget_note, recorded_train_steps

ALERTS = {"error": "CAUTION", "warning": "WARNING", "info": "NOTE"}
LOSS_COLUMNS = 10

# Markdown treats a backslash before ASCII punctuation as an escape, even inside
# GitHub's $$ blocks; these spell the same TeX without such pairs.
_MATH_SAFE = {r"\,": r"\thinspace ", r"\;": r"\thickspace ", r"\:": r"\medspace ", r"\!": r"\negthinspace ",
              r"\{": r"\lbrace ", r"\}": r"\rbrace ", r"\|": r"\Vert ", "<": r"\lt ", ">": r"\gt ",
              "$": r"\text{＄}", r"\$": r"\text{＄}", r"\_": r"\text{_}", r"\#": r"\text{#}", r"\%": r"\text{%}",
              r"\&": r"\text{&}"}
_MATH_SAFE_RE = re.compile(r"\\[,;:!{}|$_#%&]|[<>$]")
_TEXT_SPECIAL = re.compile(r"([\\`*_\[\]<>|$~#!])")
_CELL_TEX = {"⋮": r"\vdots", "…": r"\cdots", "⋱": r"\ddots", "nan": r"\mathrm{nan}", "inf": r"\infty",
             "-inf": r"-\infty"}


def text(value: str) -> str:
    """Trace text as literal Markdown: specials escaped, one line."""
    return _TEXT_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


_TEXT_GROUP = re.compile(r"\\(text|texttt|textrm|mathrm|operatorname)\{((?:[^{}\\]|\\.|\\[A-Za-z]+\{\})*)\}")
# In text mode MathJax takes characters as they are and reads no commands, so these leave the group.
# $ # % & would need a backslash that Markdown eats: their full-width forms stand in.
_TEXT_SPECIALS = {"<": r"\lt ", ">": r"\gt ", "{": r"\lbrace ", "}": r"\rbrace ", "\\": r"\backslash ", "|": r"\vert "}
_FULL_WIDTH = str.maketrans({"$": "＄", "#": "＃", "%": "％", "&": "＆"})


def _text_group(match: re.Match[str]) -> str:
    command, content = match.group(1), notes.text_unescape(match.group(2))
    pieces = re.split(r"([<>{}\\|])", content.translate(_FULL_WIDTH))
    return "".join(_TEXT_SPECIALS[p] if p in _TEXT_SPECIALS else rf"\{command}{{{p}}}" if p else "" for p in pieces)


def math(latex: str) -> str:
    """TeX that survives GitHub's Markdown pass and Jupyter's alike."""
    split = _TEXT_GROUP.sub(_text_group, " ".join(latex.split()))
    safe = _MATH_SAFE_RE.sub(lambda m: _MATH_SAFE[m.group(0)], split)
    return re.sub(r"\\\\\s*", lambda _m: "\\\\\n", safe)  # a row break ends its line


def display(latex: str) -> str:
    return f"$$\n{latex}\n$$\n"


def code_block(source: str, language: str = "python") -> str:
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", source)), default=0) + 1)
    return f"{fence}{language}\n{source}\n{fence}"


def _plain(word: str) -> str:
    """Letters, digits and spaces only: safe inside \\text{…}."""
    return re.sub(r"[^\w ]", "", word)


def tex_number(x: float) -> str:
    cell = number(x)
    return _tex_cell(cell)


def _tex_cell(cell: str) -> str:
    if cell in _CELL_TEX:
        return _CELL_TEX[cell]
    mantissa, e, exponent = cell.partition("e")
    return rf"{mantissa} \cdot 10^{{{int(exponent)}}}" if e else cell


def tex_matrix(value: Array) -> str:
    """A bmatrix of about 4 significant digits, elided past 8×8; one row per line."""
    if np.ndim(value) == 0:
        return tex_number(float(np.asarray(value)))
    rows = [" & ".join(_tex_cell(cell) for cell in row) for row in matrix_rows(value)]
    return "\\begin{bmatrix}\n" + " \\\\\n".join(rows) + "\n\\end{bmatrix}"


class MarkdownPrinter(notes.NotePrinter):
    def _print_Trace(self, trace: Trace) -> str:
        detailed = self.begin(trace)
        info = trace.scenario
        count = notes.train_step_count(trace)
        out = [f"# {text(info.name)}\n"]
        if info.description:
            out.append(text(info.description) + "\n")
        facts = [
            f"- **Mode:** {info.mode}",
            f"- **Loss:** {text(info.loss)}, reduction {text(info.reduction)} over samples",
        ]
        if notes.network_text(trace):
            facts.append(f"- **Network:** {text(notes.network_text(trace))} ({text(info.layout)} layout)")
        if info.source_file:
            facts.append(f"- **Code:** {text(notes.code_file_name(trace))}")
        facts.append(f"- **Training steps:** {count}; written out in full: "
                     + (", ".join(f"[{n}](#train-step-{n})" for n in detailed) or "none")
                     + ("; the others by their loss (choose with --detail)" if count > len(detailed) else ""))
        errors = trace.error_count()
        facts.append(f"- **Findings:** {len(trace.findings)} ({errors} error{'s' * (errors != 1)})")
        if (recorded := recorded_train_steps(info)) is not None:
            facts.append(f"- **Recorded:** {text(recorded)}")
        if (kept := budget_note(info, len(trace.losses))) is not None:
            facts.append(f"- **Memory budget:** {text(kept)}")
        out.append("\n".join(facts) + "\n")
        if trace.findings:
            out.append(self._findings_summary(trace))
        out.append(self._losses(trace))
        for train_step in detailed:
            out.append(f'<a id="train-step-{train_step}"></a>\n\n## Training step {train_step}\n')
            loss = trace.losses[train_step] if train_step < len(trace.losses) else None
            if loss is not None:
                out.append(f"Loss before this step's update: **{number(loss)}**\n")
            out.extend(self.doprint(step) for step in notes.steps_of(trace, train_step))
        unplaced = [f for f in trace.findings if f.step is None]
        if unplaced:
            out.append("## Findings not tied to a step\n")
            out.extend(self.doprint(f) for f in unplaced)
        return "\n".join(out).rstrip() + "\n"

    def _findings_summary(self, trace: Trace) -> str:
        lines = ["## Findings\n", "| severity | finding | where | what |", "| --- | --- | --- | --- |"]
        for finding in trace.findings:
            note = notes.note_for(finding)
            place = text(notes.where(finding))
            if finding.step is not None:
                place = f"[{place}](#step-{finding.step})"
            lines.append(
                f"| {finding.severity} | {text(note.title)} ({text(finding.id)}) | {place} | {text(note.message)} |"
            )
        return "\n".join(lines) + "\n"

    def _losses(self, trace: Trace) -> str:
        losses = trace.losses
        if not losses:
            return "## Losses\n\nNo loss was computed.\n"
        width = min(LOSS_COLUMNS, len(losses))
        lines = ["## Losses\n", "Loss before each training step's update; row *n*, column *+k* is step *n + k*.\n",
                 "| step | " + " | ".join(f"+{k}" for k in range(width)) + " |",
                 "| ---: |" + " ---: |" * width]
        for start in range(0, len(losses), width):
            row = [number(x) for x in losses[start:start + width]]
            lines.append(f"| {start} | " + " | ".join(row + [""] * (width - len(row))) + " |")
        return "\n".join(lines) + "\n"

    def _print_Step(self, step: Step) -> str:
        assert self.trace is not None
        out = [f'<a id="step-{step.index}"></a>\n',
               f"### Step {step.index} · {step.phase} · {text(step.op)} → {text(notes.gradient_name(step))}\n"]
        if step.formula is not None and not notes.formula_is_source_line(self.trace, step):
            out.append(self.doprint(step.formula))
        if step.source is not None:
            out.append(self._source(step))
        terms = list(notes.value_terms(step))
        if any(role in ("upstream", "local", "product") for _, role, _ in terms):
            out.append("Chain rule, term by term (upstream and local factors give the product):\n")
        for name, role, value in terms:
            out.append(display(rf"{math(name)} = {tex_matrix(value)} "
                               rf"\qquad \text{{{_plain(role)}, {notes.shape_of(value)}}}"))
        if step.reference is not None:
            gap = notes.largest_gap(step.value, step.reference)
            out.append("What the value should have been (the true gradient):\n")
            out.append(display(rf"\text{{expected}} = {tex_matrix(step.reference)}"))
            if gap is not None:
                out.append(f"Largest difference from the traced value: {number(gap)}\n")
        out.extend(self.doprint(finding) for finding in notes.findings_of(self.trace, step))
        return "\n".join(out)

    def _print_Formula(self, formula: Formula) -> str:
        code = notes.code_formula(formula)
        return display(math(formula.latex)) if code is None else code_block(code) + "\n"

    def _source(self, step: Step) -> str:
        assert self.trace is not None and step.source is not None
        line = notes.source_line(self.trace, step.source.file, step.source.line)
        head = f"Source: {text(step.source.file)} line {step.source.line}"
        return f"{head}\n\n{code_block(line.strip())}\n" if line is not None else head + "\n"

    def _print_Finding(self, finding: Finding) -> str:
        assert self.trace is not None
        note = notes.note_for(finding)
        body = [f"**{text(note.title)}** ({text(finding.id)}, {finding.severity}, {text(notes.where(finding))})",
                "", text(note.message)]
        line = notes.source_line(self.trace, finding.file, finding.line)
        if line is not None:
            body += ["", code_block(line.strip())]
        if note.explanation:
            body += ["", f"*Why:* {text(note.explanation)}"]
        if note.fix:
            body += ["", f"**Fix:** {text(note.fix)}"]
        quoted = "\n".join(f"> {row}".rstrip() for chunk in body for row in chunk.split("\n"))
        return f"> [!{ALERTS.get(finding.severity, 'NOTE')}]\n{quoted}\n"


# Explicit bidi controls (embeddings, overrides, isolates, marks). Markdown has no isolating element
# that every renderer keeps (GitHub's sanitizer, Jupyter, a terminal's cat), so they are shown as
# \u202e like the control characters: a U+202E in a file name cannot reverse "line 2, step 3".
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def render(trace: Trace, detail: str | None = None) -> str:
    # A note is read in terminals too (cat, less -R): control characters from the trace shown, not obeyed.
    note = visible(MarkdownPrinter(detail).doprint(trace))
    return _BIDI_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", note)
