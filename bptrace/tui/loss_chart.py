"""The loss over training steps as a sparkline, the current training step marked."""

from __future__ import annotations

import math

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from bptrace.numbers import number

BARS = "▁▂▃▄▅▆▇█"


def buckets(losses: tuple[float, ...], width: int) -> list[tuple[int, int]]:
    """Split training steps into at most ``width`` consecutive (start, stop) ranges."""
    n = len(losses)
    width = max(1, min(width, n))
    return [(n * k // width, n * (k + 1) // width) for k in range(width)]


def sparkline(losses: tuple[float, ...], width: int, current: int | None = None) -> Content:
    if not losses:
        return Content.styled("no loss recorded", "$text-muted")
    finite = [x for x in losses if math.isfinite(x)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    parts: list[tuple[str, str]] = []
    for start, stop in buckets(losses, width):
        chunk = losses[start:stop]
        style = "bold reverse $accent" if current is not None and start <= current < stop else "$primary"
        if not all(math.isfinite(x) for x in chunk):
            parts.append(("✗", "bold $error"))
            continue
        mean = sum(chunk) / len(chunk)
        level = 0 if high == low else round((mean - low) / (high - low) * (len(BARS) - 1))
        parts.append((BARS[level], style))
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
