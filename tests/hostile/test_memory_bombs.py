"""Class 1: inputs that ask for more memory than the machine has are refused up front (exit 2).

Every case runs the real CLI under an address-space limit (conftest.ADDRESS_SPACE): before the
fix each one died of MemoryError (a traceback, exit 1) or worse, instead of saying what it asked for.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.hostile.conftest import assert_bad_input, bptrace

WIDE = """\
format = 1
name = "wide"
[network]
inputs = 2
layers = [ { units = UNITS, activation = "relu" }, { units = UNITS, activation = "relu" },
           { units = 1, activation = "sigmoid" } ]
loss = "bce"
[data]
X = [[0.5], [0.1]]
Y = [[1.0]]
"""


def test_detail_range_is_resolved_against_the_trace_not_built_up_front(seed1: Path) -> None:
    started = time.perf_counter()
    result = bptrace("export", seed1.name, "-o", "notes.md", "--detail", "0..-1", cwd=seed1.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "## Training step 0" in (seed1.parent / "notes.md").read_text()
    assert time.perf_counter() - started < 60


def test_detail_spelling_is_still_checked_before_recording(seed1: Path) -> None:
    result = bptrace("export", seed1.name, "-o", "notes.md", "--detail", "0..x", cwd=seed1.parent)
    assert_bad_input(result, "--detail", '"0..x"')
    assert not (seed1.parent / "notes.md").exists()


def test_a_layer_within_the_unit_limit_but_too_big_in_product_is_refused_with_the_estimate(tmp_path: Path) -> None:
    (tmp_path / "wide.toml").write_text(WIDE.replace("UNITS", "100000"))
    for command in (["run", "wide.toml"], ["export", "wide.toml", "-o", "out.json"]):
        result = bptrace(*command, cwd=tmp_path)
        assert_bad_input(result, "wide.toml", "network", "GiB", "expected at most 1.0 GiB")
    assert not (tmp_path / "out.json").exists()


def test_a_network_that_fits_is_not_refused(tmp_path: Path) -> None:
    (tmp_path / "wide.toml").write_text(WIDE.replace("UNITS", "300"))
    result = bptrace("run", "wide.toml", cwd=tmp_path)
    assert result.returncode in (0, 1), result.stderr[-2000:]


def test_steps_on_the_command_line_obey_the_scenario_maximum(seed1: Path) -> None:
    result = bptrace("run", seed1.name, "--steps", "1000000", cwd=seed1.parent)
    assert_bad_input(result, "--steps", "1 to 100000", "1000000")


def test_steps_on_the_command_line_count_in_the_memory_estimate(tmp_path: Path) -> None:
    # 1,000 units: about 150 kB per training step, so 100,000 steps would keep some 14 GiB.
    one_hidden = WIDE.replace('{ units = UNITS, activation = "relu" }, ', "", 1).replace("UNITS", "1000")
    assert one_hidden.count("units = 1000") == 1
    (tmp_path / "wide.toml").write_text(one_hidden)
    result = bptrace("run", "wide.toml", "--steps", "100000", cwd=tmp_path)
    assert_bad_input(result, "wide.toml", "--steps", "100000 training step(s)", "GiB")


def test_detail_all_is_still_accepted(seed1: Path) -> None:
    result = bptrace("export", seed1.name, "-o", "notes.md", "--detail", "all", "--steps", "3", cwd=seed1.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "## Training step 2" in (seed1.parent / "notes.md").read_text()
