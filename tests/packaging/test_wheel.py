"""A regular install (a wheel, as `pip install .` or `pipx install .` builds) carries the scenarios and the gallery.

The wheel is built from a copy of the project's own files (no stale `build/`), installed into a fresh venv,
and run from a folder outside the checkout. The venv sees the system's packages so that numpy, sympy and
Textual need no download; the test checks that bptrace itself is imported from the venv, not the checkout.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(*command: str | Path, cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("bptrace", "scenarios"):
        shutil.copytree(ROOT / folder, source / folder, symlinks=True, ignore=ignore)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", base / "dist", source, cwd=base)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("bptrace-*.whl")
    venv = base / "venv"
    made = _run(sys.executable, "-m", "venv", "--system-site-packages", venv, cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    install = _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=base)
    assert install.returncode == 0, install.stderr
    where = _run(python, "-c", "import bptrace; print(bptrace.__file__)", cwd=base)
    assert str(venv) in where.stdout, where.stdout + where.stderr
    return venv


def test_bptrace_scenarios_lists_the_bundled_ones(installed: Path, tmp_path: Path) -> None:
    result = _run(installed / "bin" / "bptrace", "scenarios", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    shipped = sorted(path.stem for path in (ROOT / "scenarios").glob("*.toml"))
    gallery = sorted(path.stem for path in (ROOT / "scenarios" / "gallery").glob("*.toml"))
    assert len(shipped) >= 5 and len(gallery) >= 16
    for name in (*shipped, *(f"gallery/{stem}" for stem in gallery)):
        assert name in result.stdout


def test_bptrace_run_by_bundled_name_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    result = _run(installed / "bin" / "bptrace", "run", "seed1_relu_sigmoid", "--steps", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Loss per training step" in result.stdout


def test_a_gallery_program_runs_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    result = _run(installed / "bin" / "bptrace", "run", "gallery/derivative_on_preactivation", "--quiet", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "derivative-on-preactivation" in result.stdout
