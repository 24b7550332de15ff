"""bptrace: a step debugger for backpropagation.

The core (scenario → recorder → Trace) imports neither Textual nor sympy.
"""

from __future__ import annotations

__version__ = "0.1.0"
TRACE_FORMAT = "bptrace-trace"
TRACE_VERSION = 2  # the version writers write; readers also read 1
