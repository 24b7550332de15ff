"""Helpers for the hostile-input tests: the real CLI in a subprocess, under a memory limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The code under test; BPTRACE_ROOT points the subprocesses at another checkout (e.g. to see these tests fail on main).
CODE = Path(os.environ.get("BPTRACE_ROOT", ROOT))
# Enough for numpy, sympy and Textual to import and a small trace to record; far below what
# any of the memory bombs asks for, so a regression fails fast instead of taking the machine down.
ADDRESS_SPACE = 1_500 * 2**20


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@contextmanager
def memory_cap(extra: int = 1 << 30) -> Iterator[None]:
    """In this process: allow only ``extra`` bytes of address space beyond what it holds now.

    For in-process tests (hypothesis runs too many examples for a subprocess each): a regression
    that allocates without bound gets a MemoryError instead of the machine's OOM killer.
    Only the soft limit moves, so it can be put back.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    status = Path("/proc/self/status").read_text()
    in_use = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmSize:"))) * 1024
    cap = in_use + extra if hard == resource.RLIM_INFINITY else min(in_use + extra, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def bptrace(*args: str, cwd: Path, timeout: float = 120, **extra: str) -> subprocess.CompletedProcess[str]:
    """``python -m bptrace ARGS`` with this checkout first on the path and the address space capped."""
    env = {**os.environ, "PYTHONPATH": str(CODE), **extra}
    return subprocess.run(
        [sys.executable, "-m", "bptrace", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env=env, preexec_fn=_limit_memory,
    )


def assert_bad_input(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, one line on stderr naming what was wrong, no traceback, nothing on stdout."""
    message = result.stderr.strip()
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert len(message.splitlines()) == 1, message
    assert message.startswith("bptrace: error:"), message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"


@pytest.fixture
def seed1(tmp_path: Path) -> Path:
    """A copy of the first bundled scenario, to edit."""
    source = ROOT / "scenarios" / "seed1_relu_sigmoid.toml"
    target = tmp_path / "seed1.toml"
    target.write_text(source.read_text())
    return target
