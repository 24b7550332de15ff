"""Read a learner's .py or .ipynb into cells of Python source, ready to compile.

A notebook's code cells run in order, each compiled on its own under the place
Jupyter shows: ``impl.ipynb#cell[5]`` for a cell that stores its execution count
5, else ``impl.ipynb#cell3`` for the third cell of the notebook (markdown cells
count too), so that line numbers are per cell. IPython magics are not Python:
a line magic becomes ``pass`` (same line count); a cell magic that runs its
body as Python in the kernel (``%%time``, ``%%capture``) keeps the body, any
other (``%%bash``, ``%%html``, ``%%writefile``) is commented out whole.
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
# Cell magics whose body is Python run in the notebook's own namespace: the body runs as it would in Jupyter.
# Every other cell magic (%%bash, %%html, %%writefile, %%python3 in a subprocess, …) leaves the namespace alone.
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug", "memit", "snakeviz", "bptrace"})


@dataclass(frozen=True)
class Cell:
    label: str  # the file name steps and findings show: "impl.py", "impl.ipynb#cell[5]" or "impl.ipynb#cell3"
    text: str
    tree: ast.Module


def _neutralise(text: str) -> str:
    """Magics become ``pass`` at their indentation; a ``%%`` cell keeps a Python body or is commented out whole."""
    lines = text.split("\n")
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        words = lines[first].lstrip()[2:].split()
        if not words or words[0] not in PYTHON_CELL_MAGICS:
            return "\n".join("# " + line for line in lines)
        lines[first] = "pass"
    for k, line in enumerate(lines):
        match = _MAGIC.match(line) or _HELP.match(line)
        if match:
            lines[k] = f"{match.group(1)}pass"
    return "\n".join(lines)


def _notebook_sources(path: Path) -> list[tuple[str, str]]:
    """(label, source) of each code cell, labelled with the place Jupyter shows (module docstring)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadInput(str(path), None, f"not a readable notebook (JSON): {error}") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if not isinstance(cells, list):
        raise BadInput(str(path), "cells", "expected a notebook with a list of cells")
    code = [
        (k, cell) for k, cell in enumerate(cells, start=1) if isinstance(cell, dict) and cell.get("cell_type") == "code"
    ]
    counts = [cell.get("execution_count") for _, cell in code]
    sources = []
    for (k, cell), count in zip(code, counts, strict=True):
        source = cell.get("source", "")
        # A count stored twice (a copied cell) would name two cells alike: those fall back to their index.
        stored = isinstance(count, int) and not isinstance(count, bool) and counts.count(count) == 1
        label = f"{path.name}#cell[{count}]" if stored else f"{path.name}#cell{k}"
        sources.append((label, "".join(source) if isinstance(source, list) else str(source)))
    return sources


def load_cells(path: Path) -> list[Cell]:
    """Parse the file's code into cells; a syntax error is bad input (exit 2)."""
    if path.suffix.lower() == ".ipynb":
        labelled = [(label, _neutralise(source)) for label, source in _notebook_sources(path)]
    else:
        try:
            labelled = [(path.name, path.read_text(encoding="utf-8"))]
        except UnicodeDecodeError:
            raise BadInput(str(path), None, "expected UTF-8 Python source") from None
    return [parse_cell(label, text, str(path)) for label, text in labelled]


def parse_cell(label: str, text: str, file: str | None = None) -> Cell:
    """Parse one cell of source named ``label``; a syntax error is bad input (exit 2) naming ``file``
    (default: the label) and the line."""
    try:
        tree = ast.parse(text, filename=label)
        # Some errors only compiling finds ('return' or 'break' outside their place, nonlocal at the
        # top): found here they are bad input, not a SyntaxError traceback from running the rewrite.
        compile(tree, label, "exec", dont_inherit=True)
    except SyntaxError as error:
        # a null byte is refused before there are lines: no line number to name
        line = f"line {error.lineno}" if error.lineno is not None else None
        where = " ".join(filter(None, [line, f"({label})" if "#" in label else None])) or None
        raise BadInput(file or label, where, f"does not parse: {error.msg}") from None
    # Tracebacks and our messages can then quote the cell's own lines.
    linecache.cache[label] = (len(text), None, text.splitlines(keepends=True), label)
    return Cell(label, text, tree)
