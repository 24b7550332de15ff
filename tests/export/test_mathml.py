"""LaTeX → MathML Core: every formula bptrace writes converts, well-formed, nothing left as raw TeX."""

from __future__ import annotations

import xml.dom.minidom

import pytest

from bptrace.export.mathml import latex_to_mathml

from .conftest import SCENARIOS, record


def all_latex() -> list[str]:
    seen: dict[str, None] = {}
    for path in sorted(SCENARIOS.glob("*.toml")):
        for step in record(path.name, 1).steps:
            assert step.formula is not None
            seen[step.formula.latex] = None
            seen.update((term.latex, None) for term in step.terms if term.latex)
    return list(seen)


def test_every_bundled_formula_converts() -> None:
    formulas = all_latex()
    assert len(formulas) > 50
    for latex in formulas:
        mathml = latex_to_mathml(latex)
        xml.dom.minidom.parseString(mathml)  # well-formed
        assert "<mtext>\\" not in mathml, latex  # no command left unknown


@pytest.mark.parametrize(
    ("latex", "expected"),
    [
        (
            r"\frac{\partial L}{\partial Z_{1}}",
            "<mfrac><mrow><mi>∂</mi><mi>L</mi></mrow><mrow><mi>∂</mi><msub><mi>Z</mi><mn>1</mn></msub></mrow></mfrac>",
        ),
        (r"W_{2}^{T}", "<msubsup><mi>W</mi><mn>2</mn><mi>T</mi></msubsup>"),
        (r"\sum_{s} x", '<munder><mo largeop="true" movablelimits="false">∑</mo><mi>s</mi></munder>'),
        (r"A \odot B", "<mo>⊙</mo>"),
        (r"a - b", "<mo>−</mo>"),
        (r"\left(x\right)", '<mo fence="true" stretchy="true">(</mo><mi>x</mi><mo fence="true" stretchy="true">)</mo>'),
        (r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}", "<mtr><mtd><mn>3</mn></mtd><mtd><mn>4</mn></mtd></mtr>"),
        (r"\operatorname{relu}'(Z)", '<mi>relu</mi><mo lspace="0" rspace="0">′</mo>'),
        (r"\ell \text{ per sample}", "<mtext>\u00a0per\u00a0sample</mtext>"),
    ],
)
def test_constructs(latex: str, expected: str) -> None:
    assert expected in latex_to_mathml(latex)


def test_text_is_escaped_and_odd_input_does_not_break() -> None:
    mathml = latex_to_mathml(r"a < b \text{<script>} \unknown } { \right) & \\ _")
    xml.dom.minidom.parseString(mathml)
    assert "<script>" not in mathml and "&lt;script&gt;" in mathml
    assert "<mtext>\\unknown</mtext>" in mathml
    assert 'display="block"' not in latex_to_mathml("x", display=False)
