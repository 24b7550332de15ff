"""Class 7: the learner's script ends abnormally (os._exit, KeyboardInterrupt, Ctrl-C)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.hostile.conftest import CODE, ROOT, bptrace

NETWORK = (ROOT / "tests" / "fixtures" / "functions_columns.py").read_text().split("for epoch in range(3):")[0]
TRAIN = """\
    Z1, A1, Z2, A2 = forward_propagation(X)
    dW1, db1, dW2, db2 = backward_propagation(X, Y, Z1, A1, Z2, A2)
    W1 -= learning_rate * dW1
    b1 -= learning_rate * db1
    W2 -= learning_rate * dW2
    b2 -= learning_rate * db2
"""


def script(tmp_path: Path, loop: str, after: str = "") -> Path:
    path = tmp_path / "impl.py"
    path.write_text(NETWORK + loop + TRAIN + after)
    return path


def test_os_exit_is_intercepted_like_sys_exit(tmp_path: Path) -> None:
    script(tmp_path, "import os\nfor epoch in range(3):\n", "    if epoch == 1:\n        os._exit(3)\n")
    result = bptrace("run", "--code", "impl.py", "--loss", "bce", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]  # the exit is reported as an `exception` finding
    out = " ".join(result.stdout.split())
    assert "Gradient check" in out and "exception" in out and "impl.py:" in out  # the recorded steps reported
    assert "SystemExit" in out or "exit" in out.lower()


def test_a_keyboard_interrupt_raised_by_the_script_is_an_exception_finding(tmp_path: Path) -> None:
    script(tmp_path, "for epoch in range(3):\n", "    if epoch == 1:\n        raise KeyboardInterrupt('stop here')\n")
    result = bptrace("run", "--code", "impl.py", "--loss", "bce", cwd=tmp_path)
    assert result.returncode == 1, result.stderr[-2000:]
    out = " ".join(result.stdout.split())
    assert "exception" in out and "KeyboardInterrupt" in out and "stop here" in out


@contextmanager
def _started(tmp_path: Path, command: str) -> Iterator[subprocess.Popen[str]]:
    """``bptrace COMMAND --code impl.py`` running; killed afterwards if a regression left it looping."""
    env = {**os.environ, "PYTHONPATH": str(CODE)}
    process = subprocess.Popen([sys.executable, "-m", "bptrace", command, "--code", "impl.py", "--loss", "bce"],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _wait_for(process: subprocess.Popen[str], line: str) -> None:
    """Read the learner's output (on stderr in code mode) until ``line`` appears."""
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.stderr.readline().strip() == line:
            return
    raise AssertionError(f"{line!r} never printed")


def test_first_ctrl_c_stops_an_endless_loop_and_reports_what_was_recorded(tmp_path: Path) -> None:
    script(
        tmp_path, "epoch = 0\nwhile True:\n", "    epoch += 1\n    if epoch == 5:\n        print('ready', flush=True)\n"
    )
    with _started(tmp_path, "run") as process:
        _wait_for(process, "ready")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode in (0, 1), err[-2000:]
    assert "Traceback" not in err
    assert "Gradient check" in out  # the recorded steps were checked and reported
    assert "interrupted" in (out + err).lower()


def test_a_second_ctrl_c_exits_at_once(tmp_path: Path) -> None:
    # The script swallows the first Ctrl-C and loops on: the second must still end bptrace.
    script(tmp_path, "epoch = 0\nwhile True:\n  try:\n", "    epoch += 1\n    if epoch == 5:\n"
           "        print('ready', flush=True)\n  except KeyboardInterrupt:\n    print('swallowed', flush=True)\n")
    with _started(tmp_path, "run") as process:
        _wait_for(process, "ready")
        process.send_signal(signal.SIGINT)
        _wait_for(process, "swallowed")
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        process.communicate(timeout=30)
        assert process.returncode == 130
        assert time.monotonic() - started < 10


async def test_the_tui_says_the_trace_was_interrupted() -> None:
    from dataclasses import replace

    from bptrace.tui.app import BptraceApp
    from tests.tui.conftest import code_trace, settle

    trace = code_trace()
    app = BptraceApp(replace(trace, scenario=replace(trace.scenario, interrupted=True)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        messages = [
            n.message for n in app._notifications
        ]  # toasts are not in the screenshot; Textual's tests read this
    assert any(m.startswith("Interrupted (Ctrl-C): the script was stopped") for m in messages), messages
