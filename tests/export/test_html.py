"""HTML study notes: one offline file, MathML, anchors that resolve, findings highlighted, nothing injected."""

from __future__ import annotations

import re
import xml.dom.minidom
from collections import Counter
from html.parser import HTMLParser

import pytest

from bptrace.export.html_format import render
from bptrace.trace import Trace


class Page(HTMLParser):
    """What the tests look at: tags, ids, links, classes and the text, as a browser's parser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.attrs: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        found = dict(attrs)
        self.attrs.append((tag, found))
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, tag: str, cls: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.attrs if t == tag and cls in (a.get("class") or "").split()]


@pytest.fixture(scope="module")
def seed_page(seed_trace: Trace) -> tuple[str, Page]:
    html = render(seed_trace)
    return html, Page(html)


@pytest.fixture(scope="module")
def code_page(code_trace: Trace) -> tuple[str, Page]:
    html = render(code_trace)
    return html, Page(html)


def test_standalone_and_offline(seed_page: tuple[str, Page]) -> None:
    html, page = seed_page
    assert html.startswith("<!DOCTYPE html>")
    assert page.tags["script"] == 0 and page.tags["link"] == 0 and page.tags["img"] == 0 and page.tags["iframe"] == 0
    assert not re.search(r"(src|href)=\"(?!#)", html)  # every link stays inside the page
    assert "http://" not in html and "https://" not in html and "@import" not in html and "url(" not in html
    csp = [a for t, a in page.attrs if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in str(csp[0]["content"])
    assert page.tags["style"] == 1


def test_light_and_dark(seed_page: tuple[str, Page]) -> None:
    html, _ = seed_page
    assert "@media (prefers-color-scheme: dark)" in html and "color-scheme: light dark" in html


def test_every_anchor_resolves_and_ids_are_unique(seed_page: tuple[str, Page], code_page: tuple[str, Page]) -> None:
    for _, page in (seed_page, code_page):
        assert len(page.ids) == len(set(page.ids))
        missing = {link for link in page.links if link.startswith("#") and link[1:] not in page.ids}
        assert not missing


def test_timeline_links_every_written_out_step(seed_trace: Trace, seed_page: tuple[str, Page]) -> None:
    _, page = seed_page
    nav_links = re.search(r'<nav class="timeline".*?</nav>', seed_page[0], flags=re.S)
    assert nav_links is not None
    for step in seed_trace.steps:  # two training steps: both are first or last
        assert f'href="#step-{step.index}"' in nav_links.group(0)
        assert f"step-{step.index}" in page.ids
    assert "train-step-0" in page.ids and "train-step-1" in page.ids


def test_formulas_are_mathml(seed_trace: Trace, seed_page: tuple[str, Page]) -> None:
    html, page = seed_page
    blocks = [a for t, a in page.attrs if t == "math" and a.get("display") == "block"]
    assert len(blocks) == len(seed_trace.steps)
    for math in re.findall(r"<math.*?</math>", html, flags=re.S):
        xml.dom.minidom.parseString(math)
    assert page.tags["mfrac"] > 0 and page.tags["msub"] > 0 and page.tags["annotation"] > 0


def test_matrices_are_tables_with_their_shape(seed_page: tuple[str, Page]) -> None:
    html, page = seed_page
    assert len(page.with_class("table", "matrix")) > 20
    assert '<span class="shape">3×2</span>' in html


def test_long_training_writes_out_first_and_last_only(long_trace: Trace) -> None:
    page = Page(render(long_trace))
    sections = [a["id"] for a in page.with_class("section", "train-step")]
    assert sections == ["train-step-0", "train-step-11"]
    assert Page(render(long_trace, detail="5")).with_class("section", "train-step")[0]["id"] == "train-step-5"


def test_code_mode_findings_are_highlighted(code_trace: Trace, code_page: tuple[str, Page]) -> None:
    html, page = code_page
    asides = page.with_class("aside", "finding")
    assert len(asides) == 4  # three at steps, the exception with no step under Findings
    assert len(page.with_class("aside", "severity-error")) == 3
    assert len(page.with_class("aside", "severity-warning")) == 1
    assert [a["id"] for a in page.with_class("article", "has-findings")] == ["step-3", "step-4"]
    text = "".join(page.text)
    assert "Fix: pass A1, the activation." in text and "Fix: do the thing." in text
    flagged = [a["id"] for a in page.with_class("span", "flagged")]
    assert flagged == ["L9", "L12", "L13"]
    assert 'href="#L12"' in html and 'href="#L13"' in html
    assert "Largest difference from the true value: 0.04417" in text


def test_nothing_from_the_trace_is_markup(code_page: tuple[str, Page]) -> None:
    html, page = code_page
    assert page.tags["script"] == 0 and page.tags["img"] == 0
    assert not any(name.startswith("on") for _, attrs in page.attrs for name in attrs)
    text = "".join(page.text)
    assert "<script>alert('x')</script>" in text  # shown as text
    assert "<img src=x onerror=alert(1)>" in text
    assert "My <i>homework</i> | net" in text
    assert "&lt;script&gt;" in html


def test_nonfinite_numbers_stand_out(code_page: tuple[str, Page]) -> None:
    _, page = code_page
    assert len(page.with_class("td", "nonfinite")) >= 3


def test_code_formulas_and_expression_targets_are_code(code_page: tuple[str, Page]) -> None:
    html, _ = code_page
    step2 = html.split('id="step-2"')[1].split('id="step-3"')[0]
    assert '<div class="formula code"><code><bdi>L = half_sse(A1, Y) if a &gt; 0 {}</bdi></code></div>' in step2
    step1 = html.split('id="step-1"')[1].split('id="step-2"')[0]
    assert "formula" not in step1.split("<p class=\"source\">")[0]  # the formula repeats line 11: shown as source only
    assert '<mtext class="code">Z1_in</mtext>' in step1
    step4 = html.split('id="step-4"')[1].split('id="step-5"')[0]
    assert '<mtext class="code">big&lt;tag&gt;</mtext>' in step4  # an odd target is shown as code, escaped


def test_note_size_follows_the_detail_not_the_training_length(long_trace: Trace) -> None:
    from bptrace.export import html_format, markdown_format

    from .conftest import record

    hundred = record("seed1_relu_sigmoid.toml", 100)
    for module in (markdown_format, html_format):
        short, long = len(module.render(long_trace)), len(module.render(hundred))
        assert long < short * 1.2, module.__name__  # 100 training steps: only the losses table grows
