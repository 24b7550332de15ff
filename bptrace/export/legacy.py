"""Compatibility shim: what a trace written before the typed fields (version 1, and version 2
without ``kind``, ``fix`` or ``notes.recorded_train_steps``) meant, derived once, on load.

This is the one place in bptrace allowed to read meaning out of labels: the old writers put it
there (a step's kind in its op, its layer in the digits of its target, a gradient's subject in a
``d`` prefix, a finding's fix after " Fix: " in its message, code mode's bounded-recording note in
the scenario's description). Every reader downstream uses the typed fields only.
"""

from __future__ import annotations

import re
from typing import Any

from bptrace.ops import ACTIVATIONS

# Reference mode's ops that name their kind; "sgd" was the update.
_NAMED_KINDS = ("affine", "loss_grad", "activation_grad", "weight_grad", "bias_grad", "input_grad")
# What the old gradient check took for a name an update assigns to (W1, self.w, params['W1']).
_NAME = re.compile(r"[A-Za-z_][\w.]*(\[[^\]\s]+\])?")
_BOUNDED = re.compile(r"\s*Recorded in detail: [^()]*\((\d+) of (\d+)\)[^.]*\.")
FIX = " Fix: "


def step_semantics(raw: dict[str, Any], mode: str) -> dict[str, Any]:
    """kind, layer, of, parameter, learner_name of an old step, from its op, phase, target and meta."""
    op, phase, target = raw.get("op"), raw.get("phase"), str(raw.get("target"))
    meta = raw.get("meta") if isinstance(raw.get("meta"), dict) else {}
    if mode == "reference":
        kind = op if op in _NAMED_KINDS else "update" if op == "sgd" else "loss" if phase == "loss" else \
            "activation" if phase == "forward" and op in ACTIVATIONS else "op"
        digits = re.search(r"(\d+)$", target)  # the node the value belongs to: dA1 is layer 1's
        layer = int(digits.group(1)) if digits else meta.get("layer") if isinstance(meta.get("layer"), int) else None
        of = target[1:] if phase == "backward" and target.startswith("d") and len(target) > 1 else None
        parameter = of if kind in ("weight_grad", "bias_grad") else target if kind == "update" else None
        return {"kind": kind, "layer": layer, "of": of, "parameter": parameter, "learner_name": target}
    parameter = meta.get("parameter") if isinstance(meta.get("parameter"), str) else None
    kind = "loss" if phase == "loss" and meta.get("derived_by") == "bptrace" else \
        "update" if phase == "update" and parameter else "op"
    # A name the learner bound (meta.names), or the parameter an update assigns to; else source text.
    names = meta.get("names") if isinstance(meta.get("names"), list) else []
    named = target in names or (kind == "update" and _NAME.fullmatch(target) is not None)
    return {"kind": kind, "layer": None, "of": None, "parameter": parameter, "learner_name": target if named else None}


def split_fix(message: str) -> tuple[str, str | None]:
    """An old finding's message and the fix it carried after " Fix: "."""
    said, found, fix = message.partition(FIX)
    return (said.strip(), fix.strip() or None) if found else (message, None)


def bounded_note(description: str, notes: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Code mode's "Recorded in detail: … (2 of 4) …" sentence, moved from the description into notes."""
    found = _BOUNDED.search(description)
    if found is None or "recorded_train_steps" in notes:
        return description, notes
    return (description[:found.start()] + description[found.end():]).strip(), \
        {**notes, "recorded_train_steps": [int(found.group(1)), int(found.group(2))]}
