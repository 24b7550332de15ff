"""Code mode inside a notebook: one cell traced in the kernel's own namespace, and the last trace kept.

No IPython here (``bptrace.jupyter`` has the magics): ``bptrace.last_trace()`` works in any Python.

What a traced cell leaves in the namespace is what running the cell leaves: every assignment its
code made, up to the line that raised if one did (an exception is a finding, not a traceback).
bptrace adds nothing: the recorder's hooks and temporaries are taken out, and the functions and
classes the cell defined run the learner's own, uninstrumented code afterwards
(``bptrace.codetrace.restore``); functions of earlier cells and of modules imported before are
traced for the run only (``bptrace.codetrace.earlier``). Two differences from running the cell,
both said in the README: the global NumPy RNG is not reseeded (the CLI seeds 0; a notebook keeps
its own state), and a bare expression on the cell's last line is not echoed as ``Out[n]``.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass
from pathlib import Path

from bptrace.errors import BadInput
from bptrace.sources import check_options
from bptrace.trace import Trace

_last: Trace | None = None


@dataclass(frozen=True)
class Options:
    loss: str | None = None
    reduction: str | None = None
    steps: int | None = None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise BadInput(None, "%%bptrace", message)  # argparse would exit the kernel's process


def parse_options(line: str) -> Options:
    """``--loss L --reduction R --steps N``, checked as ``bptrace run --code`` checks them."""
    parser = _Parser(prog="%%bptrace", add_help=False)
    parser.add_argument("--loss")
    parser.add_argument("--reduction")
    parser.add_argument("--steps", type=int)
    try:
        words = shlex.split(line)
    except ValueError as error:
        raise BadInput(None, "%%bptrace", f"cannot read the options: {error}") from None
    args = parser.parse_args(words)
    check_options(args.loss, args.reduction, args.steps)
    return Options(args.loss, args.reduction, args.steps)


def trace_cell(body: str, namespace: dict[str, object], *, label: str, first_line: str, options: Options,
               folder: Path, earlier: dict[str, str] | None = None) -> Trace:
    """Run the cell's ``body`` (the lines under ``first_line``, the ``%%bptrace …`` line) traced in
    ``namespace``; findings name lines as the cell numbers them, the magic's line being line 1.
    The functions of the earlier cells named in ``earlier`` (file -> "In [n]") are traced too.
    The trace (formulas filled in) becomes the last trace. Raises BadInput or CannotAnalyse."""
    from bptrace import symbolic
    from bptrace.codetrace import record_source

    global _last
    trace = record_source("\n" + body, namespace, label, folder=folder, loss=options.loss,
                          reduction=options.reduction, steps=options.steps, shown=f"{first_line}\n{body}",
                          earlier=earlier)
    _last = symbolic.with_formulas(trace)
    return _last


def last_trace() -> Trace | None:
    """The trace of the last ``%%bptrace`` cell run in this process, or None before the first."""
    return _last
