"""The centre pane: the current step's formula, its chain-rule terms beside their numbers, the result.

Everything shown is read from the Step and the form cache; nothing is computed
here except formatting. Wide content scrolls sideways rather than wrapping.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bptrace.elided import Elided
from bptrace.kinds import step_title, value_name
from bptrace.numbers import number
from bptrace.trace import Formula, Step
from bptrace.tui.forms import ChainLike, ElementLike
from bptrace.tui.matrix import differs, render_matrix, shape_label

ROLE_LABELS = {"input": "input", "upstream": "upstream", "local": "local", "product": "product", "": ""}
MIN_NAME_WIDTH = 20


@dataclass(frozen=True)
class StepContext:
    """What the step view shows, handed down by the screen in one piece."""

    step: Step
    total: int
    formula: Formula | None
    full: bool = False
    element_mode: bool = False
    element_index: tuple[int, ...] = ()
    element: ElementLike | str | None = None
    chain: ChainLike | str | None = None
    flagged: bool = False
    """The step has findings or a true value to compare: arriving at it, its result is scrolled into view."""


class StepView(VerticalScroll):
    """Formula, then each term (symbol beside its numbers), then the resulting matrix with its shape.

    The title stays put (docked) while the rest scrolls.
    """

    shown_step: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="step-title", markup=False)
        yield Static(id="formula", markup=False)
        yield Static(id="element", markup=False)
        yield Static(id="terms", markup=False)
        yield Static(id="result", markup=False)

    def show(self, context: StepContext) -> None:
        step = context.step
        self.query_one("#step-title", Static).update(
            Content.assemble(
                (f"Step {step.index}/{context.total - 1}", "bold"),
                f" · training step {step.train_step} · ",
                (step.phase, "bold $accent"),
                f" · {step_title(step)}",
                ("  [digits: full]" if context.full else "", "$text-muted"),
            )
        )
        formula = self.query_one("#formula", Static)
        if context.formula is None:
            formula.update(Content.styled("rendering formula…", "italic $text-muted"))
        else:
            formula.update(Content.styled(context.formula.text, "bold"))
        element = self.query_one("#element", Static)
        element.display = context.element_mode
        if context.element_mode:
            element.update(_element_content(context))
        self.query_one("#terms", Static).update(_terms_content(step, context.full))
        self.query_one("#result", Static).update(_result_content(context))
        if context.flagged and step.index != self.shown_step:
            self.call_after_refresh(self._result_in_view)
        self.shown_step = step.index

    def _result_in_view(self) -> None:
        """Below a long finding the result may not fit: scroll just enough to show it (its top first)."""
        self.scroll_to_widget(self.query_one("#result"), animate=False, immediate=True)


def _element_content(context: StepContext) -> Content:
    step, index, form = context.step, context.element_index, context.element
    where = f"element [{','.join(map(str, index))}] of {shape_label(step.value)}" if index else "the scalar"
    header = Content.styled(f"one element: {where}   ([ ] move, s back to matrix form)\n", "$text-muted")
    if form is None:
        return header + Content.styled("expanding element…", "italic $text-muted")
    if isinstance(form, str):
        return header + Content.styled(form, "$warning")
    recorded = float(np.asarray(step.value)[index]) if index else float(np.asarray(step.value))
    content = header + Content.assemble(
        (form.lhs_text, "bold"), " = ", form.text, "\n    = ", _checked(form.value, recorded, context.full),
        (f"   ({form.terms} terms)" if form.terms > 1 else "", "$text-muted"),
    )
    chain = context.chain
    if isinstance(chain, str):
        return content + Content.styled(f"\n{chain}", "$text-muted")
    if chain is not None:
        content += Content.assemble(
            ("\nthe chain written out, down to forward values:\n", "$text-muted"),
            (chain.lhs_text, "bold"), " = ", chain.text, "\n    = ", _checked(chain.value, recorded, context.full),
            ("" if chain.complete else "   (stopped early: the full chain is too long)", "$text-muted"),
        )
    return content


def _checked(value: float, recorded: float, full: bool) -> Content:
    """An expansion's value, and whether the recorded matrix entry agrees with it."""
    agree = np.isclose(value, recorded, rtol=1e-9, atol=1e-12) or not np.isfinite(recorded)
    return Content.assemble(
        (repr(value) if full else number(value), "bold"),
        ("   ✓ matches the matrix entry" if agree else f"   ✗ matrix entry is {number(recorded)}",
         "$success" if agree else "bold $error"),
    )


def _name_width(step: Step) -> int:
    """One column for every name of the step, so all its matrices line up."""
    names = [f"{ROLE_LABELS.get(t.role, t.role):<9}{t.name} {shape_label(t.value)}" for t in step.terms]
    names.append(f"result   {value_name(step)} {shape_label(step.value)}")
    return max(MIN_NAME_WIDTH, *(len(name) + 2 for name in names))


def _labelled(label: Content, matrix: Content, width: int) -> Content:
    """``label`` in a column ``width`` wide, the matrix's lines beside it."""
    lines = matrix.split("\n")
    pad = " " * width
    out = [label.pad_right(max(0, width - label.cell_length)) + lines[0]]
    out.extend(Content(pad) + line for line in lines[1:])
    return Content("\n").join(out)


def _terms_content(step: Step, full: bool) -> Content:
    if not step.terms:
        return Content.styled("(no chain-rule terms recorded for this step)", "$text-muted")
    blocks = []
    for term in step.terms:
        label = Content.assemble(
            (f"{ROLE_LABELS.get(term.role, term.role):<9}", "$text-muted"),
            (term.name, "bold $text-secondary" if term.role in ("upstream", "local") else "bold"),
            (f" {shape_label(term.value)}", "$text-muted"),
        )
        blocks.append(_labelled(label, render_matrix(term.value, full=full), _name_width(step)))
    return Content("\n").join(blocks)


def _before(step: Step) -> np.ndarray | None:
    """For an update, the parameter before it, so moved entries can be highlighted."""
    if step.kind != "update":
        return None
    for term in step.terms:
        if term.role == "input" and term.value.shape == step.value.shape:
            return term.value
    return None


def _result_content(context: StepContext) -> Content:
    step = context.step
    mark = None
    if context.element_mode and context.element_index:
        index = context.element_index
        mark = (index[0], index[1]) if len(index) == 2 else (0, index[0])
    label = Content.assemble(("result   ", "$text-muted"), (value_name(step), "bold"),
                             (f" {shape_label(step.value)}", "bold $accent"))
    before = _before(step)
    matrix = render_matrix(step.value, full=context.full, reference=step.reference, before=before, mark=mark)
    width = _name_width(step)
    parts = [Content.styled("─" * 20, "$text-muted"), _labelled(label, matrix, width)]
    if step.reference is not None:
        parts.append(
            _labelled(
                Content.styled("expected", "$text-muted"), render_matrix(step.reference, full=context.full), width
            )
        )
    legend = [("changed by this update", "$success")] if before is not None else []
    if step.reference is not None and differs(step.value, step.reference):
        legend.append(("differs from the true value", "$error"))
    if legend:
        parts.append(Content.assemble(*(item for text, style in legend for item in ((f"■ {text}  ", style),))))
    if any(isinstance(array, Elided) for array in (step.value, step.reference, *(t.value for t in step.terms))):
        parts.append(Content.styled("Only the corner entries of big arrays are in this trace "
                                    "(exported without --detail all).", "$text-muted"))
    return Content("\n").join(parts)
