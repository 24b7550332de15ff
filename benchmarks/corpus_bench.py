"""Code mode on the corpus: each learner program under ``bptrace run --code`` against ``python`` alone.

Budget (issue 11): at most 3× the plain run as a whole process, or under 2 s, whichever is larger.
Both commands run as fresh processes, alternately (plain, bptrace, plain, bptrace …), so noise on this
shared machine hits both alike; each figure is a median. A notebook's plain run is its code cells
written out as one script (magics blanked, as Jupyter would not run them as Python either).

    python benchmarks/corpus_bench.py [--runs N] [--quick] [-k SUBSTRING]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
_HEADER = re.compile(r"^\s*#?\s*(loss|reduction):\s*(\S+)")
_MAGIC = re.compile(r"^\s*[%!]")


def programs() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(CORPUS.iterdir()):
        if path.is_dir() and (path / "main.py").exists():
            found.append((path.name, path / "main.py"))
        elif path.suffix in (".py", ".ipynb"):
            found.append((path.name, path))
    return found


def _header(entry: Path) -> dict[str, str]:
    if entry.suffix == ".ipynb":
        first = json.loads(entry.read_text(encoding="utf-8"))["cells"][0]["source"]
        text = "".join(first) if isinstance(first, list) else first
    else:
        text = "\n".join(entry.read_text(encoding="utf-8").splitlines()[:20])
    return {m.group(1): m.group(2) for line in text.splitlines() if (m := _HEADER.match(line))}


def _plain_script(entry: Path, folder: Path) -> Path:
    """The file ``python`` runs: the program itself, or a notebook's code cells as one script."""
    if entry.suffix != ".ipynb":
        return entry
    cells = json.loads(entry.read_text(encoding="utf-8"))["cells"]
    lines: list[str] = []
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        text = "".join(source) if isinstance(source, list) else source
        lines += ["pass" if _MAGIC.match(line) else line for line in text.splitlines()]
    script = folder / (entry.stem + "_plain.py")
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return script


# This checkout's bptrace, whichever one is installed.
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _time(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, env=_ENV)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one run of three programs (CI smoke)")
    parser.add_argument("-k", default="", help="only programs whose name contains this")
    args = parser.parse_args()
    chosen = [p for p in programs() if args.k in p[0]]
    runs = 1 if args.quick else args.runs
    if args.quick:
        chosen = chosen[:3]
    env_python = [sys.executable]
    print(f"{'program':28} {'plain':>7} {'bptrace':>8} {'ratio':>6}  budget (≤3× or <2 s)")
    over = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, entry in chosen:
            header = _header(entry)
            plain = [*env_python, str(_plain_script(entry, Path(tmp)))]
            traced = [*env_python, "-m", "bptrace", "run", "--code", str(entry), "--loss", header["loss"],
                      "--reduction", header.get("reduction", "mean")]
            plain_times, traced_times = [], []
            for _ in range(runs):
                plain_times.append(_time(plain, entry.parent))
                traced_times.append(_time(traced, entry.parent))
            p, t = statistics.median(plain_times), statistics.median(traced_times)
            ok = t <= 3 * p or t < 2.0
            over += not ok
            print(f"{name:28} {p:6.2f}s {t:7.2f}s {t / p:5.2f}×  {'✓' if ok else '✗'}")
    print(f"{len(chosen)} programs, {over} over budget (medians of {runs} alternating runs, whole processes)")


if __name__ == "__main__":
    main()
