"""The loss over training steps as a sparkline, the current training step marked."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from bptrace.numbers import number, sparkline_cells


def sparkline(losses: tuple[float, ...], width: int, current: int | None = None) -> Content:
    if not losses:
        return Content.styled("no loss recorded", "$text-muted")
    parts: list[tuple[str, str]] = []
    for start, stop, bar in sparkline_cells(losses, width):
        if bar == "✗":
            parts.append((bar, "bold $error"))
            continue
        style = "bold reverse $accent" if current is not None and start <= current < stop else "$primary"
        parts.append((bar, style))
    return Content.assemble(*parts)


class LossChart(Widget):
    """``loss 0.6975 · t 3/19`` (as much as fits) and the sparkline under it."""

    train_step: reactive[int] = reactive(0)

    def __init__(self, losses: tuple[float, ...], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.losses = losses

    def render(self) -> Content:
        losses = self.losses
        if not losses:
            return Content.styled("no loss recorded", "$text-muted")
        step = min(self.train_step, len(losses) - 1)
        width = max(1, self.content_region.width or 20)
        head = Content.assemble(("loss ", "$text-muted"), (number(losses[step]), "bold"))
        for where in (f" · t {step}/{len(losses) - 1}", f" {step}/{len(losses) - 1}", ""):  # the longest that fits
            if head.cell_length + len(where) <= width:
                head += Content.styled(where, "$text-muted")
                break
        if len(losses) == 1:
            return head + Content.styled("\n(one training step)", "$text-muted")
        return head + Content("\n") + sparkline(losses, width, step)
