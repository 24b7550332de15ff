"""What the two study-note formats (Markdown, HTML) share: the printer shape,
which training steps are written out in full, and what a finding says.

``--detail STEPS`` (Markdown and HTML only; JSON always holds everything):
a comma-separated list of training steps, counted from 0. ``-1`` is the last,
``-2`` the one before; ``a..b`` is a range, both ends included; ``all`` is every
step; ``first`` and ``last`` are 0 and -1 (``--detail last``; a lone negative
number needs ``--detail=-1``). The default is the first and the last. Steps written out in full show
every operation with its formula, numbers, chain-rule terms and findings; the
others contribute only their loss to the losses table. That is how a note of
a long training stays small: its size grows with the steps asked for, not
with the length of the training.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from bptrace.elided import Array, Elided, same_values
from bptrace.errors import BadInput
from bptrace.numbers import shape_text
from bptrace.trace import Finding, Formula, Step, Trace

DEFAULT_DETAIL = "0,-1"


class Printer:
    """One ``_print_<Type>`` method per Trace type, found along the object's class
    hierarchy (the way sympy's printers dispatch)."""

    def doprint(self, obj: Any) -> str:
        for cls in type(obj).__mro__:
            method = getattr(self, f"_print_{cls.__name__}", None)
            if method is not None:
                return method(obj)
        raise TypeError(f"{type(self).__name__} cannot print a {type(obj).__name__}")


class NotePrinter(Printer):
    """A study-note printer: remembers the trace it prints and which training steps go in full."""

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail
        self.trace: Trace | None = None

    def begin(self, trace: Trace) -> tuple[int, ...]:
        """Start printing ``trace``; return the training steps to write out (checked before any output)."""
        self.trace = trace
        chosen = detail_steps(self.detail, train_step_count(trace))
        held = trace.scenario.notes.get("values_for_train_steps")
        if isinstance(held, list):  # recorded past a memory budget: the other steps have no values to write
            chosen = tuple(step for step in chosen if step in set(held))
        return chosen


# ---------------------------------------------------------------- which steps in full


def train_step_count(trace: Trace) -> int:
    """Training steps in the trace: its losses, or more when steps ran past the last loss (an exception)."""
    last = max((step.train_step for step in trace.steps), default=-1)
    return max(len(trace.losses), last + 1)


def check_detail(detail: str) -> None:
    """Check the spelling of ``--detail`` before recording: parses, and materialises nothing."""
    if detail.strip() != "all":
        _detail_parts(detail)


def _detail_parts(detail: str) -> list[tuple[int, int | None]]:
    """``--detail`` as (first, last or None) pairs, still relative (-1 is the last step)."""
    parts = []
    for part in (p.strip() for p in detail.strip().split(",")):
        part = {"first": "0", "last": "-1"}.get(part, part)
        match = re.fullmatch(r"(-?\d{1,18})(?:\.\.(-?\d{1,18}))?", part)
        if not match:
            raise BadInput(
                None, "--detail", f'cannot read "{part}"; expected training steps such as 0,5,-1 or 2..4 or last or all'
            )
        parts.append((int(match[1]), None if match[2] is None else int(match[2])))
    return parts


def detail_steps(detail: str | None, count: int) -> tuple[int, ...]:
    """The training steps ``--detail`` names, sorted, each once (see the module doc).

    Ranges are resolved against the real ``count`` first, so the set built is never larger
    than the trace (``0..-1`` once built 10⁹ integers before anything was recorded).
    """
    text = (DEFAULT_DETAIL if detail is None else detail).strip()
    if count == 0:
        return ()
    if text == "all":
        return tuple(range(count))
    chosen: set[int] = set()
    for first_raw, last_raw in _detail_parts(text):
        first = _resolve(first_raw, count)
        last = first if last_raw is None else _resolve(last_raw, count)
        chosen.update(range(min(first, last), max(first, last) + 1))
    return tuple(sorted(chosen))


def _resolve(number: int, count: int) -> int:
    resolved = number + count if number < 0 else number
    if not 0 <= resolved < count:
        raise BadInput(
            None, "--detail", f"training step {number} does not exist; this trace has {count} (0 to {count - 1})"
        )
    return resolved


def steps_of(trace: Trace, train_step: int) -> list[Step]:
    return [step for step in trace.steps if step.train_step == train_step]


# ---------------------------------------------------------------- findings in plain words


@dataclass(frozen=True)
class FindingNote:
    """A finding as a note shows it: a title, what happened, why it matters, and the fix."""

    finding: Finding
    title: str
    message: str
    explanation: str | None
    fix: str | None


def note_for(finding: Finding) -> FindingNote:
    """Explain a finding from the pitfall catalogue; ids the catalogue lacks speak through their message."""
    from bptrace.pitfalls import CATALOGUE

    pitfall = CATALOGUE.get(finding.id)
    if pitfall is None:
        title = finding.id.replace("-", " ").capitalize()
        return FindingNote(finding, title, finding.message, finding.explanation, finding.fix)
    # A fix carried by the finding is the specific one; the catalogue's is the general one.
    return FindingNote(finding, pitfall.title, finding.message, finding.explanation or pitfall.explanation,
                       finding.fix or pitfall.fix)


def findings_of(trace: Trace, step: Step) -> list[Finding]:
    """The step's findings (``Trace.findings`` is the one list of them)."""
    return trace.findings_at(step.index)


def where(finding: Finding) -> str:
    """``impl.py line 23, step 12``, or whatever part of it the finding knows."""
    parts = []
    if finding.file:
        parts.append(f"{finding.file} line {finding.line}" if finding.line is not None else finding.file)
    elif finding.line is not None:
        parts.append(f"line {finding.line}")
    if finding.step is not None:
        parts.append(f"step {finding.step}")
    return ", ".join(parts)


# ---------------------------------------------------------------- names and source lines


def gradient_name(step: Step) -> str:
    """The name a step's value goes by in formulas: ``∂L/∂Z1`` for the gradient bptrace calls so, else the
    target (code mode: the learner's own name, or the source text of an unnamed intermediate)."""
    from bptrace.kinds import value_name

    return step.target if step.kind == "op" else value_name(step)


_TEXT_ESCAPING = str.maketrans({"_": r"\_", "{": r"\{", "}": r"\}", "#": r"\#", "%": r"\%", "&": r"\&", "$": r"\$",
                                "\\": r"\textbackslash{}", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"})


def target_latex(step: Step) -> str:
    """What a step computes, as LaTeX: a name in math (``Z_{1}``, ``∂L/∂Z1``), an expression
    recorded from code (``np.dot(W1, X)``) as code."""
    name = gradient_name(step)
    if step.kind != "op" or (step.learner_name is not None and step.learner_name.isidentifier()):
        return name_latex(name)
    return rf"\texttt{{{name.translate(_TEXT_ESCAPING)}}}"


def value_terms(step: Step) -> Iterator[tuple[str, str, Array]]:
    """(LaTeX name, role, value) for each chain-rule term, then the step's own value unless a product term shows it."""
    for term in step.terms:
        yield term_latex(term.name, term.latex), term.role or "term", term.value
    shown = any(
        term.role == "product" and same_values(term.value, step.value) for term in step.terms
    )
    if not shown:
        yield target_latex(step), "result", step.value


def code_file_name(trace: Trace) -> str:
    """The learner's file as the note names it: ``impl.py``, not the path on the machine that recorded it
    (a note is handed to others; the JSON keeps the full path for tools)."""
    source = trace.scenario.source_file or ""
    return source.replace("\\", "/").rsplit("/", 1)[-1]


def source_line(trace: Trace, file: str | None, line: int | None) -> str | None:
    """The text of ``line`` in the traced source, when the trace carries that file's text."""
    info = trace.scenario
    if info.source_text is None or line is None or line < 1:
        return None
    if file is not None and info.source_file is not None and not _same_file(file, info.source_file):
        return None
    lines = info.source_text.splitlines()
    return lines[line - 1] if line <= len(lines) else None


def _same_file(a: str, b: str) -> bool:
    return a == b or a.replace("\\", "/").rsplit("/", 1)[-1] == b.replace("\\", "/").rsplit("/", 1)[-1]


_SNAKE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*_[A-Za-z0-9_]*")


def name_latex(name: str) -> str:
    """A trace name as LaTeX (``symbolic.latex_name``), with snake_case words of learner code kept
    upright and whole (``\\text{sigmoid_derivative}``) instead of read as subscripts."""
    from bptrace.symbolic import latex_name

    pieces, last = [], 0
    for match in _SNAKE.finditer(name):
        pieces += [latex_name(name[last:match.start()]) if match.start() > last else "", rf"\text{{{match.group(0)}}}"]
        last = match.end()
    pieces.append(latex_name(name[last:]) if last < len(name) else "")
    return "".join(pieces) if last else latex_name(name)


_TEXT_ESCAPES = {r"\_": "_", r"\{": "{", r"\}": "}", r"\#": "#", r"\%": "%", r"\&": "&", r"\$": "$",
                 r"\textbackslash{}": "\\", r"\textbackslash": "\\", r"\textasciicircum{}": "^", r"\^{}": "^",
                 r"\textasciitilde{}": "~", r"\~{}": "~", r"\textunderscore{}": "_"}
_TEXT_ESCAPE_RE = re.compile("|".join(re.escape(k) for k in sorted(_TEXT_ESCAPES, key=len, reverse=True)))
_CODE_LATEX = re.compile(r"\\texttt\{((?:[^{}\\]|\\.|\\[A-Za-z]+\{\})*)\}")


def text_unescape(latex_text: str) -> str:
    """The characters a LaTeX text-mode argument stands for (``relu\\_derivative`` → ``relu_derivative``)."""
    return _TEXT_ESCAPE_RE.sub(lambda m: _TEXT_ESCAPES[m.group(0)], latex_text)


def code_formula(formula: Formula) -> str | None:
    """The code a formula is, when its LaTeX is one ``\\texttt{…}`` (code mode writes expressions so)."""
    match = _CODE_LATEX.fullmatch(formula.latex.strip())
    return text_unescape(match.group(1)) if match else None


def formula_is_source_line(trace: Trace, step: Step) -> bool:
    """True when a code-mode formula only repeats the step's source line (then one of them is enough)."""
    if step.formula is None or step.source is None:
        return False
    code = code_formula(step.formula)
    line = source_line(trace, step.source.file, step.source.line)
    return code is not None and line is not None and code.strip() == line.strip()


def term_latex(name: str, latex: str | None) -> str:
    """A term's LaTeX: the recorder's own when it wrote one, else the name's (snake_case kept whole)."""
    from bptrace.symbolic import latex_name

    return latex if latex and latex != latex_name(name) else name_latex(name)


def largest_gap(value: Array, reference: Array) -> float | None:
    """The largest difference where both are finite; None when the shapes differ or nothing compares."""
    if isinstance(value, Elided) or isinstance(reference, Elided):
        return None  # most entries are not in the trace: no largest difference to tell
    value, reference = np.asarray(value), np.asarray(reference)
    if value.shape != reference.shape:
        return None
    both = np.isfinite(value) & np.isfinite(reference)
    return float(np.max(np.abs(value[both] - reference[both]))) if both.any() else None


def network_text(trace: Trace) -> str:
    """``2 → 3 relu → 1 sigmoid``; empty in code mode."""
    return " → ".join(f"{units} {act}".strip() for units, act in trace.scenario.layers)


def shape_of(value: Array) -> str:
    return shape_text(tuple(np.shape(value)))
