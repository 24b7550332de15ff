"""The first-frame floor: a Textual hello-world that imports numpy and paints 12 Static lines.

bptrace's first frame is compared with this one, launched the same way in the same run
(``tui_bench.py``): on a shared machine only the ratio means something.
"""

from __future__ import annotations

import numpy as np
from textual.app import App, ComposeResult
from textual.widgets import Static

LINES = 12


class Floor(App[None]):
    BINDINGS = [("q", "quit", "Quit")]  # noqa: RUF012 (Textual's own convention)

    def compose(self) -> ComposeResult:
        for k in range(LINES):
            yield Static(f"Floor line {k}: {np.float64(k) / 7:.4f}")


if __name__ == "__main__":
    Floor().run()
