"""Weight used without (or with) a transpose (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="transpose",
    severity="error",
    gallery="transpose",
    title="Weight used without (or with) a transpose",
    explanation="For Z = W·A the chain rule gives ∂L/∂A = Wᵀ·∂L/∂Z and ∂L/∂W = ∂L/∂Z·Aᵀ; swapping a transpose gives the right numbers in the wrong places (square matrices hide it).",
    fix="Check each product against the forward one: columns dW = dZ @ A_prev.T, dA_prev = W.T @ dZ; rows dW = A_prev.T @ dZ, dA_prev = dZ @ W.T.",
)
