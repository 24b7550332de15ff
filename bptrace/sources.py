"""Turn whatever the user named (scenario, code file, trace JSON) into a Trace."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bptrace.errors import BadInput, did_you_mean
from bptrace.ops import LOSSES, REDUCTIONS
from bptrace.trace import Trace

CODE_SUFFIXES = (".py", ".ipynb")


def check_choice(option: str, value: str | None, choices: tuple[str, ...]) -> None:
    if value is not None and value not in choices:
        raise BadInput(
            None,
            option,
            f'unknown value "{value}"{did_you_mean(value, choices)}; expected one of: {", ".join(choices)}',
        )


def check_options(loss: str | None, reduction: str | None, steps: int | None) -> None:
    """Code mode's options, checked before anything runs (the command line, the notebook magic)."""
    from bptrace.limits import MAX_STEPS

    # The same bound as a scenario's train.steps: no option is a back door around it.
    if steps is not None and not 1 <= steps <= MAX_STEPS:
        raise BadInput(None, "--steps", f"expected a number of training steps from 1 to {MAX_STEPS}, found {steps}")
    check_choice("--loss", loss, tuple(LOSSES))
    check_choice("--reduction", reduction, REDUCTIONS)


def check_code_file(path: Path) -> None:
    if not path.exists():
        raise BadInput(str(path), None, "no such file")
    if path.suffix.lower() not in CODE_SUFFIXES:
        raise BadInput(str(path), None, "expected a .py or .ipynb code file")


def trace_from_source(
    source: str | Path,
    *,
    code: str | Path | None = None,
    loss: str | None = None,
    reduction: str | None = None,
    steps: int | None = None,
    seed: int | None = None,
    max_memory: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Trace:
    """Record (or, for a trace JSON, load) the trace the user asked for. ``max_memory``: code mode's
    memory budget in bytes (default limits.MAX_MEMORY).

    ``cancelled`` (watch mode, code mode only) stops a recording that a newer one supersedes."""
    check_choice("--loss", loss, tuple(LOSSES))
    check_choice("--reduction", reduction, REDUCTIONS)
    path = _bundled_or_path(source) if source is not None else None
    if path is not None and path.suffix.lower() == ".json":
        from bptrace.export.json_format import load_trace

        return load_trace(path)
    if path is not None and path.suffix.lower() in CODE_SUFFIXES:
        code, path = path, None
    if path is None:
        if code is None:
            raise BadInput(None, None, "nothing to run: give a scenario .toml, or --code FILE")
        # No --loss: code mode infers it (and the reduction) from what the script computes.
        return _record_code(Path(code), loss, reduction, steps, seed or 0, max_memory, cancelled)

    if path.suffix.lower() != ".toml":
        raise BadInput(str(path), None, "expected a scenario .toml, a code file (.py, .ipynb) or a trace .json")
    from bptrace.scenario import load_scenario

    scenario = load_scenario(path)
    if code is not None or scenario.code is not None:
        spec = scenario.code
        code_path = Path(code) if code is not None else spec.path  # type: ignore[union-attr]
        return _record_code(
            code_path,
            loss or (spec.loss if spec else scenario.loss),
            reduction or (spec.reduction if spec else scenario.reduction),
            steps,
            seed if seed is not None else (spec.seed if spec else 0),
            max_memory,
            cancelled,
            name=scenario.name,
            description=scenario.description,
        )
    if loss is not None or reduction is not None:
        from dataclasses import replace

        scenario = replace(scenario, loss=loss or scenario.loss, reduction=reduction or scenario.reduction)
    if steps is not None:
        from bptrace.scenario import check_recording_memory

        check_recording_memory(scenario, steps, "--steps")
    from bptrace.recorder import record

    return record(scenario, steps)


def _bundled_or_path(source: str | Path) -> Path:
    """A file that exists wins; else a bundled scenario's name (``xor_tanh``, ``gallery/dead_relu``) works from
    any folder."""
    path = Path(source)
    if path.exists() or path.suffix.lower() not in ("", ".toml"):
        return path
    from bptrace.bundled import find, names

    found = find(str(source))
    if found is not None:
        return found
    if path.suffix == "":
        raise BadInput(
            str(source),
            None,
            f"no such file, and no bundled scenario of that name{did_you_mean(str(source), names())} "
            "(`bptrace scenarios` lists them)",
        )
    return path


def _record_code(path: Path, loss: str | None, reduction: str | None, steps: int | None, seed: int,
                 max_memory: int | None = None, cancelled: Callable[[], bool] | None = None, **names: str) -> Trace:
    check_code_file(path)
    from bptrace.codetrace import record_code

    return record_code(path, loss=loss, reduction=reduction, seed=seed, steps=steps, max_memory=max_memory,
                       cancelled=cancelled, **names)
