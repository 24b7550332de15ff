"""The shipped JSON Schema describes what the writer writes, and refuses what the loader refuses."""

from __future__ import annotations

import copy
import json
from importlib import resources

import jsonschema
import pytest

from bptrace.export.json_format import dumps
from bptrace.trace import Trace

from .conftest import SCENARIOS, record


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(resources.files("bptrace.export").joinpath("trace.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("scenario", sorted(p.name for p in SCENARIOS.glob("*.toml")))
def test_every_bundled_scenario_exports_valid_json(validator, scenario: str) -> None:
    validator.validate(json.loads(dumps(record(scenario, 2))))


def test_code_mode_trace_exports_valid_json(validator, code_trace: Trace) -> None:
    validator.validate(json.loads(dumps(code_trace)))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(version=3),
        lambda d: d.pop("steps"),
        lambda d: d["steps"][0].update(phase="sideways"),
        lambda d: d["steps"][0].update(value=[["NaN"]]),
        lambda d: d["findings"].append({"id": "x", "severity": "fatal", "step": 0, "message": "m"}),
        lambda d: d["scenario"].update(mode="magic"),
        lambda d: d["steps"][0].update(surprise=True),
    ],
)
def test_schema_refuses_what_the_contract_forbids(validator, seed_trace: Trace, change) -> None:
    doc = json.loads(dumps(seed_trace))
    validator.validate(copy.deepcopy(doc))
    change(doc)
    assert not validator.is_valid(doc)


def test_version_2_with_packed_arrays_verdicts_and_notes_is_valid(validator, long_trace: Trace) -> None:
    from .test_json_v2 import with_big_values

    doc = json.loads(dumps(with_big_values(long_trace), detail="0"))
    assert doc["steps"][0]["value"]["base64"] and doc["scenario"]["notes"] and doc["verdicts"]
    validator.validate(doc)
    doc["steps"][0]["value"]["dtype"] = "int8"
    assert not validator.is_valid(doc)


def test_version_1_files_are_valid(validator) -> None:
    from pathlib import Path

    for path in (Path(__file__).parent / "fixtures").glob("*_v1.json"):
        validator.validate(json.loads(path.read_text(encoding="utf-8")))


def test_corners_only_arrays_are_valid_in_steps_and_not_in_parameters(validator, seed_trace: Trace) -> None:
    from .test_elided import with_big_step

    trace, _ = with_big_step(seed_trace)
    doc = json.loads(dumps(trace, detail=None))
    assert doc["steps"][0]["value"]["kept_rows"] and doc["steps"][0]["terms"][0]["value"]["kept_cols"]
    validator.validate(doc)
    wrong = copy.deepcopy(doc)
    wrong["parameters"]["W1"] = doc["steps"][0]["value"]
    assert not validator.is_valid(wrong)
    wrong = copy.deepcopy(doc)
    wrong["steps"][0]["value"]["kept_rows"] = "all"
    assert not validator.is_valid(wrong)
