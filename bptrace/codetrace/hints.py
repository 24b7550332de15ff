"""``# bptrace: output=A2 targets=Y``: the learner names what bptrace could not find by itself."""

from __future__ import annotations

import re

from bptrace.codetrace.loader import Cell

_HINT = re.compile(r"#\s*bptrace:\s*(.+)$")
_PAIR = re.compile(r"(output|targets)\s*=\s*([A-Za-z_][\w.]*)")


def read_hints(cells: list[Cell]) -> dict[str, str]:
    """``{"output": "A2", "targets": "Y"}`` from the comments of every cell (the last one wins)."""
    hints: dict[str, str] = {}
    for cell in cells:
        for line in cell.text.splitlines():
            match = _HINT.search(line)
            if match:
                hints.update(dict(_PAIR.findall(match.group(1))))
    return hints
