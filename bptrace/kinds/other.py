"""The update W ← W − η·∂L/∂W, and code mode's raw NumPy ops (``kind="op"``, ``op`` names it)."""

from __future__ import annotations

from typing import Any

from bptrace.kinds.base import KindBase, Net, Tape, grad
from bptrace.kinds.forward import _ij
from bptrace.trace import Formula, ScenarioInfo, Step, Term


def _short(text: str, width: int = 16) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class Update(KindBase):
    """Gradient descent on one parameter. Code mode: the learner's own update, named as their code names it."""

    name = "update"
    phase = "update"

    def record(self, tape: Tape, net: Net, parameter: str, number: int) -> None:
        # Terms refer to arrays already stored (old parameter, gradient); η·∂L/∂W is
        # not kept, which saves a parameter-sized array per update.
        old, gradient, lr = net.params[parameter], net.grads[parameter], net.scenario.learning_rate
        net.params[parameter] = tape.add(
            self, "sgd", parameter, (parameter, f"d{parameter}"), old - lr * gradient,
            (Term(parameter, old, "input"), Term(grad(parameter), gradient, "upstream")),
            layer=number, parameter=parameter, learning_rate=lr,
        )

    @staticmethod
    def _name(step: Step) -> str:
        return step.learner_name or step.parameter or step.target

    def label(self, step: Step) -> str:
        name = self._name(step)
        return f"{name} −= η·∂L/∂{name}"

    def title(self, step: Step) -> str:
        # Code mode's update is the learner's own op (subtract, add, …): say which; "sgd" is bptrace's rule.
        return self.label(step) if step.op == "sgd" else f"{step.op} → {self.label(step)}"

    def value_name(self, step: Step) -> str:
        return self._name(step)

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import latex_name

        name = self._name(step)
        return Formula(f"{name} ← {name} − η·{grad(name)}",
                       rf"{latex_name(name)} \leftarrow {latex_name(name)} - \eta \, {latex_name(grad(name))}")

    def elements(self, step: Step, info: ScenarioInfo, E: Any, index: tuple[int, ...]) -> list[Any]:
        from bptrace.symbolic.parts import sp

        if "learning_rate" not in step.meta or len(step.terms) != 2:
            return super().elements(step, info, E, index)
        i, j = _ij(index)
        at = (i, j) if step.value.ndim == 2 else (i,)
        old, gradient = step.terms
        return [E(old.name, *at), -sp.Float(float(step.meta["learning_rate"])) * E(gradient.name, *at)]


class Op(KindBase):
    """A NumPy op of the learner's code: named by the learner's variable when it has one, else by its source."""

    name = "op"
    phase = "forward"  # nominal: code mode sets each step's phase from the data flow

    def label(self, step: Step) -> str:
        return f"{step.learner_name} = {step.op}" if step.learner_name else f"{step.op}: {step.target}"

    def title(self, step: Step) -> str:
        label = self.label(step)
        return f"{label} · used as ∂L/∂{step.of} by its update" if step.of else label

    def value_name(self, step: Step) -> str:
        return step.learner_name or _short(step.target)

    def formula(self, step: Step, info: ScenarioInfo) -> Formula:
        from bptrace.symbolic.parts import latex_name

        return Formula(
            f"{step.target} = {step.op}({', '.join(step.inputs)})",
            rf"{latex_name(step.target)} = \operatorname{{{step.op}}}({', '.join(map(latex_name, step.inputs))})",
        )


UPDATE, OP = Update(), Op()
