"""Reference mode: run a scenario's network one operation at a time and record a Trace.

Each training step records its forward ops, the loss, the backward ops in
reverse order (each with the chain-rule terms it multiplies) and the updates.
float64 throughout; every array is a fresh one, so no later step mutates an
earlier step's value and nothing has to be copied.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bptrace.ops import ACTIVATIONS, LOSSES
from bptrace.pitfalls import detect_reference
from bptrace.scenario import Scenario
from bptrace.trace import Phase, ScenarioInfo, Step, Term, Trace


class _Tape:
    """Collects steps with running indices; the only mutable thing while recording."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.train_step = 0

    def add(
        self,
        phase: Phase,
        op: str,
        target: str,
        inputs: tuple[str, ...],
        value: np.ndarray,
        terms: tuple[Term, ...] = (),
        **meta: object,
    ) -> np.ndarray:
        self.steps.append(
            Step(
                index=len(self.steps),
                train_step=self.train_step,
                phase=phase,
                op=op,
                target=target,
                inputs=inputs,
                value=value,
                terms=terms,
                meta=meta,
            )
        )
        return value


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
    columns = scenario.layout == "columns"
    feature_axis, sample_axis = (0, 1) if columns else (1, 0)
    samples = scenario.samples
    scale = 1.0 / samples if scenario.reduction == "mean" else 1.0
    loss = LOSSES[scenario.loss]
    last = len(scenario.layers)
    lr = scenario.learning_rate
    params = dict(scenario.parameters)
    tape = _Tape()
    losses: list[float] = []
    gradients: list[dict[str, np.ndarray]] = []

    for train_step in range(scenario.steps if steps is None else steps):
        tape.train_step = train_step
        # forward
        activations: dict[int, np.ndarray] = {0: scenario.X}
        pre: dict[int, np.ndarray] = {}
        names = {0: "X"}
        for number, layer in enumerate(scenario.layers, start=1):
            W, b, A_prev = params[f"W{number}"], params[f"b{number}"], activations[number - 1]
            Z = (W @ A_prev if columns else A_prev @ W) + b
            pre[number] = tape.add(
                "forward", "affine", f"Z{number}", (f"W{number}", names[number - 1], f"b{number}"), Z,
                (Term(f"W{number}", W, "input"), Term(names[number - 1], A_prev, "input"), Term(f"b{number}", b, "input")),
                layer=number, layout=scenario.layout,
            )
            activation = ACTIVATIONS[layer.activation]
            A = activation.forward(Z, feature_axis)
            activations[number] = tape.add(
                "forward", layer.activation, f"A{number}", (f"Z{number}",), A,
                (Term(f"Z{number}", Z, "input"),),
                layer=number, activation=layer.activation, feature_axis=feature_axis,
            )
            names[number] = f"A{number}"

        # loss
        output, target = activations[last], scenario.Y
        per_sample = loss.per_sample(output, target, feature_axis)
        total = float(np.sum(per_sample) * scale)
        losses.append(total)
        tape.add(
            "loss", scenario.loss, "L", (f"A{last}", "Y"), np.array(total),
            (Term(f"A{last}", output, "input"), Term("Y", target, "input"), Term("ℓ per sample", per_sample, "local")),
            loss=scenario.loss, reduction=scenario.reduction, samples=samples,
        )

        # backward, in reverse
        local = loss.gradient(output, target, feature_axis)
        dA = local * scale
        tape.add(
            "backward", "loss_grad", f"dA{last}", (f"A{last}", "Y"), dA,
            (
                Term(f"A{last}", output, "input"),
                Term("Y", target, "input"),
                Term(f"∂ℓ/∂A{last}", local, "local"),
                Term(f"∂L/∂A{last}", dA, "product"),
            ),
            loss=scenario.loss, reduction=scenario.reduction, samples=samples, layer=last,
        )
        grads: dict[str, np.ndarray] = {}
        for number in range(last, 0, -1):
            layer = scenario.layers[number - 1]
            activation = ACTIVATIONS[layer.activation]
            Z, A, A_prev = pre[number], activations[number], activations[number - 1]
            dZ = activation.backward(Z, A, dA, feature_axis)
            if activation.elementwise:
                local_terms = (Term(f"{layer.activation}′(Z{number})", activation.derivative(Z, A), "local"),)
            else:
                local_terms = (
                    Term(f"Σ ∂L/∂A{number}⊙A{number}", np.sum(dA * A, axis=feature_axis, keepdims=True), "local"),
                )
            tape.add(
                "backward", "activation_grad", f"dZ{number}", (f"dA{number}", f"Z{number}"), dZ,
                (
                    Term(f"Z{number}", Z, "input"),
                    Term(f"A{number}", A, "input"),
                    Term(f"∂L/∂A{number}", dA, "upstream"),
                    *local_terms,
                    Term(f"∂L/∂Z{number}", dZ, "product"),
                ),
                layer=number, activation=layer.activation, feature_axis=feature_axis,
            )
            prev_name = "X" if number == 1 else f"A{number - 1}"
            dW = dZ @ A_prev.T if columns else A_prev.T @ dZ
            grads[f"W{number}"] = tape.add(
                "backward", "weight_grad", f"dW{number}", (f"dZ{number}", prev_name), dW,
                (
                    Term(f"∂L/∂Z{number}", dZ, "upstream"),
                    Term(f"{prev_name}ᵀ", A_prev.T, "local"),
                    Term(f"∂L/∂W{number}", dW, "product"),
                ),
                layer=number, layout=scenario.layout,
            )
            db = dZ.sum(axis=sample_axis, keepdims=columns)
            grads[f"b{number}"] = tape.add(
                "backward", "bias_grad", f"db{number}", (f"dZ{number}",), db,
                (Term(f"∂L/∂Z{number}", dZ, "upstream"), Term(f"∂L/∂b{number}", db, "product")),
                layer=number, layout=scenario.layout,
            )
            if number > 1:
                W = params[f"W{number}"]
                dA = W.T @ dZ if columns else dZ @ W.T
                tape.add(
                    "backward", "input_grad", f"dA{number - 1}", (f"W{number}", f"dZ{number}"), dA,
                    (
                        Term(f"W{number}ᵀ", W.T, "local"),
                        Term(f"∂L/∂Z{number}", dZ, "upstream"),
                        Term(f"∂L/∂A{number - 1}", dA, "product"),
                    ),
                    layer=number, layout=scenario.layout,
                )
        gradients.append({name: grads[name] for name in params})

        # update: plain gradient descent
        # Terms refer to arrays already stored (old parameter, gradient); η·∂L/∂W is
        # not kept, which saves a parameter-sized array per update.
        for name in params:
            params[name] = tape.add(
                "update", "sgd", name, (name, f"d{name}"), params[name] - lr * grads[name],
                (Term(name, params[name], "input"), Term(f"∂L/∂{name}", grads[name], "upstream")),
                learning_rate=lr,
            )

    info = scenario_info(scenario)
    findings, step_findings = detect_reference(tape.steps, info)
    steps_out = tuple(
        _with_findings(step, step_findings.get(step.index, ())) for step in tape.steps
    )
    return Trace(
        scenario=info,
        steps=steps_out,
        losses=tuple(losses),
        gradients=tuple(gradients),
        parameters=params,
        findings=tuple(findings),
    )


def _with_findings(step: Step, ids: tuple[str, ...]) -> Step:
    if not ids:
        return step
    return replace(step, findings=ids)
