"""``bptrace run --watch`` as a learner runs it beside an editor: a subprocess with no TTY, files saved
under it, its output read as it comes, and Ctrl-C (SIGINT) to end it."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "watch_sigmoid.py"
BUGGY = FIXTURE.read_text()
FIXED = BUGGY.replace("sigmoid_derivative(Zo)", "sigmoid_derivative(Ao)")
GUILTY = next(n for n, line in enumerate(BUGGY.splitlines(), start=1) if line.strip().startswith("dZo ="))
WATCHING = "bptrace: watching impl.py and the .py/.ipynb files beside it; Ctrl-C stops"


class Watching:
    """The process and its merged output, line by line, read on a thread (a pipe read would block)."""

    def __init__(self, path: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bptrace", "run", "--code", str(path), "--watch", *args],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def until(self, wanted: str, timeout: float = 90.0) -> list[str]:
        """The lines up to and including the first that contains ``wanted``."""
        deadline = time.monotonic() + timeout
        got: list[str] = []
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no line with {wanted!r}; output so far:\n" + "\n".join(self.seen)
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            got.append(line)
            if wanted in line:
                return got

    def stop(self) -> tuple[int, str]:
        """Ctrl-C; the exit status and the rest of the output."""
        self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        rest: list[str] = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return code, "\n".join(rest)


def save(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def test_each_save_reprints_the_verdict_and_ctrl_c_ends_it(tmp_path: Path) -> None:
    path = tmp_path / "impl.py"
    path.write_text(BUGGY)
    watch = Watching(path, "--quiet")
    try:
        first = watch.until(WATCHING)
        assert first[0].startswith("── run 1 · impl.py · ")
        assert any(f"✗ derivative-on-preactivation (step 29, impl.py:{GUILTY})" in line for line in first)
        assert "1 error(s), 0 warning(s)" in first

        save(path, FIXED)
        second = watch.until(WATCHING)
        assert second[0].startswith("── run 2 · impl.py saved · ")
        assert second[-3:-1] == ["0 error(s), 0 warning(s)",
                                 f"✓ derivative-on-preactivation at line {GUILTY} is gone; 0 errors"]

        save(path, FIXED.replace("    Ao = sigmoid(Zo)", "    Ao = sigmoid(Zo))"))
        third = watch.until(WATCHING)
        assert f"bptrace: error: impl.py:{GUILTY - 3}: does not parse: unmatched ')'" in third
        assert "bptrace: the last good run's report stands; save again to re-run" in third

        save(path, BUGGY)  # compared with the last good run (the fixed one), not the broken save
        fourth = watch.until(WATCHING)
        assert f"✗ new: derivative-on-preactivation at line {GUILTY}; 1 error" in fourth
    finally:
        code, rest = watch.stop()
    assert code == 0
    assert rest.splitlines()[-1] == "bptrace: stopped watching"
    assert "Traceback" not in "\n".join(watch.seen) + rest


def test_ctrl_c_while_the_script_runs_reports_and_keeps_watching(tmp_path: Path) -> None:
    started = tmp_path / "started.txt"
    path = tmp_path / "impl.py"
    path.write_text("import time\nfrom pathlib import Path\n\nimport numpy as np\n\n"
                    f"Path({str(started)!r}).write_text('running')\n"
                    "while True:\n    np.zeros(1) + 1\n    time.sleep(0.01)\n")
    watch = Watching(path)
    try:
        deadline = time.monotonic() + 90
        while not started.exists():
            assert time.monotonic() < deadline and watch.process.poll() is None, "\n".join(watch.seen)
            time.sleep(0.02)
        watch.process.send_signal(signal.SIGINT)  # the first: it stops the script, as `bptrace run` does
        after = watch.until(WATCHING)
        assert any(line.startswith("bptrace: interrupted (Ctrl-C): the script was stopped") for line in after), after
        assert not any("cannot analyse" in line for line in after)  # stopped is not a verdict on the program
        assert watch.process.poll() is None
    finally:
        code, rest = watch.stop()  # the next, while waiting: the end
    assert code == 0 and "Traceback" not in "\n".join(watch.seen) + rest


def test_watch_needs_a_code_file(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "seed1_relu_sigmoid.toml"
    result = subprocess.run([sys.executable, "-m", "bptrace", "run", str(scenario), "--watch"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("bptrace: error: --watch: watch mode re-runs a code file: give --code FILE "
                                     "(or a scenario with a [code] section)")
    missing = subprocess.run([sys.executable, "-m", "bptrace", "tui", "--code", str(tmp_path / "nope.py"), "--watch"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and missing.stderr.strip().endswith("nope.py: no such file")
