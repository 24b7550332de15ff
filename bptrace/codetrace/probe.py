"""Classify a derivative helper by calling it on probe inputs: which argument does it expect?

``x*(1-x)`` equals σ′ only when handed an activation; ``σ(z)(1-σ(z))`` only when
handed a pre-activation. The probe runs with the recorder switched off.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bptrace.codetrace.runtime import Recorder
from bptrace.ops import ACTIVATIONS

_RNG = np.random.default_rng(12345)
_Z = _RNG.normal(0.0, 2.0, size=(3, 2))
_A01 = _RNG.uniform(0.05, 0.95, size=(3, 2))
_A11 = _RNG.uniform(-0.95, 0.95, size=(3, 2))


def probe_helper(recorder: Recorder, func: Any, activation: str) -> str | None:
    """"activation" if func(a) = f′ written in a, "pre-activation" if func(z) = f′(z), else None."""
    act = ACTIVATIONS.get(activation)
    if act is None or activation not in ("sigmoid", "tanh"):
        return None
    a_probe = _A01 if activation == "sigmoid" else _A11
    expects_a = act.derivative(None, a_probe)  # type: ignore[arg-type]
    expects_z = act.derivative(_Z, act.forward(_Z, 0))
    saved, recorder.enabled = recorder.enabled, False
    state = np.random.get_state()  # noqa: NPY002 - a probe must not move the learner's RNG
    try:
        with np.errstate(all="ignore"):
            on_a = np.asarray(func(a_probe.copy()), dtype=np.float64)
            on_z = np.asarray(func(_Z.copy()), dtype=np.float64)
    except Exception:
        return None
    finally:
        recorder.enabled = saved
        np.random.set_state(state)  # noqa: NPY002
    if on_a.shape == expects_a.shape and np.allclose(on_a, expects_a):
        return "activation"
    if on_z.shape == expects_z.shape and np.allclose(on_z, expects_z):
        return "pre-activation"
    return None
