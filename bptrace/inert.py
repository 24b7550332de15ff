"""Text from input made safe to show: control characters become visible escapes.

A scenario name, a trace string or a learner's source may hold ESC and other
control characters. Written raw to a terminal they are commands: an OSC
sequence renames the window, OSC-8 makes links, CSI moves the cursor. Every
reader that writes to a terminal or a note (``run``, the TUI, Markdown) shows
such characters as ``\\x1b`` instead. Tab and newline stay where text has lines
(source, descriptions, messages); in names and file names they are escaped too.
The trace itself keeps the original strings: JSON export loses nothing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from bptrace.trace import Finding, ScenarioInfo, Step, Term, Trace

# C0 controls except tab and newline, DEL, and the C1 controls (U+0080–U+009F: U+009B is a CSI).
_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_IN_A_NAME = re.compile("[\x00-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    return f"\\x{ord(match.group()):02x}"


def visible(text: str, *, lines: bool = True) -> str:
    """``text`` with control characters shown as ``\\xNN``; tab and newline kept when ``lines``."""
    if lines and "\r\n" in text:
        text = text.replace("\r\n", "\n")  # a Windows line end is a line end, not a stray CR
    pattern = _IN_LINES if lines else _IN_A_NAME
    return pattern.sub(_escape, text) if pattern.search(text) else text


def _name(text: str) -> str:
    return visible(text, lines=False)


def _maybe(text: str | None, *, lines: bool = True) -> str | None:
    return None if text is None else visible(text, lines=lines)


def _maybe_name(name: str | None) -> str | None:
    return None if name is None else _name(name)


def _meta(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {_name(str(k)): _meta(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_meta(v) for v in value)
    return value


def _scenario(info: ScenarioInfo) -> ScenarioInfo:
    return replace(
        info, name=_name(info.name), description=visible(info.description), loss=_name(info.loss),
        reduction=_name(info.reduction), layout=_name(info.layout),
        layers=tuple((units, _name(activation)) for units, activation in info.layers),
        source_file=_maybe(info.source_file, lines=False), source_text=_maybe(info.source_text),
    )


def _term(term: Term) -> Term:
    return replace(term, name=_name(term.name), role=_name(term.role), latex=_maybe(term.latex))


def _step(step: Step) -> Step:
    return replace(
        step, op=_name(step.op), target=_name(step.target), inputs=tuple(_name(x) for x in step.inputs),
        terms=tuple(_term(t) for t in step.terms),
        formula=None if step.formula is None else replace(step.formula, text=visible(step.formula.text),
                                                          latex=visible(step.formula.latex)),
        source=None if step.source is None else replace(step.source, file=_name(step.source.file)),
        meta=_meta(step.meta), of=_maybe_name(step.of), parameter=_maybe_name(step.parameter),
        learner_name=_maybe_name(step.learner_name),
    )


def _finding(finding: Finding) -> Finding:
    return replace(
        finding,
        id=_name(finding.id),
        message=visible(finding.message),
        file=_maybe(finding.file, lines=False),
        fix=_maybe(finding.fix),
        explanation=_maybe(finding.explanation),
    )


def _named(arrays: dict[str, Any]) -> dict[str, Any]:
    return {_name(k): v for k, v in arrays.items()}


def inert_trace(trace: Trace) -> Trace:
    """The same trace, each string a reader shows made visible; arrays are shared, not copied."""
    return replace(
        trace, scenario=_scenario(trace.scenario), steps=tuple(_step(s) for s in trace.steps),
        findings=tuple(_finding(f) for f in trace.findings),
        gradients=tuple(_named(g) for g in trace.gradients),
        reference_gradients=tuple(_named(g) for g in trace.reference_gradients),
        parameters=_named(trace.parameters),
    )
