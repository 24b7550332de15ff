"""Class 8: bidirectional text and long words from input in the HTML (and Markdown) notes.

Every string from input carries a U+202E (RIGHT-TO-LEFT OVERRIDE). In the HTML each must sit
inside a ``<bdi>`` (a bidi isolate), so it cannot reverse bptrace's own words around it
("line 2, step 3"); where no element can go (the title, tooltips) the override is dropped and
the text wrapped in FSI…PDI. Markdown shows the override as ``\\u202e``. Long unbroken words
wrap instead of widening the page.
"""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser

from bptrace.export import html_format, markdown_format
from bptrace.trace import Formula, Trace
from tests.tui.conftest import code_trace

RLO = "\u202e"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def hostile_trace() -> Trace:
    """A real code-mode recording whose every input-derived string holds an override."""
    trace = code_trace()
    first = trace.steps[0]
    steps = tuple(
        replace(step, op=f"{step.op}{RLO}x", target=f"{step.target}{RLO}",
                source=None if step.source is None else replace(step.source, file=f"im{RLO}pl.py"))
        for step in (replace(first, formula=Formula(f"W1 {RLO} X", r"\texttt{np.dot(W1, X)" + RLO + "}")),
                     *trace.steps[1:])
    )
    findings = tuple(replace(f, message=f"{RLO}{f.message}", file=f"im{RLO}pl.py", id=f"{f.id}{RLO}")
                     for f in trace.findings)
    source = "\n".join(f"{line}  # {RLO}note" for line in (trace.scenario.source_text or "").splitlines())
    scenario = replace(trace.scenario, name=f"Evil {RLO}name", description=f"About {RLO}this",
                       source_file=f"im{RLO}pl.py", source_text=source, loss=trace.scenario.loss)
    return replace(trace, scenario=scenario, steps=steps, findings=findings)


class Isolation(HTMLParser):
    """Each text node and attribute holding an override, with the elements open around it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.texts: list[tuple[str, tuple[str, ...]]] = []
        self.attributes: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(name, value) for name, value in attrs if value and RLO in value]
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(name, value) for name, value in attrs if value and RLO in value]

    def handle_endtag(self, tag: str) -> None:
        assert tag in self.open, (tag, self.open)
        while self.open.pop() != tag:  # an implicitly closed element (none expected)
            pass

    def handle_data(self, data: str) -> None:
        if RLO in data:
            self.texts.append((data, tuple(self.open)))


def test_every_override_in_the_html_is_inside_an_isolate() -> None:
    page = Isolation()
    page.feed(html_format.render(hostile_trace(), detail="all"))
    page.close()
    # Hostile strings reach the page (a test that checks nothing would pass too); the
    # math tokens' text sits in <bdi><math>…</math></bdi>, the rest in <bdi> directly.
    assert len(page.texts) > 50
    assert {stack[-1] for _, stack in page.texts} >= {"bdi", "mtext"}
    outside = [(data, stack) for data, stack in page.texts if "bdi" not in stack]
    assert not outside, outside[:5]
    assert not page.attributes, page.attributes[:5]  # tooltips: the override dropped, FSI…PDI around


def test_the_where_of_a_finding_keeps_its_own_words_outside_the_isolate() -> None:
    html = html_format.render(hostile_trace(), detail="all")
    assert re.search(r'<span class="where"><bdi>im\u202epl\.py</bdi> line \d+, step \d+</span>', html)
    assert "<title>\u2068Evil name\u2069 · bptrace</title>" in html


def test_markdown_shows_overrides_as_escapes() -> None:
    note = markdown_format.render(hostile_trace(), detail="all")
    assert RLO not in note
    assert "Evil \\u202ename" in note
    assert "im\\u202epl.py line" in note


def test_long_unbroken_words_wrap_instead_of_widening_the_page() -> None:
    css = re.sub(r"/\*.*?\*/", "", html_format._css(), flags=re.S)
    rules: dict[str, str] = {}  # selector → its declarations, all rules (and media queries) together
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        rules[selector.strip()] = rules.get(selector.strip(), "") + body
    # the main column wraps words anywhere (which also lowers tables' and grids' minimum width)...
    assert "overflow-wrap: anywhere" in rules["main"]
    # ...and the facts grid may shrink its value column below its longest word.
    assert "minmax(0, 1fr)" in rules[".facts"]
