"""Code mode: run a learner's own NumPy backprop code, derive the truth, name its mistakes.

``record_code`` is the entry point for a file (``bptrace.sources`` calls it); ``record_source`` for
source text run in a namespace given (a notebook cell, ``bptrace.notebook`` calls it):

- loader: .py / .ipynb into cells named as Jupyter shows them (magics neutralised, line numbers kept);
- rewrite + runtime + execute (+ imports for the learner's own modules): run the file as
  ``__main__`` with every NumPy op reporting to the Recorder (one Node per value; pylists: Python
  lists used as data become recorded arrays);
- structure + layers: parameters and their updates, training steps, output and targets,
  the forward cone, the layers (which array is f(z) of which), all from data flow and numbers;
  updates: what an update is, the one rule structure and bound (``--steps N`` while recording) share;
  data preparation before the first value computed from a parameter is no training step;
- truth + reverse: the true loss and ∂L/∂node by bptrace's own reverse pass;
- diagnose + explain + probe + compare: the learner's gradients against the truth, the cause
  named at the first divergence; the catalogue's code detectors (``bptrace.pitfalls``, each id's
  ``detect_code``): warnings, non-finite values, silent broadcasts;
- build: the Trace (one Step per op, plus the true loss).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from bptrace.codetrace.budget import Budget
from bptrace.codetrace.build import Built, build_steps, finding
from bptrace.codetrace.cascade import drop_consequences
from bptrace.codetrace.context import CodeContext, Hit
from bptrace.codetrace.diagnose import StepCheck, check_step
from bptrace.codetrace.earlier import give_back
from bptrace.codetrace.execute import Run, run_file, run_source
from bptrace.codetrace.heap import keep_freed_pages
from bptrace.codetrace.hints import read_hints
from bptrace.codetrace.infer import infer_loss
from bptrace.codetrace.restore import uninstrument
from bptrace.codetrace.structure import Structure
from bptrace.codetrace.truth import Truth, step_truth
from bptrace.errors import Cancelled, CannotAnalyse
from bptrace.limits import MAX_MEMORY
from bptrace.pitfalls import CATALOGUE
from bptrace.trace import Finding, ScenarioInfo, Trace

__all__ = ["DEFAULT_STEPS", "analyse", "record_code", "record_source"]

# Training steps recorded in detail unless asked otherwise (--steps N); the rest of the script runs
# unrecorded. Measured (benchmarks/code_bench.py): the 1000-step XOR loop stays within 5x of a plain run.
DEFAULT_STEPS = 50


LOSS_UNKNOWN = "No loss could be inferred (no output compared with targets), so no gradient was judged."

def record_code(
    path: Path, *, loss: str | None = None, reduction: str | None = None, seed: int = 0, name: str | None = None,
    description: str | None = None, check: bool = True, steps: int | None = None, max_memory: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Trace:
    """Run the file and trace it. With ``check`` (the default), a run in which no training step could be
    checked and nothing raised cannot be analysed (``CannotAnalyse``, exit 3): an empty table and "0 errors"
    would read as a clean bill of health. ``check=False`` keeps such a recording, to see what was recorded.
    The first ``steps`` training steps (default ``DEFAULT_STEPS``) are recorded in detail, the rest of the
    script runs unrecorded. Without ``loss``, the loss (and the reduction, unless given) is inferred.
    Values are kept while they fit ``max_memory`` bytes (default ``MAX_MEMORY``); the steps after keep
    their loss and gradient verdicts only (budget.py).
    ``cancelled`` (watch mode) is asked while the script runs and between training steps of the analysis;
    once it returns True the recording stops with ``errors.Cancelled``."""
    path = Path(path)
    keep_freed_pages()
    budget = Budget(max_memory or MAX_MEMORY, loss, reduction, {})
    run = run_file(path, seed, steps=steps or DEFAULT_STEPS, budget=budget, cancelled=cancelled)
    try:
        _stop_if(cancelled)
        return analyse(run, str(path), loss=loss, reduction=reduction, name=name, description=description,
                       check=check, cancelled=cancelled)
    finally:
        run.recorder.close()


def record_source(
    text: str, namespace: dict[str, object], label: str, *, folder: Path, loss: str | None = None,
    reduction: str | None = None, steps: int | None = None, shown: str | None = None,
    earlier: dict[str, str] | None = None, max_memory: int | None = None,
) -> Trace:
    """Trace source text run in ``namespace`` itself (a notebook cell in the kernel's namespace), named
    ``label`` in findings; ``shown`` is the text the trace shows (the cell as written, same line count).
    The namespace is left as running the text would leave it (every assignment made before an
    exception included), with no trace of bptrace in it (restore.py), however the analysis ends.
    ``earlier`` names earlier notebook cells (file -> label) whose functions are traced too.
    Raises BadInput (does not parse) or CannotAnalyse as ``record_code`` does."""
    budget = Budget(max_memory or MAX_MEMORY, loss, reduction, {})
    run = run_source(text, namespace, label, folder, steps=steps or DEFAULT_STEPS, earlier=earlier, budget=budget)
    try:
        # The analysis probes the learner's functions: they keep their hooks until it is done.
        return analyse(run, label, loss=loss, reduction=reduction, source_text=shown)
    finally:
        give_back(run.borrowed)
        uninstrument(run.rewritten, run.recorder)


def analyse(
    run: Run, file: str, *, loss: str | None = None, reduction: str | None = None, name: str | None = None,
    description: str | None = None, check: bool = True, source_text: str | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Trace:
    """The Trace of a finished run of ``file`` (a path, or a cell's label): see ``record_code``."""
    recorder = run.recorder
    budget = run.budget if run.budget is not None and run.budget.exceeded else None
    judged = budget.judged if budget is not None else []
    if budget is not None and budget.structure is not None:
        # Built when the budget was exceeded, on the steps kept then: all the recording kept (bound.py cut the rest).
        structure = budget.structure
    else:
        structure = Structure(recorder.nodes, [(f.site, f.op, f.parents) for f in recorder.failed],
                              hints=read_hints(run.cells))
    ctx = CodeContext(recorder.nodes, run.sites, recorder.calls, structure, recorder)
    notes: list[str] = []
    inferred_note: str | None = None
    if loss is None:
        # Past the budget the loss was decided on these same kept steps, and every later step judged by it.
        inferred = budget.inferred if budget is not None and not budget.failed else infer_loss(ctx, reduction)
        if inferred is None:
            # Stopped by Ctrl-C before its output met its targets: report what was recorded (and that it was
            # stopped), not "cannot analyse", which would read as a verdict on the program.
            if check and run.raised is None and not run.interrupted:
                raise CannotAnalyse(file, _unmapped(ctx))
            loss = "half_sse"  # nothing to judge with it; said, so the header's loss is not taken as found
            notes.append(LOSS_UNKNOWN)
        else:
            loss, reduction = inferred.loss, inferred.reduction
            inferred_note = inferred.note
    reduction = reduction or "mean"
    truths: dict[int, Truth] = {}
    checks: dict[int, StepCheck] = {}
    for step in structure.steps:
        _stop_if(cancelled)
        truth = step_truth(ctx, step, loss, reduction)
        if isinstance(truth, str):
            if truth not in notes and (step.updates or step.index == 0):
                notes.append(truth)
            continue
        checks[step.index] = check_step(ctx, step, truth)
        # Only the loss is read from here on: the adjoints of every forward node (as large as the step's
        # own arrays) would otherwise be held for every step at once, doubling the peak.
        truths[step.index] = Truth(truth.loss, truth.samples)
    if run.interrupted:  # the learner pressed Ctrl-C: report what was recorded, and say so
        held = len(structure.steps) + len(judged)
        notes.insert(0, f"Interrupted (Ctrl-C): the trace holds the {held} training step(s) "
                        "recorded until then.")
    if check and not truths and run.raised is None and not run.interrupted:
        raise CannotAnalyse(file, _unmapped(ctx, notes[0] if notes else None))
    built = build_steps(ctx, truths, checks, loss, reduction)
    # Past the memory budget, a script that raised did so after the steps whose values were kept.
    findings = _findings(ctx, built, checks, run, (len(structure.steps), len(judged)) if judged else None)
    info = _info(file, run, structure, ctx, loss, reduction, name, description, notes, inferred_note, source_text)
    recorded = len(structure.steps) + len(judged)
    if run.total_steps is not None:  # the script ran on unrecorded: "0 errors" holds for the recorded steps only
        info = replace(info, notes={**info.notes, "recorded_train_steps": [recorded, run.total_steps]})
    if LOSS_UNKNOWN in notes:  # structured too: readers show it in place of the loss, which judged nothing
        info = replace(info, notes={**info.notes, "loss_unknown": LOSS_UNKNOWN})
    if budget is not None:  # values for the kept steps; loss and verdicts for all (trace.budget_note says so)
        verdicts = len(structure.steps) + sum(1 for j in judged if j is not None)
        info = replace(info, notes={**info.notes, "values_for_train_steps": list(range(len(structure.steps))),
                                    "memory_budget": {"bytes": budget.limit, "kept": len(structure.steps),
                                                      "verdicts": verdicts}})
    past: list[dict[str, np.ndarray]] = [{} for _ in judged]
    return Trace(
        scenario=info,
        steps=tuple(built.steps),
        losses=tuple(truths[s.index].loss if s.index in truths else float("nan") for s in structure.steps)
        + tuple(j.loss if j is not None else float("nan") for j in judged),
        gradients=(*(checks[s.index].gradients if s.index in checks else {} for s in structure.steps), *past),
        parameters={**_final_parameters(ctx), **budget.final} if budget is not None else _final_parameters(ctx),
        findings=tuple(findings),
        reference_gradients=(*(checks[s.index].true_gradients if s.index in checks else {}
                               for s in structure.steps), *past),
        verdicts=(*({} for _ in structure.steps), *(j.verdicts if j is not None else {} for j in judged))
        if judged else (),
    )


def _stop_if(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise Cancelled


def _findings(ctx: CodeContext, built: Built, checks: dict[int, StepCheck], run: Run,
              budgeted: tuple[int, int] | None = None) -> list[Finding]:
    hits: list[tuple[str, Hit]] = []
    for index in sorted(checks):
        for finding_id, found in checks[index].hits.items():
            hits.extend((finding_id, hit) for hit in found)
    for pitfall in CATALOGUE.values():  # in the catalogue's order
        if pitfall.detect_code is not None:
            hits.extend((pitfall.id, hit) for hit in pitfall.detect_code(ctx))
    hits = drop_consequences(ctx, hits)
    findings: list[Finding] = []
    seen: set[tuple[str, str | None, int | None]] = set()
    for finding_id, hit in hits:
        made = finding(ctx, built, finding_id, hit)
        key = (made.id, made.file, made.line)
        if key not in seen:
            seen.add(key)
            findings.append(made)
    if run.raised is not None:
        last = len(built.steps) - 1 if built.steps else None
        pitfall = CATALOGUE["exception"]
        # Raised after recording stopped: the recorded steps end earlier than the raising line.
        if budgeted is not None and run.total_steps is None:
            where = (f"It raised after training step {sum(budgeted) - 1}; values were kept for the first "
                     f"{budgeted[0]} (--max-memory keeps more)")
        else:
            where = "The trace stops here" if run.total_steps is None else \
                f"It raised in training step {run.total_steps - 1}, after the recorded steps (--steps N records more)"
        findings.append(Finding("exception", "error", last, f"{run.raised.kind}: {run.raised.message}. {where}.",
                                run.raised.file, run.raised.line, fix=pitfall.fix, explanation=pitfall.explanation))
    findings.sort(key=lambda f: (f.step if f.step is not None else 1 << 30))
    return findings


def _unmapped(ctx: CodeContext, reason: str | None = None) -> str:
    """What was found and what was not, and how to help: the message of exit 3."""
    structure = ctx.structure
    params = sorted({ctx.name(r) for r in structure.root.values()})
    updated = {structure.root.get(u.old, u.old) for u in structure.updates}
    found = []
    if updated:
        names = ", ".join(ctx.name(r) for r in sorted(updated)[:6])
        found.append(f"found {len(updated)} parameter(s) updated in a loop ({names}) over "
                     f"{len(structure.steps)} training step(s)")
    elif params:
        found.append(f"found {len(params)} array(s) that look like parameters ({', '.join(params[:6])}) but no "
                     "update of them")
    else:
        found.append("found no parameters (arrays the program updates, W -= lr * dW)")
    step = next((s for s in structure.steps if s.output is not None), None)
    if step is None:
        found.append("no network output compared with targets (an elementwise op such as A2 - Y, "
                     "or probs[range(N), y])")
    elif reason:
        found.append(f"an output ({ctx.name(step.output)}), but {reason}")
    return ("; ".join(found) + ". Help bptrace by naming them in a comment anywhere in the code, e.g. "
            "`# bptrace: output=A2 targets=Y` (the names your code binds them to).")


def _final_parameters(ctx: CodeContext) -> dict[str, np.ndarray]:
    latest: dict[int, int] = {}
    for version, root in ctx.structure.root.items():
        latest[root] = max(latest.get(root, root), version)
    for root in ctx.structure.names:
        latest.setdefault(root, root)
    return {ctx.structure.names.get(r, ctx.name(r)): np.asarray(ctx.nodes[v].value, dtype=np.float64)
            for r, v in sorted(latest.items(), key=lambda kv: ctx.structure.names.get(kv[0], "~"))}


def _info(file: str, run: Run, structure: Structure, ctx: CodeContext, loss: str, reduction: str,
          name: str | None, description: str | None, notes: list[str], inferred: str | None,
          source_text: str | None) -> ScenarioInfo:
    layers: list[tuple[int, str]] = []
    first = structure.steps[0] if structure.steps else None
    acts = {la.z: la.activation for la in first.layers} if first else {}
    names = sorted(((n, r) for r, n in structure.names.items() if n.startswith("W")), key=lambda t: int(t[0][1:]))
    for number, (_wname, root) in enumerate(names):
        w = ctx.value(root)
        if w.ndim != 2:
            continue
        outs, ins = (w.shape[0], w.shape[1]) if structure.columns else (w.shape[1], w.shape[0])
        if number == 0:
            layers.append((ins, ""))
        layers.append((outs, _layer_activation(acts, number)))
    text = (
        "\n\n".join(f"# {cell.label}\n{cell.text}" for cell in run.cells) if len(run.cells) > 1 else run.cells[0].text
    )
    shown_name = Path(file).name
    about = description or f"Code mode: {shown_name}, traced as it runs."
    said = [inferred, *notes] if inferred else list(notes)
    # The sentences said are kept apart too ("said"), for a reader that shows them without the description's
    # opening (the notebook's verdict); the description stays whole for the other readers.
    structured: dict[str, object] = {"loss_inferred": inferred} if inferred else {}
    if said:
        structured["said"] = said
    return ScenarioInfo(
        name=name or shown_name,
        mode="code",
        loss=loss,
        reduction=reduction,
        description=" ".join([about, *said]),
        layout="columns" if structure.columns else "rows",
        layers=tuple(layers),
        source_file=file,
        source_text=text if source_text is None else source_text,
        interrupted=run.interrupted,
        notes=structured,
    )


def _layer_activation(acts: dict[int, str], number: int) -> str:
    ordered = sorted(acts.items())
    return ordered[number][1] if number < len(ordered) else "linear"
