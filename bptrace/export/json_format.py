"""The trace JSON of DESIGN.md (``bptrace-trace``, version 1): write and read back.

Floats are written with ``repr`` (json's default), which reads back bit-identical;
non-finite values become the strings "nan", "inf", "-inf".
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from bptrace import TRACE_FORMAT, TRACE_VERSION
from bptrace.errors import BadInput
from bptrace.pitfalls.base import SEVERITIES
from bptrace.trace import PHASES, Finding, Formula, ScenarioInfo, SourceRef, Step, Term, Trace

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_array(value: np.ndarray) -> Any:
    array = np.asarray(value, dtype=np.float64)
    if np.isfinite(array).all():
        return array.tolist()
    return _encode_nested(array.tolist())


def _encode_nested(value: Any) -> Any:
    if isinstance(value, list):
        return [_encode_nested(item) for item in value]
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


class _Arrays:
    """Encodes arrays once each: the recorder shares one array between a step's value and the
    terms of the steps that read it, so a trace holds each array several times."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[np.ndarray, Any]] = {}

    def __call__(self, value: np.ndarray) -> Any:
        hit = self.seen.get(id(value))
        if hit is not None and hit[0] is value:
            return hit[1]
        encoded = encode_array(value)
        self.seen[id(value)] = (value, encoded)  # keeping the array keeps its id from being reused
        return encoded


def _encode_float(value: float) -> float | str:
    return _encode_nested(float(value))


def _encode_meta(value: Any) -> Any:
    """Meta as plain JSON: numpy scalars and arrays become numbers and lists, non-finite floats strings."""
    if isinstance(value, dict):
        return {str(k): _encode_meta(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode_meta(v) for v in value]
    if isinstance(value, np.ndarray):
        return encode_array(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return _encode_float(value)
    return value


def trace_to_dict(trace: Trace) -> dict[str, Any]:
    """The contract's JSON object. Formulas must already be filled (``symbolic.with_formulas``)."""
    info = trace.scenario
    arrays = _Arrays()
    return {
        "format": TRACE_FORMAT,
        "version": TRACE_VERSION,
        "scenario": {
            "name": info.name,
            "mode": info.mode,
            "loss": info.loss,
            "reduction": info.reduction,
            "description": info.description,
            "layout": info.layout,
            "layers": [[units, activation] for units, activation in info.layers],
            "source_file": info.source_file,
            "source_text": info.source_text,
        },
        "steps": [_step_to_dict(step, arrays) for step in trace.steps],
        "losses": [_encode_float(x) for x in trace.losses],
        "gradients": [{k: encode_array(v) for k, v in g.items()} for g in trace.gradients],
        "reference_gradients": [{k: encode_array(v) for k, v in g.items()} for g in trace.reference_gradients],
        "parameters": {k: encode_array(v) for k, v in trace.parameters.items()},
        "findings": [
            {"id": f.id, "severity": f.severity, "step": f.step, "file": f.file, "line": f.line, "message": f.message}
            for f in trace.findings
        ],
    }


def _step_to_dict(step: Step, encode_array: _Arrays) -> dict[str, Any]:
    return {
        "index": step.index,
        "train_step": step.train_step,
        "phase": step.phase,
        "op": step.op,
        "target": step.target,
        "inputs": list(step.inputs),
        "shape": list(step.value.shape),
        "value": encode_array(step.value),
        "formula": {"text": step.formula.text, "latex": step.formula.latex} if step.formula else None,
        "terms": [
            {"name": t.name, "role": t.role, "latex": t.latex, "shape": list(t.value.shape), "value": encode_array(t.value)}
            for t in step.terms
        ],
        "reference": None if step.reference is None else encode_array(step.reference),
        "source": {"file": step.source.file, "line": step.source.line} if step.source else None,
        "findings": list(step.findings),
        "meta": _encode_meta(step.meta) if step.meta else {},
    }


def dumps(trace: Trace) -> str:
    return json.dumps(trace_to_dict(trace), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


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
        try:
            decoded = _decode_nested(value)
            array = np.array(decoded, dtype=np.float64)
        except (TypeError, ValueError, KeyError):
            raise self.fail(where, "expected a number or a rectangular nested list of numbers") from None
        if array.dtype != np.float64 or array.dtype.kind == "O":
            raise self.fail(where, "expected numbers")
        return array

    def shaped(self, array: np.ndarray, shape: Any, where: str) -> np.ndarray:
        """``array`` in its declared shape: the same one, or an empty array's ([] is any shape of size 0)."""
        if shape is None or list(array.shape) == shape:
            return array
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
            raise self.fail(f"{where}.shape", f"expected a list of sizes, found {shape}")
        if array.size == 0 and math.prod(shape) == 0:
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


def load_trace(path: str | Path) -> Trace:
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise BadInput(file, None, "no such file")
    try:
        text = path.read_bytes().decode("utf-8-sig")
        doc = json.loads(text)
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
    if type(version) is not int or version != TRACE_VERSION:
        raise r.fail("version", f"this trace is version {version!r}; this bptrace reads version {TRACE_VERSION}")
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
    info = ScenarioInfo(
        name=r.get(s, "name", "scenario", str),
        mode=mode,
        loss=r.get(s, "loss", "scenario", str),
        reduction=r.get(s, "reduction", "scenario", str),
        description=r.get(s, "description", "scenario", str, optional=True) or "",
        layout=r.get(s, "layout", "scenario", str, optional=True) or "columns",
        layers=layers,
        source_file=r.get(s, "source_file", "scenario", str, optional=True),
        source_text=r.get(s, "source_text", "scenario", str, optional=True),
    )
    steps = tuple(_step_from_dict(r, raw, f"steps[{i}]") for i, raw in enumerate(r.get(doc, "steps", "", list)))
    findings = []
    for i, raw in enumerate(r.get(doc, "findings", "", list)):
        where = f"findings[{i}]"
        finding_id = r.get(raw, "id", where, str)
        severity = r.get(raw, "severity", where, str)
        if severity not in ("error", "warning", "info"):
            raise r.fail(f"{where}.severity", f'expected "error", "warning" or "info", found "{severity}"')
        findings.append(
            Finding(
                id=finding_id,
                severity=severity,  # type: ignore[arg-type]
                step=r.get(raw, "step", where, int, optional=True),
                message=r.get(raw, "message", where, str),
                file=r.get(raw, "file", where, str, optional=True),
                line=r.get(raw, "line", where, int, optional=True),
            )
        )
    trace = Trace(
        scenario=info,
        steps=steps,
        losses=tuple(r.float_(x, f"losses[{i}]") for i, x in enumerate(r.get(doc, "losses", "", list))),
        gradients=_gradient_list(r, doc, "gradients"),
        reference_gradients=_gradient_list(r, doc, "reference_gradients", optional=True),
        parameters={k: r.array(v, f"parameters.{k}") for k, v in r.get(doc, "parameters", "", dict).items()},
        findings=tuple(findings),
    )
    validate_formulas(trace, file)  # a step with no formula must have one that can be built
    return trace


def _gradient_list(r: _Loader, doc: dict[str, Any], key: str, optional: bool = False) -> tuple[dict[str, np.ndarray], ...]:
    raw = r.get(doc, key, "", list, optional=optional) or []
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise r.fail(f"{key}[{i}]", "expected an object of parameter name → array")
        out.append({k: r.array(v, f"{key}[{i}].{k}") for k, v in item.items()})
    return tuple(out)


def _step_from_dict(r: _Loader, raw: Any, where: str) -> Step:
    phase = r.get(raw, "phase", where, str)
    if phase not in PHASES:
        raise r.fail(f"{where}.phase", f"expected one of {', '.join(PHASES)}, found \"{phase}\"")
    formula_raw = r.get(raw, "formula", where, dict, optional=True)
    formula = None
    if formula_raw is not None:
        formula = Formula(r.get(formula_raw, "text", f"{where}.formula", str), r.get(formula_raw, "latex", f"{where}.formula", str))
    terms = []
    for j, t in enumerate(r.get(raw, "terms", where, list)):
        tw = f"{where}.terms[{j}]"
        term_value = r.array(r.get(t, "value", tw, (list, int, float, str)), f"{tw}.value")
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
        source = SourceRef(r.get(source_raw, "file", f"{where}.source", str), r.get(source_raw, "line", f"{where}.source", int))
    reference_raw = raw.get("reference") if isinstance(raw, dict) else None
    value = r.array(r.get(raw, "value", where, (list, int, float, str)), f"{where}.value")
    value = r.shaped(value, r.get(raw, "shape", where, list), where)
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
        reference=None if reference_raw is None else r.array(reference_raw, f"{where}.reference"),
        source=source,
        findings=tuple(str(x) for x in r.get(raw, "findings", where, list)),
        meta=r.get(raw, "meta", where, dict, optional=True) or {},
    )


__all__ = ["SEVERITIES", "dumps", "load_trace", "trace_from_dict", "trace_to_dict"]
render = dumps
