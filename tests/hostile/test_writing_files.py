"""Class 6: exports go through symlinks, into devices and FIFOs, keep modes, and survive a full disk."""

from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.hostile.conftest import CODE, assert_bad_input, bptrace


def test_a_symlink_is_followed_and_its_target_replaced(seed1: Path, tmp_path: Path) -> None:
    real = tmp_path / "kept" / "trace.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    result = bptrace("export", seed1.name, "-o", "link.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_text().startswith('{"format":"bptrace-trace"')
    assert [p.name for p in real.parent.iterdir()] == ["trace.json"]  # no temporary left behind


def test_the_targets_mode_is_kept(seed1: Path, tmp_path: Path) -> None:
    out = tmp_path / "private.json"
    out.write_text("old")
    out.chmod(0o600)
    assert bptrace("export", seed1.name, "-o", out.name, cwd=tmp_path).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_text() != "old"


def test_a_new_file_gets_the_umask_mode(seed1: Path, tmp_path: Path) -> None:
    assert bptrace("export", seed1.name, "-o", "new.json", cwd=tmp_path).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o666 & ~umask


def _device(path: Path, minor: int) -> Path:
    """Our own character device node (1, minor) in tmp_path: a regression must not replace the machine's."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return path


def test_a_device_node_stays_a_device(seed1: Path, tmp_path: Path) -> None:
    null = _device(tmp_path / "null", 3)
    result = bptrace("export", seed1.name, "-o", str(null), "--format", "json", cwd=seed1.parent)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(null.stat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["null", "seed1.toml"]


def test_a_fifo_is_written_through(seed1: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = bptrace("export", seed1.name, "-o", fifo.name, cwd=tmp_path)
    reader.join(30)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].startswith(b'{"format":"bptrace-trace"')


def test_a_full_device_is_exit_2_in_one_line(seed1: Path, tmp_path: Path) -> None:
    full = _device(tmp_path / "full", 7)  # /dev/full: every write fails with ENOSPC
    result = bptrace("export", seed1.name, "-o", str(full), "--format", "json", cwd=seed1.parent)
    assert_bad_input(result, "full", "No space left on device")
    assert stat.S_ISCHR(full.stat().st_mode)


def test_a_write_that_fails_midway_keeps_the_old_file(seed1: Path, tmp_path: Path) -> None:
    # RLIMIT_FSIZE makes the write fail part-way (EFBIG) the way a full disk does (ENOSPC);
    # Python ignores SIGXFSZ, so the failure arrives as an OSError.
    out = tmp_path / "trace.json"
    out.write_text("old trace")

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    env = {**os.environ, "PYTHONPATH": str(CODE), "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "bptrace", "export", seed1.name, "-o", out.name],
                            capture_output=True, text=True, cwd=tmp_path, env=env, preexec_fn=small_files, timeout=120)
    assert_bad_input(result, "trace.json", "cannot write", "File too large")
    assert out.read_text() == "old trace"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed1.toml", "trace.json"]
