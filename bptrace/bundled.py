"""The scenarios and the gallery that ship with bptrace.

They live in the repository's top-level ``scenarios/``; ``bptrace/_scenarios``
is a link to it, so a checkout, an editable install and a wheel (which copies
the files in at build time) all find them the same way, through
``importlib.resources``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SCENARIO_DIR = Path(str(files("bptrace") / "_scenarios"))
DEFAULT = "seed1_relu_sigmoid.toml"


def bundled() -> list[Path]:
    return sorted(SCENARIO_DIR.glob("*.toml"))


def gallery() -> list[Path]:
    """One learner program per finding id, each with a scenario that runs it in code mode."""
    return sorted((SCENARIO_DIR / "gallery").glob("*.toml"))


def default() -> Path:
    return SCENARIO_DIR / DEFAULT


def names() -> list[str]:
    """How the command line can name each one without a path: ``xor_tanh``, ``gallery/dead_relu``."""
    return [path.relative_to(SCENARIO_DIR).with_suffix("").as_posix() for path in (*bundled(), *gallery())]


def find(name: str) -> Path | None:
    """The bundled scenario called ``name`` (with or without ``.toml``), if there is one."""
    stem = name.removesuffix(".toml")
    return SCENARIO_DIR / f"{stem}.toml" if stem in names() else None
