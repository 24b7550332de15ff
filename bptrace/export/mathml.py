"""Presentation MathML (MathML Core, which Chromium and Firefox draw natively) from
the LaTeX a Trace carries.

Why from LaTeX and not from sympy objects: a trace keeps its formulas as text
and LaTeX only (that is the JSON contract), so a trace read back from JSON has
no sympy expressions left to print. This converts the small LaTeX vocabulary
bptrace writes (``symbolic.py``, ``ops.py``: fractions, scripts, ``\\operatorname``,
``\\left( … \\right)``, ``\\sum``, matrices, Greek letters, a few operators) and
shows anything else as literal text; every character reaches the page escaped.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from bptrace.export.notes import text_unescape

# Letters come in runs: bptrace's names are words (``dA1``, ``matmul``), set upright as one identifier.
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\d+(?:\.\d+)?|[A-Za-z]+|\s+|.", re.DOTALL)

_IDENTIFIERS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "eta": "η",
    "theta": "θ", "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
    "omega": "ω", "Delta": "Δ", "Sigma": "Σ", "ell": "ℓ", "partial": "∂", "infty": "∞", "nabla": "∇",
}
_OPERATORS = {
    "odot": "⊙", "circ": "∘", "cdot": "⋅", "times": "×", "leftarrow": "←", "rightarrow": "→", "to": "→",
    "gets": "←", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "lt": "<", "gt": ">", "pm": "±", "mp": "∓", "top": "⊤", "prime": "′", "dots": "…", "ldots": "…",
    "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "lbrace": "{", "rbrace": "}", "vert": "|", "Vert": "‖",
    "lvert": "|", "rvert": "|", "otimes": "⊗", "sum": "∑", "prod": "∏", "in": "∈", "forall": "∀",
    "{": "{", "}": "}", "|": "‖", "langle": "⟨", "rangle": "⟩",
}
_FUNCTIONS = {"log", "ln", "exp", "max", "min", "tanh", "sinh", "cosh", "sin", "cos", "tan", "det", "diag", "sgn"}
_SPACES = {",": "0.1667em", ":": "0.2222em", ";": "0.2778em", " ": "0.25em", "!": "-0.1667em",
           "quad": "1em", "qquad": "2em", "thinspace": "0.1667em", "medspace": "0.2222em",
           "thickspace": "0.2778em", "negthinspace": "-0.1667em"}
_LARGE = {"sum", "prod"}
_MATRICES = {"matrix": ("", ""), "bmatrix": ("[", "]"), "pmatrix": ("(", ")"), "vmatrix": ("|", "|"),
             "Bmatrix": ("{", "}")}
_TEXT_COMMANDS = {"text", "mathrm", "operatorname", "textrm", "mathit", "mathbf", "boldsymbol"}


class _Parser:
    def __init__(self, latex: str) -> None:
        self.tokens = [t for t in _TOKEN.findall(latex)]
        self.pos = 0

    # -- tokens
    def peek(self) -> str | None:
        while self.pos < len(self.tokens) and self.tokens[self.pos].isspace():
            self.pos += 1
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        assert token is not None
        self.pos += 1
        return token

    def raw_group(self) -> str:
        """The text of a ``{…}`` argument, braces balanced, spaces kept."""
        if self.peek() != "{":
            return self.take() if self.peek() is not None else ""
        self.pos += 1
        depth, out = 1, []
        while self.pos < len(self.tokens):
            token = self.tokens[self.pos]
            self.pos += 1
            depth += token == "{"
            depth -= token == "}"
            if depth == 0:
                break
            out.append(token)
        return "".join(out)

    # -- grammar: row := (atom scripts?)* ; stops at } & \\ \right \end or the end
    def row(self) -> list[str]:
        items: list[str] = []
        while (token := self.peek()) is not None and token not in ("}", "&", r"\\", r"\right", r"\end"):
            atom = self.atom()
            if atom is not None:
                items.append(self.scripts(atom))
        return items

    def group(self) -> str:
        """One argument: a braced group or a single atom."""
        if self.peek() == "{":
            self.take()
            items = self.row()
            if self.peek() == "}":
                self.take()
            return _mrow(items)
        atom = self.atom() if self.peek() is not None else None
        return atom or "<mrow></mrow>"

    def scripts(self, base: str, large: bool = False) -> str:
        sub = sup = None
        while (token := self.peek()) in ("_", "^", "'"):
            self.take()
            if token == "'":  # a prime is already a raised glyph: set it beside the base
                base = f'<mrow>{base}<mo lspace="0" rspace="0">′</mo></mrow>'
            elif token == "_":
                sub = self.group()
            else:
                sup = self.group()
        if sub is None and sup is None:
            return base
        under, over = ("munder", "mover") if large else ("msub", "msup")
        if sub is not None and sup is not None:
            tag = "munderover" if large else "msubsup"
            return f"<{tag}>{base}{sub}{sup}</{tag}>"
        return f"<{under}>{base}{sub}</{under}>" if sub is not None else f"<{over}>{base}{sup}</{over}>"

    def atom(self) -> str | None:
        token = self.take()
        if token == "{":
            items = self.row()
            if self.peek() == "}":
                self.take()
            return _mrow(items)
        if token in ("_", "^"):  # a script with no base
            self.pos -= 1
            return "<mrow></mrow>"
        if token.startswith("\\"):
            return self.command(token[1:])
        if token[0].isdigit():
            return f"<mn>{escape(token)}</mn>"
        if token.isalpha():
            return f"<mi>{escape(token)}</mi>"
        if token == "-":
            return _mo("−")
        if token in "()[]":  # plain brackets keep their size; \left … \right ones stretch
            return f'<mo stretchy="false">{token}</mo>'
        if token == "}":
            return None
        return _mo(token)

    def command(self, name: str) -> str | None:
        if name == "frac":
            return f"<mfrac>{self.group()}{self.group()}</mfrac>"
        if name == "sqrt":
            return f"<msqrt>{self.group()}</msqrt>"
        if name in ("text", "textrm", "texttt"):  # no-break spaces: MathML trims ordinary ones at the ends
            content = escape(text_unescape(self.raw_group())).replace(" ", chr(0xA0))
            return f'<mtext class="code">{content}</mtext>' if name == "texttt" else f"<mtext>{content}</mtext>"
        if name in _TEXT_COMMANDS:
            inner = self.raw_group()
            if re.fullmatch(r"[A-Za-z0-9 ]*", inner):
                variant = {"mathbf": "bold", "boldsymbol": "bold-italic"}.get(name, "normal")
                if name == "mathit":
                    return f"<mi>{escape(inner)}</mi>"
                return f'<mi mathvariant="{variant}">{escape(inner)}</mi>' if variant != "normal" or len(inner) == 1 \
                    else f"<mi>{escape(inner)}</mi>"
            return _mrow(_Parser(inner).row())
        if name == "left":
            return self.fenced()
        if name == "begin":
            return self.environment(self.raw_group())
        if name in _SPACES:
            return f'<mspace width="{_SPACES[name]}"></mspace>'
        if name in _LARGE:
            return self.scripts(f'<mo largeop="true" movablelimits="false">{_OPERATORS[name]}</mo>', large=True)
        if name in _IDENTIFIERS:
            return f"<mi>{_IDENTIFIERS[name]}</mi>"
        if name in _OPERATORS:
            return _mo(_OPERATORS[name])
        if name in _FUNCTIONS:
            return (
                f'<mrow><mspace width="0.1667em"></mspace><mi>{name}</mi><mo>\u2061</mo>'
                '<mspace width="0.1667em"></mspace></mrow>'
            )
        if name == "\\":
            return None
        if len(name) == 1 and not name.isalpha():  # \# \% \& \_ \$: the character itself
            return _mo(name)
        return f"<mtext>{escape(chr(92) + name)}</mtext>"  # unknown: shown as written

    def fenced(self) -> str:
        opening = self._delimiter(self.take()) if self.peek() is not None else ""
        items = self.row()
        closing = ""
        if self.peek() == r"\right":
            self.take()
            closing = self._delimiter(self.take()) if self.peek() is not None else ""
        parts = (
            ([_mo(opening, fence=True)] if opening else []) + items + ([_mo(closing, fence=True)] if closing else [])
        )
        return _mrow(parts)

    @staticmethod
    def _delimiter(token: str) -> str:
        if token == ".":
            return ""
        if token.startswith("\\"):
            return _OPERATORS.get(token[1:], token[1:])
        return token

    def environment(self, name: str) -> str:
        rows: list[list[str]] = [[]]
        cell: list[str] = []
        while (token := self.peek()) is not None:
            if token == r"\end":
                self.take()
                self.raw_group()
                break
            if token == "&":
                self.take()
                rows[-1].append(_mrow(cell))
                cell = []
            elif token == r"\\":
                self.take()
                rows[-1].append(_mrow(cell))
                rows.append([])
                cell = []
            elif token in ("}", r"\right"):
                self.take()
            else:
                cell.extend(self.row())
        rows[-1].append(_mrow(cell))
        if rows[-1] == ["<mrow></mrow>"] and len(rows) > 1:
            rows.pop()
        table = "<mtable>" + "".join(
            "<mtr>" + "".join(f"<mtd>{c}</mtd>" for c in row) + "</mtr>" for row in rows
        ) + "</mtable>"
        left, right = _MATRICES.get(name, ("", ""))
        if not left:
            return table
        return _mrow([_mo(left, fence=True), table, _mo(right, fence=True)])


def _mo(symbol: str, fence: bool = False) -> str:
    attrs = ' fence="true" stretchy="true"' if fence else ""
    return f"<mo{attrs}>{escape(symbol)}</mo>"


def _mrow(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"<mrow>{''.join(items)}</mrow>"


@lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, display: bool = True) -> str:
    """A whole ``<math>`` element for ``latex``; the LaTeX rides along as an annotation."""
    parser = _Parser(latex)
    items: list[str] = []
    while parser.peek() is not None:
        items.extend(parser.row())
        if parser.peek() is not None:  # a stray } & \\ \right \end at the top: show it and go on
            items.append(_mo(parser.take()))
    mode = ' display="block"' if display else ""
    return (f"<math{mode}><semantics>{_mrow(items) if items else '<mrow></mrow>'}"
            f'<annotation encoding="application/x-tex">{escape(latex)}</annotation></semantics></math>')
