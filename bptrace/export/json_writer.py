"""The trace JSON, version 2, written as a stream: no whole-document string, no whole-array string.

Small arrays stay nested lists (readable, as in version 1). Arrays above ``BASE64_ABOVE`` elements
become ``{"dtype", "shape", "base64"}`` of their little-endian bytes: exact, NaN payloads included,
and a third of the size of decimal text. Their base64 is written in pieces of ``CHUNK`` bytes of data.

Step values are written for the training steps ``--detail`` names (default: the first and the last)
and for any training step with a finding; losses, findings and the gradient check's verdicts for all.
Kept steps are numbered afresh (0, 1, …), as every reader of a Trace expects, and findings follow.
Unless ``--detail all``, a step's array above ``elided.ELIDE_ABOVE`` entries keeps only its corners
(``{"dtype", "shape", "kept_rows", "kept_cols", "base64"}``, the base64 of the kept block): the data
and per-sample arrays would otherwise make the file grow with the learner's data.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Iterable
from typing import Any, TextIO

import numpy as np

from bptrace import TRACE_FORMAT, TRACE_VERSION, elided
from bptrace.elided import Elided, elide
from bptrace.export.notes import detail_steps
from bptrace.gradcheck import step_verdicts
from bptrace.trace import Finding, Step, Trace

BASE64_ABOVE = 256  # elements: a 16×16 matrix is still read by people; bigger ones by tools
CHUNK = 3 * 2**17  # bytes of array data per base64 piece; a multiple of 3, so the pieces concatenate
_DTYPES = {np.dtype(np.float32): "float32"}  # everything else is written as float64, as version 1 does


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _finite_or_name(value: float) -> float | str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def _nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_nested(item) for item in value]
    return _finite_or_name(value)


def write_array(out: TextIO, value: np.ndarray | Elided) -> None:
    if isinstance(value, Elided):
        array, shape = value.block, value.shape
        kept = f',"kept_rows":{_scalar(list(value.rows))},"kept_cols":{_scalar(list(value.cols))}'
    else:
        array, kept = np.asarray(value), ""
        shape = array.shape
        if array.size <= BASE64_ABOVE:
            listed = np.asarray(array, dtype=np.float64).tolist()
            out.write(_scalar(listed if np.isfinite(array).all() else _nested(listed)))
            return
    name = _DTYPES.get(array.dtype, "float64")
    dtype = np.dtype(name).newbyteorder("<")
    out.write(f'{{"dtype":"{name}","shape":{_scalar(list(shape))}{kept},"base64":"')
    carry = b""  # base64 pieces concatenate only in multiples of 3 bytes: the rest waits for the next piece
    for piece in _pieces(array, dtype):
        data = carry + piece
        cut = len(data) - len(data) % 3
        out.write(base64.b64encode(data[:cut]).decode("ascii"))
        carry = data[cut:]
    out.write(base64.b64encode(carry).decode("ascii") + '"}')


def _pieces(array: np.ndarray, dtype: np.dtype) -> Iterable[bytes]:
    """The array's bytes in C order, about ``CHUNK`` at a time. An array that is not already contiguous
    in ``dtype`` (the data as uint8 pixels, X.T as a view) is converted a block of rows at a time, so
    a 250 MB data matrix never gets a whole converted copy beside it."""
    if array.ndim == 0 or (array.dtype == dtype and array.flags.c_contiguous):
        flat = np.ascontiguousarray(array, dtype=dtype).reshape(-1)  # no copy
        per_chunk = max(1, CHUNK // dtype.itemsize)
        for start in range(0, flat.size, per_chunk):
            yield flat[start:start + per_chunk].tobytes()
        return
    rows = max(1, CHUNK // max(1, dtype.itemsize * (array.size // max(1, array.shape[0]))))
    for start in range(0, array.shape[0], rows):
        yield np.ascontiguousarray(array[start:start + rows], dtype=dtype).tobytes()


def emit(out: TextIO, value: Any) -> None:
    """Write ``value`` as JSON; arrays through ``write_array``, containers piece by piece."""
    if isinstance(value, np.ndarray | Elided):
        write_array(out, value)
    elif isinstance(value, dict):
        out.write("{")
        for i, (key, item) in enumerate(value.items()):
            out.write(("," if i else "") + _scalar(str(key)) + ":")
            emit(out, item)
        out.write("}")
    elif isinstance(value, list | tuple):
        out.write("[")
        for i, item in enumerate(value):
            if i:
                out.write(",")
            emit(out, item)
        out.write("]")
    elif isinstance(value, np.generic):
        emit(out, value.item())
    elif isinstance(value, float):
        out.write(_scalar(_finite_or_name(value)))
    else:
        out.write(_scalar(value))


def _items(out: TextIO, key: str, items: Iterable[Any], first: bool = False) -> None:
    """``"key":[…]`` written one item at a time, so a long list is never built as text."""
    out.write(("" if first else ",") + _scalar(key) + ":[")
    for i, item in enumerate(items):
        if i:
            out.write(",")
        emit(out, item)
    out.write("]")


def kept_train_steps(trace: Trace, detail: str | None) -> set[int]:
    """The training steps whose step values are written: ``--detail``'s, and those with a finding."""
    kept = set(detail_steps(detail, trace.train_steps))
    kept.update(trace.steps[f.step].train_step for f in trace.findings
                if f.step is not None and 0 <= f.step < len(trace.steps))
    held = trace.scenario.notes.get("values_for_train_steps")
    if isinstance(held, list):  # recorded past a memory budget (or re-exported): only these have values
        kept &= set(held)
    return kept


def write_trace(trace: Trace, out: TextIO, detail: str | None = None) -> None:
    """The whole trace (``detail="all"``) or its default reduction. Formulas must already be filled."""
    kept = kept_train_steps(trace, detail) if trace.train_steps else set()
    steps = [step for step in trace.steps if step.train_step in kept or not trace.train_steps]
    renumber = {step.index: new for new, step in enumerate(steps)}
    info = trace.scenario
    notes = dict(info.notes)
    if len(kept) < trace.train_steps:
        notes["values_for_train_steps"] = sorted(kept)
    whole = detail is not None and detail.strip() == "all"
    if not whole and any(np.size(array) > elided.ELIDE_ABOVE for step in steps for array in _arrays(step)):
        notes["elided_above"] = elided.ELIDE_ABOVE  # tools learn of corners-only arrays before they meet one
    scenario = {
        "name": info.name, "mode": info.mode, "loss": info.loss, "reduction": info.reduction,
        "description": info.description, "layout": info.layout,
        "layers": [[units, activation] for units, activation in info.layers],
        "source_file": info.source_file, "source_text": info.source_text,
    }
    if notes:
        scenario["notes"] = notes
    out.write(f'{{"format":{_scalar(TRACE_FORMAT)},"version":{TRACE_VERSION},"scenario":')
    emit(out, scenario)
    ids: dict[int, list[str]] = {}
    for f in trace.findings:  # Trace.findings is the one list; each step's ids are written from it
        if f.step is not None and f.id not in ids.setdefault(f.step, []):
            ids[f.step].append(f.id)
    _items(out, "steps", (_step(step, renumber[step.index], ids.get(step.index, []), whole) for step in steps))
    _items(out, "losses", (float(x) for x in trace.losses))
    for key, per_step in (("gradients", trace.gradients), ("reference_gradients", trace.reference_gradients)):
        _items(out, key, (grads if i in kept else {} for i, grads in enumerate(per_step)))
    _items(out, "verdicts", ({name: {"relative_error": v.relative_error, "agrees": v.agrees}
                              for name, v in verdicts.items()} for verdicts in step_verdicts(trace)))
    out.write(',"parameters":')
    emit(out, trace.parameters)
    _items(out, "findings", (_finding(f, renumber) for f in trace.findings))
    out.write("}")


def _step(step: Step, index: int, findings: list[str], whole: bool) -> dict[str, Any]:
    # What the step is: kind always (its presence marks a trace that has these keys), the rest when known.
    kept = (lambda value: value) if whole else elide
    typed = {"kind": step.kind, "layer": step.layer, "of": step.of, "parameter": step.parameter,
             "learner_name": step.learner_name}
    return {
        "index": index,
        "train_step": step.train_step,
        "phase": step.phase,
        "op": step.op,
        "target": step.target,
        "inputs": list(step.inputs),
        "shape": list(step.value.shape),
        "value": kept(step.value),
        "formula": {"text": step.formula.text, "latex": step.formula.latex} if step.formula else None,
        "terms": [{"name": t.name, "role": t.role, "latex": t.latex, "shape": list(t.value.shape),
                   "value": kept(t.value)}
                  for t in step.terms],
        "reference": None if step.reference is None else kept(step.reference),
        "source": {"file": step.source.file, "line": step.source.line} if step.source else None,
        "findings": findings,
        "meta": _plain(step.meta),
        **{key: value for key, value in typed.items() if value is not None},
    }


def _arrays(step: Step) -> Iterable[Any]:
    yield step.value
    yield from (term.value for term in step.terms)
    if step.reference is not None:
        yield step.reference


def _plain(value: Any) -> Any:
    """Meta as plain JSON: arrays as nested lists (meta is small, and read back as written)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _nested(np.asarray(value, dtype=np.float64).tolist())
    return value


def _finding(finding: Finding, renumber: dict[int, int]) -> dict[str, Any]:
    step = renumber.get(finding.step) if finding.step is not None else None
    return {"id": finding.id, "severity": finding.severity, "step": step, "file": finding.file,
            "line": finding.line, "message": finding.message, "fix": finding.fix, "explanation": finding.explanation}
