"""The trace JSON of DESIGN.md (``bptrace-trace``): read versions 1 and 2; write 2 (``json_writer``).

Floats are written with ``repr`` (json's default), which reads back bit-identical;
non-finite values become the strings "nan", "inf", "-inf"; big arrays are base64 of their bytes.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from bptrace import TRACE_FORMAT
from bptrace.elided import EDGE, Elided, valid_places, view_shape
from bptrace.errors import BadInput
from bptrace.export import legacy
from bptrace.export.json_reader import read_document
from bptrace.export.json_writer import write_trace
from bptrace.pitfalls import SEVERITIES
from bptrace.trace import KINDS, PHASES, Finding, Formula, ScenarioInfo, SourceRef, Step, Term, Trace, Verdict

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
# Version 1: arrays as nested lists only; 2 adds base64 arrays, verdicts, scenario notes, and (later, as
# optional keys) each step's kind, layer, of, parameter and learner_name and each finding's fix and
# explanation. A trace without those keys is read through ``legacy``, which derives them once.
READS = (1, 2)
_DTYPES = {"float64": np.dtype("<f8"), "float32": np.dtype("<f4")}


def dumps(trace: Trace, detail: str | None = "all") -> str:
    """The whole trace as one string: for tests and small traces; exports stream (``write_trace``)."""
    out = io.StringIO()
    write_trace(trace, out, detail)
    return out.getvalue()


def render(trace: Trace, detail: str | None = None) -> Callable[[TextIO], None]:
    """The exporter's entry point: a writer that streams the trace into a file."""
    return lambda out: write_trace(trace, out, detail)


# ---------------------------------------------------------------- reading


class _Loader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, message: str) -> BadInput:
        return BadInput(self.file, where, message)

    def get(self, obj: Any, key: str, where: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        if not isinstance(obj, dict):
            raise self.fail(where, f"expected an object, found {type(obj).__name__}")
        if key not in obj:
            if optional:
                return None
            raise self.fail(f"{where}.{key}".lstrip("."), "this key is missing")
        value = obj[key]
        if optional and value is None:
            return None
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(f"{where}.{key}".lstrip("."), f"expected {_kind_name(kind)}, found a boolean")
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{key}".lstrip("."), f"expected {_kind_name(kind)}, found {type(value).__name__}")
        return value

    def array(self, value: Any, where: str) -> np.ndarray:
        if isinstance(value, dict):
            if "kept_rows" in value or "kept_cols" in value:
                raise self.fail(where, "expected every entry (this array is kept whole in every export)")
            return self.packed(value, where)
        try:
            decoded = _decode_nested(value)
            array = np.array(decoded, dtype=np.float64)
        except (TypeError, ValueError, KeyError):
            raise self.fail(where, "expected a number or a rectangular nested list of numbers") from None
        if array.dtype != np.float64 or array.dtype.kind == "O":
            raise self.fail(where, "expected numbers")
        return array

    def step_array(self, value: Any, where: str) -> np.ndarray | Elided:
        """A step's value, term or reference: whole, or (a default export of big arrays) its corners."""
        if not isinstance(value, dict) or ("kept_rows" not in value and "kept_cols" not in value):
            return self.array(value, where)
        rows = self.get(value, "kept_rows", where, list)
        cols = self.get(value, "kept_cols", where, list)
        shape = self.get(value, "shape", where, list)
        whole = self.packed({**value, "shape": [len(rows), len(cols)]}, where)
        extents = view_shape(tuple(shape))
        for key, places, extent in (("kept_rows", rows, extents[0]), ("kept_cols", cols, extents[1])):
            if not valid_places(places, extent):
                raise self.fail(f"{where}.{key}", f"expected increasing indices from 0 to {extent - 1}, "
                                f"the first and last {EDGE} among them")
        return Elided(tuple(shape), tuple(rows), tuple(cols), whole)

    def packed(self, value: dict[str, Any], where: str) -> np.ndarray:
        """Version 2's ``{"dtype", "shape", "base64"}``: exact little-endian bytes, checked against the shape."""
        name = self.get(value, "dtype", where, str)
        if name not in _DTYPES:
            raise self.fail(f"{where}.dtype", f'expected "float64" or "float32", found "{name}"')
        shape = self.get(value, "shape", where, list)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise self.fail(f"{where}.shape", f"expected a list of sizes, found {shape}")
        data = self.get(value, "base64", where, (str, bytes, bytearray))
        if isinstance(data, str):  # a document from json.loads; read_document decodes as it reads
            try:
                data = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise self.fail(f"{where}.base64", "not valid base64") from None
        dtype = _DTYPES[name]
        if len(data) != math.prod(shape) * dtype.itemsize:
            raise self.fail(f"{where}.base64", f"holds {len(data)} bytes; shape {shape} of {name} needs "
                            f"{math.prod(shape) * dtype.itemsize}")
        return np.frombuffer(data, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)

    def shaped(self, array: np.ndarray | Elided, shape: Any, where: str) -> np.ndarray | Elided:
        """``array`` in its declared shape: the same one, or an empty array's ([] is any shape of size 0)."""
        if shape is None or list(array.shape) == shape:
            return array
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise self.fail(f"{where}.shape", f"expected a list of sizes, found {shape}")
        if isinstance(array, np.ndarray) and array.size == 0 and math.prod(shape) == 0:
            return array.reshape(shape)
        raise self.fail(f"{where}.shape", f"says {shape} but the value has shape {list(array.shape)}")

    def float_(self, value: Any, where: str) -> float:
        if isinstance(value, str) and value in _NON_FINITE:
            return _NON_FINITE[value]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number, found {type(value).__name__}")
        return float(value)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _decode_nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode_nested(item) for item in value]
    if isinstance(value, str):
        return _NON_FINITE[value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError
    return value


def _as_json(value: Any) -> Any:
    """Free-form JSON (meta, notes) as ``json.loads`` gives it: an array object's bytes back to base64 text."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


def load_trace(path: str | Path) -> Trace:
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise BadInput(file, None, "no such file")
    try:
        doc = read_document(path)
    except RecursionError:  # json recurses once per level of [[[ or {{{
        raise BadInput(file, None, "nested too deeply; expected a bptrace trace JSON") from None
    except UnicodeDecodeError:
        raise BadInput(file, None, "not a text file (not UTF-8); expected a bptrace trace JSON") from None
    except json.JSONDecodeError as error:
        raise BadInput(file, f"line {error.lineno}", f"not valid JSON: {error.msg}") from None
    except OSError as error:
        raise BadInput(file, None, f"cannot read: {error.strerror}") from None
    return trace_from_dict(doc, file)


def trace_from_dict(doc: Any, file: str) -> Trace:
    from bptrace.export.validate import validate_formulas, validate_trace

    r = _Loader(file)
    if not isinstance(doc, dict) or doc.get("format") != TRACE_FORMAT:
        raise r.fail("format", f'expected "format": "{TRACE_FORMAT}" (a trace written by bptrace export)')
    version = doc.get("version")
    if type(version) is not int or version not in READS:
        raise r.fail("version", f"this trace is version {version!r}; this bptrace reads versions 1 and 2")
    validate_trace(doc, file)  # everything the readers rely on, before any of them runs
    s = r.get(doc, "scenario", "", dict)
    mode = r.get(s, "mode", "scenario", str)
    if mode not in ("reference", "code"):
        raise r.fail("scenario.mode", f'expected "reference" or "code", found "{mode}"')
    layers_raw = r.get(s, "layers", "scenario", list, optional=True) or []
    try:
        layers = tuple((int(units), str(act)) for units, act in layers_raw)
    except (TypeError, ValueError):
        raise r.fail("scenario.layers", "expected a list of [units, activation] pairs") from None
    description, notes = r.get(s, "description", "scenario", str, optional=True) or "", \
        _as_json(r.get(s, "notes", "scenario", dict, optional=True) or {})
    if mode == "code":
        description, notes = legacy.bounded_note(description, notes)
    info = ScenarioInfo(
        name=r.get(s, "name", "scenario", str),
        mode=mode,
        loss=r.get(s, "loss", "scenario", str),
        reduction=r.get(s, "reduction", "scenario", str),
        description=description,
        layout=r.get(s, "layout", "scenario", str, optional=True) or "columns",
        layers=layers,
        source_file=r.get(s, "source_file", "scenario", str, optional=True),
        source_text=r.get(s, "source_text", "scenario", str, optional=True),
        notes=notes,
    )
    raw_steps = r.get(doc, "steps", "", list)
    steps = tuple(_step_from_dict(r, raw, f"steps[{i}]", mode) for i, raw in enumerate(raw_steps))
    findings = []
    for i, raw in enumerate(r.get(doc, "findings", "", list)):
        where = f"findings[{i}]"
        finding_id = r.get(raw, "id", where, str)
        severity = r.get(raw, "severity", where, str)
        if severity not in ("error", "warning", "info"):
            raise r.fail(f"{where}.severity", f'expected "error", "warning" or "info", found "{severity}"')
        message = r.get(raw, "message", where, str)
        fix = r.get(raw, "fix", where, str, optional=True)
        if "fix" not in raw:  # written before findings had a fix of their own
            message, fix = legacy.split_fix(message)
        findings.append(
            Finding(
                id=finding_id,
                severity=severity,  # type: ignore[arg-type]
                step=r.get(raw, "step", where, int, optional=True),
                message=message,
                file=r.get(raw, "file", where, str, optional=True),
                line=r.get(raw, "line", where, int, optional=True),
                fix=fix,
                explanation=r.get(raw, "explanation", where, str, optional=True),
            )
        )
    findings.extend(_named_only_by_steps(r, raw_steps, findings))
    trace = Trace(
        scenario=info,
        steps=steps,
        losses=tuple(r.float_(x, f"losses[{i}]") for i, x in enumerate(r.get(doc, "losses", "", list))),
        gradients=_gradient_list(r, doc, "gradients"),
        reference_gradients=_gradient_list(r, doc, "reference_gradients", optional=True),
        parameters={k: r.array(v, f"parameters.{k}") for k, v in r.get(doc, "parameters", "", dict).items()},
        findings=tuple(findings),
        verdicts=_verdicts(r, doc),
    )
    validate_formulas(trace, file)  # a step with no formula must have one that can be built
    return trace


def _named_only_by_steps(r: _Loader, raw_steps: list[Any], findings: list[Finding]) -> list[Finding]:
    """A step's finding id that the findings list does not describe (a hand-made or older trace) becomes a
    finding of its own, so ``Trace.findings`` is the one list readers consult."""
    known = {(f.step, f.id) for f in findings}
    extra = []
    for i, raw in enumerate(raw_steps):
        index = r.get(raw, "index", f"steps[{i}]", int)
        for finding_id in r.get(raw, "findings", f"steps[{i}]", list):
            if (index, str(finding_id)) not in known:
                known.add((index, str(finding_id)))
                extra.append(Finding(str(finding_id), SEVERITIES.get(str(finding_id), "error"), index, ""))
    return extra


def _verdicts(r: _Loader, doc: dict[str, Any]) -> tuple[dict[str, Verdict], ...]:
    out = []
    for i, item in enumerate(r.get(doc, "verdicts", "", list, optional=True) or []):
        if not isinstance(item, dict):
            raise r.fail(f"verdicts[{i}]", "expected an object of parameter name → verdict")
        out.append({name: Verdict(r.float_(r.get(v, "relative_error", f"verdicts[{i}].{name}", (int, float, str)),
                                           f"verdicts[{i}].{name}.relative_error"),
                                  r.get(v, "agrees", f"verdicts[{i}].{name}", bool))
                    for name, v in item.items()})
    return tuple(out)


def _gradient_list(
    r: _Loader, doc: dict[str, Any], key: str, optional: bool = False
) -> tuple[dict[str, np.ndarray], ...]:
    raw = r.get(doc, key, "", list, optional=optional) or []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise r.fail(f"{key}[{i}]", "expected an object of parameter name → array")
        out.append({k: r.array(v, f"{key}[{i}].{k}") for k, v in item.items()})
    return tuple(out)


def _step_from_dict(r: _Loader, raw: Any, where: str, mode: str) -> Step:
    phase = r.get(raw, "phase", where, str)
    if phase not in PHASES:
        raise r.fail(f"{where}.phase", f"expected one of {', '.join(PHASES)}, found \"{phase}\"")
    formula_raw = r.get(raw, "formula", where, dict, optional=True)
    formula = None
    if formula_raw is not None:
        formula = Formula(
            r.get(formula_raw, "text", f"{where}.formula", str), r.get(formula_raw, "latex", f"{where}.formula", str)
        )
    terms = []
    for j, t in enumerate(r.get(raw, "terms", where, list)):
        tw = f"{where}.terms[{j}]"
        term_value = r.step_array(r.get(t, "value", tw, (list, dict, int, float, str)), f"{tw}.value")
        terms.append(
            Term(
                name=r.get(t, "name", tw, str),
                value=r.shaped(term_value, r.get(t, "shape", tw, list, optional=True), tw),
                role=r.get(t, "role", tw, str, optional=True) or "",
                latex=r.get(t, "latex", tw, str, optional=True),
            )
        )
    source_raw = r.get(raw, "source", where, dict, optional=True)
    source = None
    if source_raw is not None:
        source = SourceRef(
            r.get(source_raw, "file", f"{where}.source", str), r.get(source_raw, "line", f"{where}.source", int)
        )
    reference_raw = raw.get("reference") if isinstance(raw, dict) else None
    value = r.step_array(r.get(raw, "value", where, (list, dict, int, float, str)), f"{where}.value")
    value = r.shaped(value, r.get(raw, "shape", where, list), where)
    typed = {key: r.get(raw, key, where, str, optional=True) for key in ("of", "parameter", "learner_name")}
    typed["kind"] = r.get(raw, "kind", where, str, optional=True)
    typed["layer"] = r.get(raw, "layer", where, int, optional=True)
    if "kind" not in raw:  # written before steps said what they are
        typed = legacy.step_semantics(raw, mode)
    elif typed["kind"] not in KINDS:
        raise r.fail(f"{where}.kind", f"expected one of {', '.join(KINDS)}, found \"{typed['kind']}\"")
    return Step(
        index=r.get(raw, "index", where, int),
        train_step=r.get(raw, "train_step", where, int),
        phase=phase,  # type: ignore[arg-type]
        op=r.get(raw, "op", where, str),
        target=r.get(raw, "target", where, str),
        inputs=tuple(str(x) for x in r.get(raw, "inputs", where, list)),
        value=value,
        terms=tuple(terms),
        formula=formula,
        reference=None if reference_raw is None else r.step_array(reference_raw, f"{where}.reference"),
        source=source,
        meta=_as_json(r.get(raw, "meta", where, dict, optional=True) or {}),
        **typed,
    )


__all__ = ["dumps", "load_trace", "render", "trace_from_dict"]
