"""The closed set of step kinds: each defined once (bptrace.kinds), each recorded step says which it is."""

from __future__ import annotations

from bptrace.bundled import SCENARIO_DIR
from bptrace.kinds import KIND, step_label, step_title
from bptrace.recorder import record
from bptrace.scenario import load_scenario
from bptrace.trace import KINDS


def test_every_kind_of_the_closed_set_is_defined_once() -> None:
    assert set(KIND) == set(KINDS) and len(KIND) == len(KINDS)


def test_reference_mode_records_every_kind_but_code_modes_raw_op() -> None:
    trace = record(load_scenario(SCENARIO_DIR / "seed1_relu_sigmoid.toml"))
    assert {step.kind for step in trace.steps} == set(KINDS) - {"op"}
    for step in trace.steps:
        assert step.learner_name == step.target  # reference mode: the learner's name is the canonical one
        gradient = step.phase == "backward"
        assert (step.of is not None) == gradient, step.target
        assert (step.parameter is not None) == (step.kind in ("weight_grad", "bias_grad", "update")), step.target
    by_target = {step.target: step for step in trace.steps}
    assert (by_target["dA1"].kind, by_target["dA1"].layer, by_target["dA1"].of) == ("input_grad", 1, "A1")
    assert (by_target["dZ2"].kind, by_target["dZ2"].layer, by_target["dZ2"].of) == ("activation_grad", 2, "Z2")
    assert (by_target["dW1"].parameter, by_target["db2"].parameter) == ("W1", "b2")
    titles = [step_title(step) for step in trace.steps]
    assert "weight gradient → ∂L/∂W1" in titles and "through the activation → ∂L/∂Z1" in titles
    assert "through the weights → ∂L/∂A1" in titles and "loss gradient → ∂L/∂A2" in titles
    assert step_label(by_target["W2"]) == "W2 −= η·∂L/∂W2"


def test_a_hand_made_affine_step_with_other_inputs_still_has_a_label() -> None:
    """A trace from elsewhere may say "affine" with four inputs (the trace fuzzer found one): name it, don't crash."""
    import numpy as np

    from bptrace.trace import Step

    step = Step(0, 0, "forward", "affine", "Z1", ("dZ1", "X", "A1", "A1"), np.zeros((1, 1)), kind="affine")
    assert step_label(step) == "Z1 = affine(dZ1, X, A1, A1)" and step_title(step) == step_label(step)
