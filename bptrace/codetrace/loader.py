"""Read a learner's .py or .ipynb into cells of Python source, ready to compile.

A notebook's code cells run in order, each compiled on its own under a name
like ``impl.ipynb#cell3`` so that line numbers are per cell, as Jupyter shows
them. IPython magics are not Python: they become ``pass`` (same line count).
"""

from __future__ import annotations

import ast
import json
import linecache
import re
from dataclasses import dataclass
from pathlib import Path

from bptrace.errors import BadInput

# `%matplotlib inline`, `!pip install x`, `x = !ls`, `y = %time f()`, `obj?`
_MAGIC = re.compile(r"^(\s*)(?:[%!]|[\w.,\s\[\]]+=\s*[%!])")
_HELP = re.compile(r"^(\s*)[\w.]+\?{1,2}\s*$")


@dataclass(frozen=True)
class Cell:
    label: str  # the file name steps and findings show: "impl.py" or "impl.ipynb#cell3"
    text: str
    tree: ast.Module


def _neutralise(text: str) -> str:
    """Magics become ``pass`` at their indentation; a ``%%`` cell is commented out whole."""
    if text.lstrip().startswith("%%"):
        return "\n".join("# " + line for line in text.split("\n"))
    lines = []
    for line in text.split("\n"):
        match = _MAGIC.match(line) or _HELP.match(line)
        lines.append(f"{match.group(1)}pass" if match else line)
    return "\n".join(lines)


def _notebook_sources(path: Path) -> list[str]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(str(path), None, f"not a readable notebook (JSON): {error}") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise BadInput(str(path), "cells", "expected a notebook with a list of cells")
    sources = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def load_cells(path: Path) -> list[Cell]:
    """Parse the file's code into cells; a syntax error is bad input (exit 2)."""
    if path.suffix.lower() == ".ipynb":
        labelled = [(f"{path.name}#cell{i}", _neutralise(s)) for i, s in enumerate(_notebook_sources(path), start=1)]
    else:
        try:
            labelled = [(path.name, path.read_text(encoding="utf-8"))]
        except UnicodeDecodeError:
            raise BadInput(str(path), None, "expected UTF-8 Python source") from None
    cells = []
    for label, text in labelled:
        try:
            tree = ast.parse(text, filename=label)
        except SyntaxError as error:
            where = f"line {error.lineno}" + (f" ({label})" if "#" in label else "")
            raise BadInput(str(path), where, f"does not parse: {error.msg}") from None
        # Tracebacks and our messages can then quote the cell's own lines.
        linecache.cache[label] = (len(text), None, text.splitlines(keepends=True), label)
        cells.append(Cell(label, text, tree))
    return cells
