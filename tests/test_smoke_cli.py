import subprocess
import sys

from bptrace.bundled import bundled


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bptrace", *args], capture_output=True, text=True, timeout=120)


def test_every_bundled_scenario_runs_headless() -> None:
    paths = bundled()
    assert len(paths) >= 5
    for path in paths:
        result = run_cli("run", str(path), "--steps", "2")
        assert result.returncode in (0, 1), result.stderr
        assert "Loss per training step" in result.stdout and "error(s)" in result.stdout
        assert "Traceback" not in result.stderr


def test_scenarios_lists_the_bundled_ones_and_the_gallery() -> None:
    from bptrace.bundled import gallery

    result = run_cli("scenarios")
    assert result.returncode == 0, result.stderr
    listing = " ".join(result.stdout.split())  # rich wraps long descriptions
    for path in bundled():
        assert path.stem in listing
    assert len(gallery()) >= 16
    for path in gallery():
        assert f"gallery/{path.stem}" in listing
