"""Classes 2 and 3: text from input is shown, never obeyed.

Control characters (an OSC that retitles the terminal, OSC-8 links) are shown as ``\\x1b`` in
``run``, the TUI and Markdown; rich and Textual markup in names, formulas and file names is
shown literally (before the fix ``A1[b:]`` lost its brackets and ``x[/y]`` crashed).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bptrace.export.json_format import dumps
from bptrace.trace import Formula, Trace
from tests.hostile.conftest import bptrace
from tests.tui.conftest import code_trace, settle

TITLE = "\x1b]0;pwned\x07"
LINK = "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\"
MARKUP = "dZ1 = dA1[i] * (1 - A1[b:] ** 2)  # x[/y] [link=https://evil.example]click[/link]"
CONTROLS = ("\x1b", "\x07", "\x9b")


def evil_trace() -> Trace:
    """A real code-mode recording whose strings carry escapes and markup."""
    trace = code_trace()
    first = trace.steps[0]
    steps = (replace(first, formula=Formula(f"{MARKUP} {LINK}", "x")), *trace.steps[1:])
    findings = tuple(replace(f, message=f"{f.message} {MARKUP} {TITLE}") for f in trace.findings)
    source = trace.scenario.source_text or ""
    scenario = replace(trace.scenario, name=f"Evil {TITLE}\x9b2J {MARKUP}", source_file="[draft]impl.py",
                       source_text=f"{source}\n{MARKUP} {LINK}\n")
    return replace(trace, scenario=scenario, steps=steps, findings=findings)


@pytest.fixture
def evil_json(tmp_path: Path) -> Path:
    path = tmp_path / "evil.json"
    path.write_text(dumps(evil_trace()), encoding="utf-8")
    return path


def test_run_shows_escapes_and_markup_literally(evil_json: Path) -> None:
    # --table: step 0's formula is in the full step table, which run shows only when asked.
    result = bptrace("run", evil_json.name, "--table", cwd=evil_json.parent, COLUMNS="400")
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not any(c in result.stdout for c in CONTROLS), repr(result.stdout[:500])
    assert "Evil \\x1b]0;pwned\\x07\\x9b2J" in result.stdout
    assert MARKUP in result.stdout  # the formula, and again in each finding's message
    assert "link\\x1b]8;;\\x1b\\" in result.stdout


def test_markdown_escapes_controls(evil_json: Path) -> None:
    result = bptrace("export", evil_json.name, "-o", "notes.md", "--detail", "all", cwd=evil_json.parent)
    assert result.returncode == 1, result.stderr[-2000:]
    note = (evil_json.parent / "notes.md").read_text(encoding="utf-8")
    assert not any(c in note for c in CONTROLS)
    assert "# Evil \\x1b\\]0;pwned\\x07\\x9b2J" in note  # shown as \x1b]0;pwned\x07 (Markdown escapes the ])


def test_json_keeps_the_original_strings(evil_json: Path) -> None:
    result = bptrace("export", evil_json.name, "-o", "again.json", cwd=evil_json.parent)
    assert result.returncode == 1
    again = json.loads((evil_json.parent / "again.json").read_text(encoding="utf-8"))
    assert TITLE in again["scenario"]["name"]


def test_an_error_message_quoting_input_escapes_it(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('format = 1\n[network]\nlayout = "\\u001b]0;pwned\\u0007"\n')
    result = bptrace("run", "bad.toml", cwd=tmp_path)
    assert result.returncode == 2
    assert not any(c in result.stderr for c in CONTROLS)
    assert "\\x1b]0;pwned\\x07" in result.stderr


async def test_the_tui_shows_escapes_and_markup_literally() -> None:
    from bptrace.tui.app import BptraceApp

    app = BptraceApp(evil_trace())
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("f")  # the first finding: its message is on screen
        await settle(pilot)
        screen = app.export_screenshot()
    assert not any(c in screen for c in CONTROLS)
    assert "\\x1b]0;pwned\\x07" in screen.replace("&#160;", " ")
    assert "[draft]impl.py" in screen


@pytest.mark.parametrize("file_name", ["[b]bold.py", "[$nothing]x.py", "[@click=app.quit]x.py"])
async def test_the_source_pane_title_is_the_file_name_not_markup(file_name: str) -> None:
    from bptrace.tui.app import BptraceApp

    trace = code_trace()
    app = BptraceApp(replace(trace, scenario=replace(trace.scenario, source_file=file_name)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.export_screenshot()
    assert file_name in screen


async def test_the_source_pane_subtitle_with_a_bad_tag_does_not_crash() -> None:
    from bptrace.tui.app import BptraceApp

    trace = code_trace()  # every step "ran in" another file, whose name holds a closing tag
    steps = tuple(replace(s, source=replace(s.source, file="helpers[/y].py")) if s.source else s for s in trace.steps)
    app = BptraceApp(replace(trace, steps=steps))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        screen = app.export_screenshot().replace("&#160;", " ")
    assert "this step ran in helpers[/y].py:" in screen
