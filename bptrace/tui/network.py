"""A small diagram of the network, the node the current step works on highlighted.

Arrows point the way the current phase flows: forward ─▶, backward ◀─.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from bptrace.trace import ScenarioInfo

SHORT = {"sigmoid": "σ", "relu": "relu", "tanh": "tanh", "leaky_relu": "lrelu", "linear": "lin", "softmax": "smax"}


class NetworkDiagram(Widget):
    """Two lines: node names with arrows, then units and activation under each."""

    node: reactive[int | None] = reactive(None)
    """The highlighted node: 0 is X, n is layer n, one past the last layer is the loss."""
    backward: reactive[bool] = reactive(False)

    def __init__(self, info: ScenarioInfo, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.info = info

    def nodes(self) -> list[tuple[str, str]]:
        layers = self.info.layers
        if not layers:
            return []
        out = [("X", str(layers[0][0]))]
        out += [(f"L{n}", f"{units} {SHORT.get(act, act)}") for n, (units, act) in enumerate(layers[1:], start=1)]
        out.append(("L", self.info.loss))
        return out

    def render(self) -> Content:
        nodes = self.nodes()
        if not nodes:
            source = self.info.source_file or "user code"
            return Content.assemble(
                ("code mode", "bold"), f" · {source}\n", ("network read from the code", "$text-muted")
            )
        arrow = " ◀ " if self.backward else " ▶ "
        top: list[Content] = []
        bottom: list[Content] = []
        for number, (name, detail) in enumerate(nodes):
            width = max(len(name), len(detail))
            style = "bold reverse $accent" if number == self.node else "bold"
            top.append(Content.styled(name.center(width), style))
            bottom.append(Content.styled(detail.center(width), "$text-muted" if number != self.node else "$accent"))
        spacer = Content(" " * len(arrow))
        return Content(arrow).join(top) + Content("\n") + spacer.join(bottom)
