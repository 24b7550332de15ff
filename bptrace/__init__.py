"""bptrace: a step debugger for backpropagation.

The core (scenario → recorder → Trace) imports neither Textual nor sympy. IPython is imported only
when a notebook loads the extension (``%load_ext bptrace``, bptrace/jupyter.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bptrace.trace import Trace

__version__ = "0.1.0"
TRACE_FORMAT = "bptrace-trace"
TRACE_VERSION = 2  # the version writers write; readers also read 1


def last_trace() -> Trace | None:
    """The trace of the last ``%%bptrace`` cell run in this process, or None before the first."""
    from bptrace.notebook import last_trace

    return last_trace()


def load_ipython_extension(shell: object) -> None:
    """``%load_ext bptrace``: registers ``%%bptrace`` and ``%bptrace_last`` (needs ``bptrace[jupyter]``)."""
    from bptrace.jupyter import load_ipython_extension

    load_ipython_extension(shell)
