"""The IPython magics (``%load_ext bptrace``): ``%%bptrace`` and ``%bptrace_last``.

The one module that imports IPython (the ``jupyter`` extra). What a traced cell leaves in the
namespace: ``bptrace.notebook``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from bptrace import notebook
from bptrace.errors import BadInput, CannotAnalyse
from bptrace.inert import visible
from bptrace.notebook_view import Verdict, Viewer


def _say(message: str) -> None:
    """One line in the cell's output (its stderr), as the CLI says it: no traceback."""
    print(f"bptrace: {visible(message, lines=False)}", file=sys.stderr)


@magics_class
class BptraceMagics(Magics):
    @cell_magic
    def bptrace(self, line: str, cell: str) -> None:
        """%%bptrace [--loss L] [--reduction R] [--steps N]: run the cell traced, show the verdict and the trace."""
        try:
            options = notebook.parse_options(line)
        except BadInput as error:
            _say(f"error: {error}")
            return
        shell = self.shell
        assert shell is not None
        body = _python(shell, cell)
        count = shell.execution_count
        label = f"In [{count}]" if isinstance(count, int) else "cell"
        try:
            trace = notebook.trace_cell(body, shell.user_ns, label=label, first_line=f"%%bptrace {line}".rstrip(),
                                        options=options, folder=Path(os.getcwd()), earlier=_cells(shell))
        except BadInput as error:
            _say(f"error: {error}")
            return
        except CannotAnalyse as error:
            _say(str(error))
            return
        display(Verdict(trace))
        display(Viewer(trace))

    @line_magic
    def bptrace_last(self, line: str) -> None:
        """%bptrace_last: show the last %%bptrace cell's verdict and trace again."""
        trace = notebook.last_trace()
        if trace is None:
            _say("no trace yet: run a cell that starts with %%bptrace first")
            return
        display(Verdict(trace))
        display(Viewer(trace))


def _python(shell: object, cell: str) -> str:
    """The cell as IPython would run it (``%time x``, ``!ls`` become calls), when that keeps its lines
    where they are: the findings' line numbers are the cell's own."""
    transformed = shell.transform_cell(cell)  # type: ignore[attr-defined]
    same = transformed.rstrip("\n").count("\n") == cell.rstrip("\n").count("\n")
    return transformed if same else cell


def _cells(shell: object) -> dict[str, str]:
    """The kernel's earlier cells, file name -> "In [n]": IPython's compiler keeps that map (and the cells'
    text in linecache) for its own tracebacks. Without it, functions of earlier cells run untraced."""
    numbers = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if not isinstance(numbers, dict):
        return {}
    return {name: f"In [{n}]" for name, n in numbers.items() if isinstance(name, str) and isinstance(n, int)}


def load_ipython_extension(shell: object) -> None:
    shell.register_magics(BptraceMagics)  # type: ignore[attr-defined]
