"""Reference mode: run a scenario's network one operation at a time and record a Trace.

Each training step records its forward ops, the loss, the backward ops in
reverse order (each with the chain-rule terms it multiplies) and the updates.
float64 throughout; every array is a fresh one, so no later step mutates an
earlier step's value and nothing has to be copied.
"""

from __future__ import annotations

import numpy as np

from bptrace.kinds import Net, Tape
from bptrace.kinds.backward import ACTIVATION_GRAD, BIAS_GRAD, INPUT_GRAD, LOSS_GRAD, WEIGHT_GRAD
from bptrace.kinds.forward import ACTIVATION, AFFINE, LOSS
from bptrace.kinds.other import UPDATE
from bptrace.pitfalls import detect_reference
from bptrace.scenario import Scenario
from bptrace.trace import ScenarioInfo, Trace


def scenario_info(scenario: Scenario) -> ScenarioInfo:
    return ScenarioInfo(
        name=scenario.name,
        description=scenario.description,
        mode="reference",
        loss=scenario.loss,
        reduction=scenario.reduction,
        layout=scenario.layout,
        layers=((scenario.inputs, ""), *((layer.units, layer.activation) for layer in scenario.layers)),
    )


def record(scenario: Scenario, steps: int | None = None) -> Trace:
    """Record ``steps`` training steps (default: the scenario's own count)."""
    # NaN and inf are reported as the non-finite finding, at the step where they first
    # appear; numpy's RuntimeWarnings would only repeat that, on stderr, without a step.
    with np.errstate(all="ignore"):
        return _record(scenario, steps)


def _record(scenario: Scenario, steps: int | None) -> Trace:
    """Each kind records itself (bptrace.kinds); this says only in which order."""
    net = Net(scenario, dict(scenario.parameters))
    tape = Tape()
    losses: list[float] = []
    gradients: list[dict[str, np.ndarray]] = []
    layers = range(1, net.last + 1)
    for train_step in range(scenario.steps if steps is None else steps):
        tape.train_step = train_step
        net.values, net.grads = {"X": scenario.X}, {}
        for number in layers:
            AFFINE.record(tape, net, number)
            ACTIVATION.record(tape, net, number)
        LOSS.record(tape, net, net.last)
        losses.append(float(tape.steps[-1].value))
        LOSS_GRAD.record(tape, net, net.last)
        for number in reversed(layers):
            ACTIVATION_GRAD.record(tape, net, number)
            WEIGHT_GRAD.record(tape, net, number)
            BIAS_GRAD.record(tape, net, number)
            if number > 1:
                INPUT_GRAD.record(tape, net, number)
        gradients.append({name: net.grads[name] for name in net.params})
        for number in layers:  # plain gradient descent
            for parameter in (f"W{number}", f"b{number}"):
                UPDATE.record(tape, net, parameter, number)

    info = scenario_info(scenario)
    return Trace(
        scenario=info,
        steps=tuple(tape.steps),
        losses=tuple(losses),
        gradients=tuple(gradients),
        parameters=net.params,
        findings=tuple(detect_reference(tape.steps, info)),
    )
