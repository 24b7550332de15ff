"""The core (recorder, scenario, CLI, sources, report) imports neither textual nor sympy: both load lazily."""

import subprocess
import sys


def test_importing_the_core_imports_neither_textual_nor_sympy() -> None:
    code = (
        "import sys, bptrace, bptrace.recorder, bptrace.scenario, bptrace.cli, bptrace.sources, bptrace.report\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'sympy'))\n"
        "print(','.join(bad))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
