"""The corpus (tests/corpus/README.md): learner programs in every common style, correct as written.

Each correct program checks clean; each plant (one exact substitution) is named by its id at the planted
line, in the file (or notebook cell) where it is, with no unrelated error.
"""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bptrace.codetrace import record_code

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
_HEADER = re.compile(r"^\s*#?\s*(style|loss|reduction|steps|warnings|infer):\s*(.+?)\s*$")


@dataclass(frozen=True)
class Program:
    name: str
    entry: Path  # the file bptrace runs
    folder: Path | None  # a multi-module program's folder
    style: str
    loss: str
    reduction: str
    steps: int | None
    warnings: frozenset[str]
    infer: bool


@dataclass(frozen=True)
class Plant:
    program: Program
    finding: str
    old: str
    new: str
    file: str | None = None
    at: str = ""
    also: frozenset[str] = frozenset()
    loss: str = ""
    number: int = 0

    @property
    def id(self) -> str:
        return f"{self.program.name}:{self.finding}:{self.number}"


@dataclass
class Corpus:
    programs: list[Program] = field(default_factory=list)
    plants: list[Plant] = field(default_factory=list)


def _header_text(entry: Path) -> str:
    if entry.suffix == ".ipynb":
        cells = json.loads(entry.read_text(encoding="utf-8"))["cells"]
        source = cells[0]["source"]
        return "".join(source) if isinstance(source, list) else source
    return "\n".join(entry.read_text(encoding="utf-8").splitlines()[:20])


def _program(name: str, entry: Path, folder: Path | None) -> Program:
    header = _header_text(entry)
    assert "bptrace-corpus" in header, f"{entry}: no bptrace-corpus header"
    keys = {m.group(1): m.group(2) for line in header.splitlines() if (m := _HEADER.match(line))}
    return Program(
        name=name, entry=entry, folder=folder, style=keys["style"], loss=keys["loss"],
        reduction=keys.get("reduction", "mean"), steps=int(keys["steps"]) if "steps" in keys else None,
        warnings=frozenset(keys.get("warnings", "").split()), infer=keys.get("infer", "no") == "yes",
    )


def _load() -> Corpus:
    corpus = Corpus()
    for path in sorted(CORPUS.iterdir()):
        if path.is_dir() and (path / "main.py").exists():
            program, plants = _program(path.name, path / "main.py", path), path / "plants.toml"
        elif path.suffix in (".py", ".ipynb"):
            program, plants = _program(path.name, path, None), path.with_name(path.stem + ".plants.toml")
        else:
            continue
        corpus.programs.append(program)
        if plants.exists():
            for number, raw in enumerate(tomllib.loads(plants.read_text(encoding="utf-8")).get("plant", [])):
                corpus.plants.append(Plant(
                    program, raw["id"], raw["old"], raw["new"], raw.get("file"), raw.get("at", ""),
                    frozenset(raw.get("also", [])), raw.get("loss", ""), number,
                ))
    return corpus


CORPUS_DATA = _load()
KNOWN_FAILURES = frozenset(
    line.strip() for line in (CORPUS / "known_failures.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)


def _known(test: str, cases: list, ids) -> list:  # type: ignore[no-untyped-def, type-arg]
    """Cases listed in known_failures.txt run as strict xfails: still run, and a fix must delete the line."""
    marked = []
    for case in cases:
        key = f"{test}[{ids(case)}]"
        marks = [pytest.mark.xfail(strict=True, reason="known failure (tests/corpus/known_failures.txt)")] \
            if key in KNOWN_FAILURES else []
        marked.append(pytest.param(case, marks=marks, id=ids(case)))
    return marked


def _copy(program: Program, tmp_path: Path) -> Path:
    """A private copy of the program (its folder for a multi-module one); returns the entry point."""
    if program.folder is not None:
        target = tmp_path / program.folder.name
        shutil.copytree(program.folder, target)
        return target / "main.py"
    target = tmp_path / program.entry.name
    shutil.copy(program.entry, target)
    return target


def _locate(path: Path, fragment: str) -> tuple[str, int]:
    """(file label, line) of the one line holding ``fragment``: ``impl.py`` and a line of the file, or for a
    notebook ``impl.ipynb#cell[n]`` (n the stored execution count) or ``impl.ipynb#cellK`` (K counting all
    cells, markdown too) and the line in that cell."""
    if path.suffix != ".ipynb":
        lines = [n for n, s in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in s]
        assert len(lines) == 1, (path.name, fragment, lines)
        return path.name, lines[0]
    hits = []
    for k, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"], start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        text = "".join(source) if isinstance(source, list) else source
        count = cell.get("execution_count")
        label = f"{path.name}#cell[{count}]" if isinstance(count, int) else f"{path.name}#cell{k}"
        hits += [(label, n) for n, s in enumerate(text.splitlines(), 1) if fragment in s]
    assert len(hits) == 1, (path.name, fragment, hits)
    return hits[0]


def _substitute(path: Path, old: str, new: str) -> None:
    if path.suffix != ".ipynb":
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, (path.name, old, text.count(old))
        path.write_text(text.replace(old, new), encoding="utf-8")
        return
    doc = json.loads(path.read_text(encoding="utf-8"))
    count = 0
    for cell in doc["cells"]:
        source = cell["source"]
        text = "".join(source) if isinstance(source, list) else source
        if old in text:
            count += text.count(old)
            cell["source"] = text.replace(old, new)
    assert count == 1, (path.name, old, count)
    path.write_text(json.dumps(doc), encoding="utf-8")


def _errors(trace) -> list[tuple[str, str | None, int | None, str]]:  # type: ignore[no-untyped-def]
    return [(f.id, f.file, f.line, f.message[:160]) for f in trace.findings if f.severity == "error"]


def test_the_corpus_covers_every_style() -> None:
    styles: dict[str, int] = {}
    for program in CORPUS_DATA.programs:
        styles[program.style] = styles.get(program.style, 0) + 1
    assert len(CORPUS_DATA.programs) >= 30, len(CORPUS_DATA.programs)
    wanted = {"trask", "nielsen", "cs231n", "udacity", "rashid", "ng", "layers", "pytorch-warmup", "mnist"}
    assert all(styles.get(s, 0) >= 2 for s in wanted), styles
    kinds = {p.entry.suffix if p.folder is None else "folder" for p in CORPUS_DATA.programs}
    assert kinds == {".py", ".ipynb", "folder"}, kinds


@pytest.mark.parametrize("program", _known("test_correct_program_checks_clean", CORPUS_DATA.programs, lambda p: p.name))
def test_correct_program_checks_clean(program: Program, tmp_path: Path) -> None:
    entry = _copy(program, tmp_path)
    trace = record_code(entry, loss=program.loss, reduction=program.reduction)
    assert not _errors(trace), _errors(trace)
    warnings = {f.id for f in trace.findings if f.severity == "warning"}
    assert warnings == program.warnings, [(f.id, f.line, f.message[:120]) for f in trace.findings]
    if program.steps is not None:
        assert trace.train_steps == program.steps


@pytest.mark.parametrize(
    "plant", _known("test_planted_mistake_is_named_at_its_line", CORPUS_DATA.plants, lambda p: p.id)
)
def test_planted_mistake_is_named_at_its_line(plant: Plant, tmp_path: Path) -> None:
    entry = _copy(plant.program, tmp_path)
    target = entry.parent / plant.file if plant.file else entry
    _substitute(target, plant.old, plant.new)
    label, line = _locate(target, plant.at or plant.new.strip().splitlines()[0])
    program = plant.program
    trace = record_code(entry, loss=plant.loss or program.loss, reduction=program.reduction)
    found = [(f.id, f.file, f.line, f.message[:160]) for f in trace.findings]
    hits = [f for f in trace.findings if f.id == plant.finding]
    assert hits, found
    assert any((f.file, f.line) == (label, line) for f in hits), (label, line, found)
    unrelated = {f.id for f in trace.findings if f.severity == "error"} - {plant.finding} - plant.also
    assert not unrelated, found


INFERRED = [p for p in CORPUS_DATA.programs if p.infer]


@pytest.mark.parametrize("program", INFERRED, ids=lambda p: p.name)
def test_the_loss_of_a_program_that_computes_it_is_inferred(program: Program, tmp_path: Path) -> None:
    """Programs whose header says ``infer: yes`` compute their own loss value: with no --loss, bptrace infers
    the declared one, says so, and checks clean as under the declared loss."""
    trace = record_code(_copy(program, tmp_path))
    said = str(trace.scenario.notes.get("loss_inferred", ""))
    assert said.startswith(f"Loss inferred: {trace.scenario.loss}, {trace.scenario.reduction} ("), said
    assert trace.scenario.loss == program.loss, said
    if trace.scenario.reduction != program.reduction:  # a factor the learning rate absorbs, or m = 1: said
        assert "pass --loss to be sure" in said or "sum and mean agree here" in said, said
    assert not _errors(trace), _errors(trace)


def test_some_corpus_programs_exercise_inference() -> None:
    assert len(INFERRED) >= 5, [p.name for p in INFERRED]
