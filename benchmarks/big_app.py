"""The TUI on ``big_trace`` (2,000 steps of 10×40,000 arrays), for timing keys on a real terminal.

    python benchmarks/big_app.py [STEPS]    (tui_big_bench.py launches it on a pseudo-terminal)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's bptrace

from big_trace import big_trace

from bptrace.tui.app import run_app

if __name__ == "__main__":
    raise SystemExit(run_app(big_trace(steps=int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)))
