"""Small modal dialogs: go to a step, export the trace.

Each dismisses with its answer (or None when cancelled); the screen that
pushed it acts on the answer, so the dialogs know nothing of the trace's workings.
"""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


def parse_goto(text: str, steps: int, train_steps: int, first_of: dict[int, int]) -> int | str:
    """A step index from ``12`` or ``t3`` (first step of training step 3), or a message saying what is wrong."""
    text = text.strip().lower()
    found = re.fullmatch(r"(t?)\s*(-?\d+)", text)
    if not found:
        return "type a step number like 12, or t3 for training step 3"
    number = int(found.group(2))
    if found.group(1):
        if not 0 <= number < train_steps:
            return f"training steps go from 0 to {train_steps - 1}"
        return first_of[number]
    if not 0 <= number < steps:
        return f"steps go from 0 to {steps - 1}"
    return number


class _Prompt(ModalScreen[str | None]):
    """A title, one input, a line for errors; enter answers, escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, hint: str, value: str = "") -> None:
        super().__init__()
        self.title_text, self.hint, self.value = title, hint, value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(value=self.value, placeholder=self.hint, select_on_focus=True)
            yield Static(self.hint, classes="dialog-hint", markup=False)

    def say(self, message: str) -> None:
        hint = self.query_one(".dialog-hint", Static)
        hint.update(message)
        hint.add_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class GoToDialog(_Prompt):
    """Asks for a step; refuses (with a reason) anything that is not one."""

    def __init__(self, steps: int, train_steps: int, first_of: dict[int, int]) -> None:
        super().__init__("Go to step", "a step number like 12, or t3 for training step 3")
        self.steps, self.train_steps, self.first_of = steps, train_steps, first_of

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        answer = parse_goto(event.value, self.steps, self.train_steps, self.first_of)
        if isinstance(answer, str):
            self.say(answer)
        else:
            self.dismiss(str(answer))


class ExportDialog(_Prompt):
    """Asks for the file to write; its suffix picks the format."""

    def __init__(self, default: str) -> None:
        super().__init__("Export trace to", "the suffix picks the format: .json, .md or .html", default)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            self.say("type a file name, e.g. trace.json")
            return
        self.dismiss(event.value.strip())
