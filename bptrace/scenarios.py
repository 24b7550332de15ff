"""Where the bundled scenarios live: ``scenarios/`` at the top of the project."""

from __future__ import annotations

from pathlib import Path

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
DEFAULT = "seed1_relu_sigmoid.toml"


def bundled() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def gallery() -> list[Path]:
    """One learner program per finding id, each with a scenario that runs it in code mode."""
    return sorted((SCENARIO_DIR / "gallery").glob("*.toml"))


def default() -> Path:
    return SCENARIO_DIR / DEFAULT
