"""A loaded trace JSON checked against everything its readers rely on, before any of them runs.

``json_format.trace_from_dict`` checks types as it builds the Trace; this checks the rest:
sizes that are finite and bounded, arrays of at most two dimensions in their declared shape,
step indices that match their position, training steps that exist, names from the catalogue
(losses, activations, layouts), and, for steps whose formula the reader would rebuild, the
inputs, meta keys and shapes that rebuilding reads. A trace handed over by someone else is
input: anything wrong is one ``BadInput`` naming the key path (exit 2), never a traceback.
"""

from __future__ import annotations

import math
from typing import Any

from bptrace.elided import EDGE, valid_places, view_shape
from bptrace.errors import BadInput
from bptrace.limits import MAX_DEPTH, nesting_depth
from bptrace.ops import ACTIVATIONS, LOSSES, REDUCTIONS
from bptrace.trace import PHASES, Trace

LAYOUTS = ("columns", "rows")
MAX_DIMENSION = 100_000_000  # one axis of an array; real ones are far smaller (MNIST: 60,000)
MAX_EMPTY_EXTENT = 1_000_000  # an empty array's other axes: readers loop over them
MAX_NDIM = 32  # code mode records any NumPy value (a batch of images is 3-D); NumPy's own limit is 64
MAX_UNITS = 100_000
DTYPES = ("float64", "float32")  # version 2's encoded arrays
NON_FINITE = ("nan", "inf", "-inf")
# Steps whose formula readers rebuild from inputs and meta when the trace holds none
# (``symbolic.formulas``): the fewest inputs each reads.
REBUILT_INPUTS = {"affine": 3, "loss_grad": 1, "weight_grad": 2, "input_grad": 2}
LAYER_OPS = ("activation_grad", "weight_grad", "bias_grad", "input_grad")


class _Check:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, message: str) -> BadInput:
        return BadInput(self.file, where, message)

    def integer(self, value: Any, where: str, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(where, f"expected an integer from {low} to {high}, found {_show(value)}")
        return value

    def choice(self, value: Any, where: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(where, f"expected one of {', '.join(repr(c) for c in choices)}, found {_show(value)}")
        return value

    def shape(self, value: Any, where: str) -> tuple[int, ...]:
        """The shape of a nested list of numbers (or an encoded array)."""
        if isinstance(value, dict):  # version 2: {"dtype", "shape", "base64"}
            return self.encoded(value, where)
        shape = _nested_shape(value)
        if shape is None:
            raise self.fail(
                where, 'expected a number or a rectangular nested list of numbers (or "nan", "inf", "-inf")'
            )
        if len(shape) > MAX_NDIM:
            raise self.fail(where, f"expected at most {MAX_NDIM} dimensions, found {len(shape)}")
        return shape

    def encoded(self, value: dict[str, Any], where: str) -> tuple[int, ...]:
        self.choice(value.get("dtype"), f"{where}.dtype", DTYPES)
        shape = self.declared(value.get("shape"), f"{where}.shape")
        data = value.get("base64")
        size = math.prod(self.kept(value, shape, where)) * (8 if value["dtype"] == "float64" else 4)
        if isinstance(data, bytes | bytearray):  # decoded as read (json_reader)
            if len(data) != size:
                raise self.fail(
                    f"{where}.base64", f"expected {size} bytes for shape {_shape_text(shape)}, found {len(data)}"
                )
            return shape
        if not isinstance(data, str):
            raise self.fail(f"{where}.base64", f"expected a base64 string, found {_show(data)}")
        if len(data) != 4 * math.ceil(size / 3):
            raise self.fail(
                f"{where}.base64", f"expected {size} bytes for shape {_shape_text(shape)}, found {len(data)} characters"
            )
        return shape

    def kept(self, value: dict[str, Any], shape: tuple[int, ...], where: str) -> tuple[int, ...]:
        """The shape of the entries the base64 holds: all of them, or (``elided``) the kept corners."""
        if "kept_rows" not in value and "kept_cols" not in value:
            return shape
        counts = []
        for key, extent in zip(("kept_rows", "kept_cols"), view_shape(shape), strict=True):
            if not valid_places(value.get(key), extent):
                raise self.fail(f"{where}.{key}", f"expected increasing indices from 0 to {extent - 1}, the first "
                                f"and last {EDGE} among them, found {_show(value.get(key))}")
            counts.append(len(value[key]))
        return tuple(counts)

    def declared(self, value: Any, where: str) -> tuple[int, ...]:
        if not isinstance(value, list) or len(value) > MAX_NDIM:
            raise self.fail(where, f"expected a list of at most {MAX_NDIM} sizes, found {_show(value)}")
        return tuple(self.integer(n, f"{where}[{i}]", 0, MAX_DIMENSION) for i, n in enumerate(value))

    def array(self, holder: dict[str, Any], where: str, key: str = "value") -> tuple[int, ...]:
        """The array at ``holder[key]``, matching ``holder["shape"]`` when one is declared."""
        shape = self.shape(holder.get(key), f"{where}.{key}" if where else key)
        if "shape" not in holder or holder["shape"] is None:
            return shape
        declared = self.declared(holder["shape"], f"{where}.shape")
        if declared == shape:
            return shape
        empty = math.prod(shape) == 0 and math.prod(declared) == 0
        if empty and math.prod(n for n in declared if n) <= MAX_EMPTY_EXTENT:
            return declared  # [] stands for any empty shape
        raise self.fail(f"{where}.shape", f"says {_shape_text(declared)} but the value is {_shape_text(shape)}")


def _nested_shape(value: Any) -> tuple[int, ...] | None:
    """The shape of a rectangular nested list of numbers, without recursion; None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) or value in NON_FINITE:
        return ()
    if not isinstance(value, list):
        return None
    shape: list[int] = []
    level = [value]
    while True:
        lengths = {len(item) if isinstance(item, list) else -1 for item in level}
        if lengths == {-1}:  # every item a scalar
            ok = all(not isinstance(x, bool) and (isinstance(x, int | float) or x in NON_FINITE) for x in level)
            return tuple(shape) if ok else None
        if len(lengths) != 1 or -1 in lengths:
            return None  # ragged, or lists beside numbers
        length = lengths.pop()
        shape.append(length)
        if length == 0:
            return tuple(shape)
        level = [x for item in level for x in item]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _shape_text(shape: tuple[int, ...]) -> str:
    return "a single number" if not shape else "×".join(map(str, shape))


def validate_trace(doc: Any, file: str) -> None:
    """Raise ``BadInput`` (with the key path) for anything in ``doc`` a reader could trip over."""
    c = _Check(file)
    if nesting_depth(doc) > MAX_DEPTH:
        raise c.fail("", f"nested too deeply; expected at most {MAX_DEPTH} levels")
    if not isinstance(doc, dict):
        return  # trace_from_dict says what a trace is
    scenario = doc.get("scenario")
    layers = _scenario(c, scenario) if isinstance(scenario, dict) else 0
    losses = doc.get("losses")
    train_steps = len(losses) if isinstance(losses, list) else 0
    steps = doc.get("steps")
    steps = steps if isinstance(steps, list) else []
    previous = 0
    for i, step in enumerate(steps):
        if isinstance(step, dict):
            previous = _step(c, step, f"steps[{i}]", i, previous, train_steps, layers)
    _arrays_by_name(c, doc)
    findings = doc.get("findings")
    for i, finding in enumerate(findings if isinstance(findings, list) else []):
        if isinstance(finding, dict):
            where = f"findings[{i}]"
            if finding.get("step") is not None:
                c.integer(finding["step"], f"{where}.step", 0, max(len(steps) - 1, 0))
            if finding.get("line") is not None:
                c.integer(finding["line"], f"{where}.line", 1, 10**9)


def _scenario(c: _Check, scenario: dict[str, Any]) -> int:
    c.choice(scenario.get("loss"), "scenario.loss", tuple(LOSSES))
    c.choice(scenario.get("reduction"), "scenario.reduction", REDUCTIONS)
    if scenario.get("layout") is not None:
        c.choice(scenario["layout"], "scenario.layout", LAYOUTS)
    layers = scenario.get("layers") or []
    if not isinstance(layers, list):
        raise c.fail("scenario.layers", f"expected a list of [units, activation] pairs, found {_show(layers)}")
    for i, layer in enumerate(layers):
        where = f"scenario.layers[{i}]"
        if not isinstance(layer, list) or len(layer) != 2:
            raise c.fail(where, f"expected a pair [units, activation], found {_show(layer)}")
        c.integer(layer[0], f"{where}[0]", 1, MAX_UNITS)
        c.choice(layer[1], f"{where}[1]", ("", *ACTIVATIONS) if i == 0 else tuple(ACTIVATIONS))
    return len(layers)


def _step(
    c: _Check, step: dict[str, Any], where: str, position: int, previous: int, train_steps: int, layers: int
) -> int:
    c.integer(step.get("index"), f"{where}.index", position, position)
    # A step may run past the last loss by one training step: the learner's code raised in it.
    train_step = c.integer(step.get("train_step"), f"{where}.train_step", previous, max(train_steps, previous, 0))
    c.choice(step.get("phase"), f"{where}.phase", PHASES)
    shape = c.array(step, where)
    for j, term in enumerate(step.get("terms") or []):
        if isinstance(term, dict):
            c.array(term, f"{where}.terms[{j}]")
    if step.get("reference") is not None:
        reference = c.shape(step["reference"], f"{where}.reference")
        if reference != shape and math.prod(reference) != 0:
            raise c.fail(
                f"{where}.reference", f"expected the value's shape {_shape_text(shape)}, found {_shape_text(reference)}"
            )
    source = step.get("source")
    if isinstance(source, dict):
        c.integer(source.get("line"), f"{where}.source.line", 1, 10**9)
    if step.get("layer") is not None:
        c.integer(step["layer"], f"{where}.layer", 0, max(layers, MAX_UNITS))
    meta = step.get("meta") or {}
    if isinstance(meta, dict):
        _meta(c, meta, f"{where}.meta", layers)
    if step.get("formula") is None:
        _rebuilt(c, step, where, shape, meta if isinstance(meta, dict) else {}, layers)
    return train_step


def _meta(c: _Check, meta: dict[str, Any], where: str, layers: int) -> None:
    """The meta keys readers interpret, in the types they expect."""
    if "layer" in meta:
        c.integer(meta["layer"], f"{where}.layer", 0, max(layers, MAX_UNITS))
    if "activation" in meta:
        c.choice(meta["activation"], f"{where}.activation", tuple(ACTIVATIONS))
    if "layout" in meta:
        c.choice(meta["layout"], f"{where}.layout", LAYOUTS)
    if "feature_axis" in meta:
        c.integer(meta["feature_axis"], f"{where}.feature_axis", 0, 1)
    if "learning_rate" in meta:
        rate = meta["learning_rate"]
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not math.isfinite(rate):
            raise c.fail(f"{where}.learning_rate", f"expected a finite number, found {_show(rate)}")


def _rebuilt(
    c: _Check, step: dict[str, Any], where: str, shape: tuple[int, ...], meta: dict[str, Any], layers: int
) -> None:
    """A step with no formula gets one rebuilt from its op, inputs and meta: check what that reads."""
    op, inputs = step.get("op"), step.get("inputs")
    if not isinstance(inputs, list):
        return  # trace_from_dict says what inputs are
    needed = REBUILT_INPUTS.get(op, 1 if step.get("phase") in ("forward", "loss") else 0)
    if len(inputs) < needed:
        raise c.fail(f"{where}.inputs", f'a "{op}" step with no formula needs {needed} input(s), found {len(inputs)}')
    if op == "input_grad" and len(inputs) != 2:
        raise c.fail(f"{where}.inputs", f'an "input_grad" step needs 2 inputs (W, ∂L/∂Z), found {len(inputs)}')
    if op in LAYER_OPS and "layer" not in meta and step.get("layer") is None:
        raise c.fail(f"{where}.layer", f'a "{op}" step with no formula needs its layer')
    if op == "activation_grad" and len(shape) != 2:
        raise c.fail(f"{where}.value", f"an activation gradient is a matrix; found {_shape_text(shape)}")
    if op in ("weight_grad", "input_grad") and not (isinstance(step.get("target"), str) and len(step["target"]) > 1):
        raise c.fail(f"{where}.target", "expected the gradient's name, e.g. dW2")


def _arrays_by_name(c: _Check, doc: dict[str, Any]) -> None:
    """Parameters and per-step gradients: every array well-formed."""
    parameters = doc.get("parameters")
    for name, value in (parameters.items() if isinstance(parameters, dict) else ()):
        c.shape(value, f"parameters.{name}")
    for key in ("gradients", "reference_gradients"):
        listed = doc.get(key)
        for i, gradients in enumerate(listed if isinstance(listed, list) else []):
            for name, value in (gradients.items() if isinstance(gradients, dict) else ()):
                c.shape(value, f"{key}[{i}].{name}")


def validate_formulas(trace: Trace, file: str) -> None:
    """Steps with no formula get one rebuilt by every reader (``symbolic.with_formulas``): build each
    once here, so a step whose inputs, meta and shapes do not fit together is bad input, not a crash.

    Traces bptrace writes carry every formula, so sympy is imported only for hand-made ones."""
    missing = [step for step in trace.steps if step.formula is None]
    if not missing:
        return
    from bptrace.symbolic import formula

    for step in missing:
        try:
            formula(step, trace.scenario)
        except Exception as error:  # sympy's ShapeError, an IndexError on a short shape, …
            raise BadInput(
                file,
                f"steps[{step.index}].formula",
                f'is null, and no formula can be built for a "{step.op}" '
                f"step from its inputs, meta and shapes ({type(error).__name__}: {error})",
            ) from None
