"""The help screen (``?``): every key, grouped the way a learner uses them."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Stepping", (
        ("n  →", "next step"),
        ("p  ←", "previous step"),
        ("home  end", "first / last step"),
        ("g", "go to a step (or t3: training step 3)"),
    )),
    ("Findings and breakpoints", (
        ("f  F", "next / previous finding"),
        ("b", "breakpoint on this step's op (every training step), or its source line"),
        ("c", "continue to the next breakpoint or finding"),
    )),
    ("Reading a step", (
        ("s", "symbolic detail: matrix form ↔ one element written out"),
        ("[  ]", "previous / next element (in element form)"),
        ("d", "digits: 4 significant ↔ full precision"),
        ("↑ ↓ pgup pgdn", "scroll the step"),
    )),
    ("Elsewhere", (
        ("e", "export the trace (JSON, Markdown, HTML)"),
        ("w", "watch: re-run the code on every save (code mode)"),
        ("ctrl+p", "command palette: scenarios, export, theme"),
        ("?", "this help"),
        ("q", "quit"),
    )),
)


def help_content() -> Content:
    lines: list[Content] = [
        Content.styled("bptrace — a step debugger for backpropagation", "bold $accent"),
        Content(""),
    ]
    for group, keys in KEYS:
        lines.append(Content.styled(group, "bold"))
        lines.extend(Content.assemble((f"  {key:<15}", "bold $text-secondary"), what) for key, what in keys)
        lines.append(Content(""))
    lines.append(Content.styled("Timeline marks: ✗ error  ⚠ warning  ● breakpoint; after a re-run: ✓ fixed,"
                                " reversed ✗ new", "$text-muted"))
    lines.append(Content.styled("Matrices: green = changed by an update, red = wrong or not finite, dim = zero",
                                "$text-muted"))
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close", show=True),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_content(), markup=False)

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(result)
