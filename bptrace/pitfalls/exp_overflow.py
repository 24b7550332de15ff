"""np.exp overflowed (code mode; detected by ``bptrace.codetrace``)."""

from __future__ import annotations

from bptrace.pitfalls.base import Pitfall

PITFALL = Pitfall(
    id="exp-overflow",
    severity="warning",
    title="np.exp overflowed",
    explanation="np.exp of a number above about 709 is inf in float64; 1/(1+exp(−z)) still gives 0 but warns, and other forms turn into NaN.",
    fix="Use a stable sigmoid (np.where on the sign of z, or scipy.special.expit), or np.clip(z, -500, 500) before np.exp.",
)
