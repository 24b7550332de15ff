"""Scenario files (TOML, ``format = 1``): read, validate, never evaluate.

Every error names the file, the key path (``network.layers[1].activation``),
what was found and what was expected; shapes are checked against the layout
with the expected shape spelled out.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bptrace.errors import BadInput, did_you_mean
from bptrace.limits import MAX_DEPTH, MAX_MEMORY, MAX_STEPS, nesting_depth, recording_bytes, size_text
from bptrace.ops import ACTIVATIONS, LOSSES, REDUCTIONS

LAYOUTS = ("columns", "rows")
MAX_UNITS = 100_000

_ALLOWED: dict[str, tuple[str, ...]] = {
    "": ("format", "name", "description", "network", "data", "init", "train", "code"),
    "network": ("layout", "inputs", "layers", "loss", "reduction"),
    "layer": ("units", "activation"),
    "data": ("X", "Y"),
    "train": ("learning_rate", "steps"),
    "code": ("path", "loss", "reduction", "seed"),
}


@dataclass(frozen=True)
class Layer:
    units: int
    activation: str


@dataclass(frozen=True)
class CodeSpec:
    path: Path
    loss: str | None  # None: inferred from the program
    reduction: str | None
    seed: int = 0


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. In code mode only ``code`` (and the names) matter."""

    name: str
    description: str = ""
    path: Path | None = None
    layout: str = "columns"
    inputs: int = 0
    layers: tuple[Layer, ...] = ()
    loss: str = "half_sse"
    reduction: str = "mean"
    X: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    Y: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    parameters: dict[str, np.ndarray] = field(default_factory=dict)
    learning_rate: float = 0.1
    steps: int = 1
    code: CodeSpec | None = None

    @property
    def samples(self) -> int:
        return int(self.X.shape[1] if self.layout == "columns" else self.X.shape[0])


def parameter_shapes(layout: str, inputs: int, layers: tuple[Layer, ...]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    fan_in = inputs
    for number, layer in enumerate(layers, start=1):
        if layout == "columns":
            shapes[f"W{number}"] = (layer.units, fan_in)
            shapes[f"b{number}"] = (layer.units, 1)
        else:
            shapes[f"W{number}"] = (fan_in, layer.units)
            shapes[f"b{number}"] = (layer.units,)
        fan_in = layer.units
    return shapes


class _Reader:
    """Validation helpers that know which file they are reading, for the messages."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, key: str | None, message: str) -> BadInput:
        return BadInput(self.file, key, message)

    def check_keys(self, table: dict[str, Any], kind: str, prefix: str) -> None:
        allowed = _ALLOWED[kind]
        for key in table:
            if key not in allowed:
                where = f"{prefix}.{key}" if prefix else key
                expected = ", ".join(allowed)
                raise self.fail(where, f"unknown key{did_you_mean(key, allowed)}; expected one of: {expected}")

    def table(self, doc: dict[str, Any], key: str, required: bool) -> dict[str, Any] | None:
        if key not in doc:
            if required:
                raise self.fail(f"[{key}]", "this section is missing")
            return None
        value = doc[key]
        if not isinstance(value, dict):
            raise self.fail(key, f"expected a table [{key}], found {_describe(value)}")
        return value

    def string(self, table: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
        if key not in table:
            if default is None:
                raise self.fail(where, "this key is missing; expected a string")
            return default
        value = table[key]
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, found {_describe(value)}")
        return value

    def choice(self, table: dict[str, Any], key: str, where: str, choices: Any, default: str | None = None) -> str:
        if key not in table and default is None:
            raise self.fail(where, f"this key is missing; expected one of: {', '.join(choices)}")
        value = self.string(table, key, where, default)
        if value not in choices:
            raise self.fail(
                where, f'unknown value "{value}"{did_you_mean(value, choices)}; expected one of: {", ".join(choices)}'
            )
        return value

    def integer(
        self, table: dict[str, Any], key: str, where: str, low: int, high: int, default: int | None = None
    ) -> int:
        if key not in table:
            if default is None:
                raise self.fail(where, f"this key is missing; expected an integer from {low} to {high}")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(where, f"expected an integer from {low} to {high}, found {_describe(value)}")
        if not low <= value <= high:
            raise self.fail(where, f"expected an integer from {low} to {high}, found {value}")
        return value

    def number(self, table: dict[str, Any], key: str, where: str, default: float) -> float:
        if key not in table:
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number, found {_describe(value)}")
        if not math.isfinite(value):
            raise self.fail(where, f"expected a finite number, found {value}")
        return float(value)

    def array(self, value: Any, where: str, expected_shape: tuple[int, ...], shape_words: str) -> np.ndarray:
        """A nested list of finite numbers with exactly ``expected_shape``."""
        shape = self._shape_of(value, where)
        if shape != expected_shape:
            hint = " — it looks transposed" if shape == expected_shape[::-1] and len(shape) == 2 else ""
            raise self.fail(
                where,
                f"wrong shape: found {_shape_text(shape)}, expected {_shape_text(expected_shape)} "
                f"({shape_words}){hint}",
            )
        array = np.array(value, dtype=np.float64)
        if not np.all(np.isfinite(array)):
            raise self.fail(where, "expected finite numbers, found nan or inf")
        return array

    def _shape_of(self, value: Any, where: str) -> tuple[int, ...]:
        if isinstance(value, bool) or isinstance(value, str | dict):
            raise self.fail(where, f"expected a number or a list of numbers, found {_describe(value)}")
        if isinstance(value, int | float):
            return ()
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list of numbers, found {_describe(value)}")
        if not value:
            return (0,)
        inner = [self._shape_of(item, f"{where}[{i}]") for i, item in enumerate(value)]
        for i, item_shape in enumerate(inner):
            if item_shape != inner[0]:
                raise self.fail(
                    f"{where}[{i}]",
                    f"ragged array: this row has shape {_shape_text(item_shape)}, row 0 has {_shape_text(inner[0])}",
                )
        return (len(value), *inner[0])


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f'a string ("{value[:40]}")'
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _shape_text(shape: tuple[int, ...]) -> str:
    if not shape:
        return "a single number"
    return "×".join(str(n) for n in shape)


def read_toml(path: Path) -> dict[str, Any]:
    file = str(path)
    if not path.exists():
        raise BadInput(file, None, "no such file")
    if path.is_dir():
        raise BadInput(file, None, "is a directory, expected a scenario .toml file")
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8-sig")  # editors on Windows write a byte-order mark; TOML allows none
    except UnicodeDecodeError:
        raise BadInput(file, None, "not a text file (not UTF-8); expected a TOML scenario") from None
    except OSError as error:
        raise BadInput(file, None, f"cannot read: {error.strerror}") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise BadInput(file, None, f"not valid TOML: {error}") from None
    except RecursionError:  # tomllib recurses once per level of [[[ or {{{
        raise BadInput(
            file, None, f"nested too deeply; expected at most {MAX_DEPTH} levels of lists and tables"
        ) from None
    if nesting_depth(doc) > MAX_DEPTH:  # our own readers recurse over arrays too
        raise BadInput(file, None, f"nested too deeply; expected at most {MAX_DEPTH} levels of lists and tables")
    return doc


def check_recording_memory(scenario: Scenario, steps: int, where: str) -> None:
    """Refuse, before allocating anything, a recording that would keep more than ``MAX_MEMORY``.

    Each size is within its own limit; it is their product that decides (a 10⁵×10⁵ layer).
    """
    needed = recording_bytes(
        scenario.inputs, (layer.units for layer in scenario.layers), scenario.samples, steps
    )
    if needed > MAX_MEMORY:
        raise BadInput(
            str(scenario.path) if scenario.path else None, where,
            f"recording {steps} training step(s) of this network would need about {size_text(needed)}; "
            f"expected at most {size_text(MAX_MEMORY)} (fewer units, samples or steps)",
        )


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file. Nothing in it is executed or evaluated."""
    path = Path(path)
    doc = read_toml(path)
    return parse_scenario(doc, path)


def parse_scenario(doc: dict[str, Any], path: Path) -> Scenario:
    r = _Reader(str(path))
    r.check_keys(doc, "", "")
    if "format" not in doc:
        raise r.fail("format", "this key is missing; expected format = 1")
    if doc["format"] != 1 or isinstance(doc["format"], bool):
        raise r.fail("format", f"unsupported format {doc['format']!r}; this bptrace reads format = 1")
    name = r.string(doc, "name", "name", default=path.stem)
    description = r.string(doc, "description", "description", default="")

    code_table = r.table(doc, "code", required=False)
    if code_table is not None:
        return _parse_code(r, doc, code_table, path, name, description)

    network = r.table(doc, "network", required=True)
    assert network is not None
    r.check_keys(network, "network", "network")
    layout = r.choice(network, "layout", "network.layout", LAYOUTS, default="columns")
    inputs = r.integer(network, "inputs", "network.inputs", 1, MAX_UNITS)
    layers = _parse_layers(r, network)
    loss = r.choice(network, "loss", "network.loss", tuple(LOSSES))
    reduction = r.choice(network, "reduction", "network.reduction", REDUCTIONS, default="mean")
    output_activation = layers[-1].activation
    needs = LOSSES[loss].needs
    if needs and output_activation != needs:
        raise r.fail(
            f"network.layers[{len(layers) - 1}].activation",
            f'loss "{loss}" needs a {needs} output layer, found "{output_activation}"',
        )
    if loss == "bce" and output_activation not in ("sigmoid", "softmax"):
        raise r.fail(
            f"network.layers[{len(layers) - 1}].activation",
            f'loss "bce" needs outputs in (0, 1): a sigmoid output layer, found "{output_activation}"',
        )

    data = r.table(doc, "data", required=True)
    assert data is not None
    r.check_keys(data, "data", "data")
    for key in ("X", "Y"):
        if key not in data:
            raise r.fail(f"data.{key}", "this key is missing")
    X, Y = _parse_data(r, data, layout, inputs, layers[-1].units)

    train = r.table(doc, "train", required=False) or {}
    r.check_keys(train, "train", "train")
    learning_rate = r.number(train, "learning_rate", "train.learning_rate", default=0.1)
    if learning_rate <= 0:
        raise r.fail("train.learning_rate", f"expected a positive number, found {learning_rate}")
    steps = r.integer(train, "steps", "train.steps", 1, MAX_STEPS, default=1)
    shaped = Scenario(name=name, description=description, path=path, layout=layout, inputs=inputs, layers=layers,
                      loss=loss, reduction=reduction, X=X, Y=Y, learning_rate=learning_rate, steps=steps)
    # Before [init] draws the weights: drawing a 10⁵×10⁵ W1 is itself the memory bomb.
    check_recording_memory(shaped, steps, "network")

    init = r.table(doc, "init", required=False) or {}
    return replace(shaped, parameters=_parse_init(r, init, layout, inputs, layers))


def _parse_layers(r: _Reader, network: dict[str, Any]) -> tuple[Layer, ...]:
    if "layers" not in network:
        raise r.fail("network.layers", 'this key is missing; expected a list like [{ units = 3, activation = "relu" }]')
    raw = network["layers"]
    if not isinstance(raw, list) or not raw:
        raise r.fail("network.layers", f"expected a non-empty list of layers, found {_describe(raw)}")
    layers = []
    for i, item in enumerate(raw):
        where = f"network.layers[{i}]"
        if not isinstance(item, dict):
            raise r.fail(where, f'expected a table like {{ units = 3, activation = "relu" }}, found {_describe(item)}')
        r.check_keys(item, "layer", where)
        units = r.integer(item, "units", f"{where}.units", 1, MAX_UNITS)
        activation = r.choice(item, "activation", f"{where}.activation", tuple(ACTIVATIONS))
        if activation == "softmax" and i != len(raw) - 1:
            raise r.fail(f"{where}.activation", "softmax is only supported on the output layer")
        layers.append(Layer(units, activation))
    return tuple(layers)


def _parse_data(
    r: _Reader, data: dict[str, Any], layout: str, inputs: int, outputs: int
) -> tuple[np.ndarray, np.ndarray]:
    # The number of samples is whatever X says; Y must agree with it.
    raw_x = data["X"]
    x_shape = r._shape_of(raw_x, "data.X")
    if len(x_shape) != 2:
        expected = "features×samples" if layout == "columns" else "samples×features"
        raise r.fail("data.X", f"expected a 2-D array ({expected}, layout {layout}), found {_shape_text(x_shape)}")
    samples = x_shape[1] if layout == "columns" else x_shape[0]
    # A transposed X is the usual mistake: when Y's shape is right, trust its sample count instead.
    y_shape = r._shape_of(data["Y"], "data.Y")
    if len(y_shape) == 2 and y_shape[0 if layout == "columns" else 1] == outputs:
        samples = y_shape[1 if layout == "columns" else 0]
    if samples < 1:
        raise r.fail("data.X", "expected at least one sample")
    if layout == "columns":
        X = r.array(raw_x, "data.X", (inputs, samples), f"inputs×samples, layout columns, inputs = {inputs}")
        Y = r.array(
            data["Y"], "data.Y", (outputs, samples), f"outputs×samples: {outputs} output units, {samples} samples in X"
        )
    else:
        X = r.array(raw_x, "data.X", (samples, inputs), f"samples×inputs, layout rows, inputs = {inputs}")
        Y = r.array(
            data["Y"], "data.Y", (samples, outputs), f"samples×outputs: {samples} samples in X, {outputs} output units"
        )
    return X, Y


def _parse_init(
    r: _Reader, init: dict[str, Any], layout: str, inputs: int, layers: tuple[Layer, ...]
) -> dict[str, np.ndarray]:
    shapes = parameter_shapes(layout, inputs, layers)
    allowed = ("seed", *shapes)
    for key in init:
        if key not in allowed:
            raise r.fail(
                f"init.{key}", f"unknown key{did_you_mean(key, allowed)}; expected one of: {', '.join(allowed)}"
            )
    seed = r.integer(init, "seed", "init.seed", 0, 2**32 - 1, default=0)
    rng = np.random.default_rng(seed)
    parameters: dict[str, np.ndarray] = {}
    for name, shape in shapes.items():
        if name in init:
            orientation = "out×in" if layout == "columns" else "in×out"
            words = f"{orientation} for layout {layout}" if name.startswith("W") else f"bias shape for layout {layout}"
            parameters[name] = r.array(init[name], f"init.{name}", shape, words)
        elif name.startswith("W"):
            parameters[name] = rng.standard_normal(shape)
        else:
            parameters[name] = np.zeros(shape)
    return parameters


def _parse_code(
    r: _Reader, doc: dict[str, Any], code: dict[str, Any], path: Path, name: str, description: str
) -> Scenario:
    r.check_keys(code, "code", "code")
    rel = r.string(code, "path", "code.path")
    # Both optional: code mode infers what the program minimises and says so.
    loss = r.choice(code, "loss", "code.loss", tuple(LOSSES)) if "loss" in code else None
    reduction = r.choice(code, "reduction", "code.reduction", REDUCTIONS) if "reduction" in code else None
    seed = r.integer(code, "seed", "code.seed", 0, 2**32 - 1, default=0)
    code_path = (path.parent / rel).resolve()
    if code_path.suffix not in (".py", ".ipynb"):
        raise r.fail("code.path", f'expected a .py or .ipynb file, found "{rel}"')
    if not code_path.exists():
        raise r.fail("code.path", f'no such file "{rel}" (looked in {code_path.parent})')
    train = r.table(doc, "train", required=False) or {}
    r.check_keys(train, "train", "train")
    return Scenario(
        name=name,
        description=description,
        path=path,
        loss=loss or "",
        reduction=reduction or "",
        code=CodeSpec(code_path, loss, reduction, seed),
    )
