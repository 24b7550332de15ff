"""What a pitfall is: its id, severity, explanation and fix, its gallery program, beside its detection."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bptrace.trace import ScenarioInfo, Severity, Step

if TYPE_CHECKING:  # code mode is imported only when a code detector runs: the catalogue stays cheap
    from bptrace.codetrace.context import CodeContext, Hit
    from bptrace.codetrace.judged import LocalFactor, Product, Verdict

# A reference-mode detector looks at recorded steps and says (step index, message) pairs.
ReferenceDetector = Callable[[Sequence[Step], ScenarioInfo], list[tuple[int, str]]]
# A code-mode detector reads the whole recorded run of the learner's code once and says where (Hits).
CodeDetector = Callable[["CodeContext"], list["Hit"]]
# A code-mode judgement is asked of each parameter update whose gradient is wrong but of the right shape.
CodeJudgement = Callable[["Verdict"], "Hit | None"]
# A code-mode explanation of a matrix product at the first array that equals no true gradient.
ProductExplanation = Callable[["Product"], "Hit | None"]
# A code-mode explanation of a wrong local derivative at the first array that equals no true gradient.
LocalExplanation = Callable[["LocalFactor"], "Hit | None"]


@dataclass(frozen=True)
class Pitfall:
    id: str
    title: str
    explanation: str  # why it happens and why it matters, in plain words
    fix: str
    severity: Severity  # the contract's (DESIGN.md, "Finding ids")
    # The stem of the gallery program that commits this mistake: scenarios/gallery/<gallery>.toml
    gallery: str
    detect_reference: ReferenceDetector | None = None
    # Code mode, run once over the recorded run (warnings, non-finite values, silent broadcasts).
    detect_code: CodeDetector | None = None
    # Code mode, asked of each wrong update in the catalogue's order: the first that answers names the mistake
    # (bptrace.codetrace.diagnose); when none does, the first divergence is explained (codetrace.explain).
    judge_code: CodeJudgement | None = None
    # Code mode, asked in the catalogue's order of a matrix product at the first array that equals no true
    # gradient (bptrace.codetrace.explain); the rest of that explanation is explain's own chain.
    explain_product: ProductExplanation | None = None
    # Code mode, asked in the catalogue's order of a product by a wrong local derivative there (explain).
    explain_local: LocalExplanation | None = None
    # Code mode: the same habit at several lines of a step is one finding, at the first, naming the others.
    one_finding: bool = False
    # Code mode (bptrace.codetrace.cascade): a finding of this id names a wrong op of the backward pass, so a
    # gradient-mismatch computed on its line or from its array follows from it. False for findings about the
    # run (warnings, NaN, the code raising) and for gradient-mismatch itself.
    names_upstream: bool = True
    # Code mode: an error of this id in a training step makes what goes wrong in later steps its consequence.
    # False for errors about the run's numbers rather than a line's computation (NaN, the code raising).
    causes_later: bool = True
