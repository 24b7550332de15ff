"""The findings of the current step: what is wrong, why (the numbers), and how to fix it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from bptrace.trace import Finding
from bptrace.tui.model import MARKERS

SEVERITY_STYLE = {"error": "bold $error", "warning": "bold $warning", "info": "bold $primary"}


def finding_content(finding: Finding) -> Content:
    from bptrace.pitfalls import CATALOGUE  # only when a finding is shown (a replayed trace may have none)

    pitfall = CATALOGUE.get(finding.id)
    title = pitfall.title if pitfall else ""  # an id the catalogue does not describe yet speaks for itself
    where = f" · {finding.file}:{finding.line}" if finding.file and finding.line else ""
    parts: list[Content] = [
        Content.assemble(
            (f"{MARKERS.get(finding.severity, '•')} {finding.severity}", SEVERITY_STYLE.get(finding.severity, "bold")),
            f" {finding.id}", (f" — {title}" if title else "", "bold"), (where, "$text-muted"),
        )
    ]
    if finding.message:
        parts.append(Content(f"  {finding.message}"))
    explanation = finding.explanation or (pitfall.explanation if pitfall else None)
    fix = finding.fix or (pitfall.fix if pitfall else None)  # the finding's own advice, else the catalogue's
    if explanation:
        parts.append(Content.assemble(("  Why: ", "bold"), explanation))
    if fix:
        parts.append(Content.assemble(("  Fix: ", "bold $success"), fix))
    return Content("\n").join(parts)


def _change_style(line: str, bad: bool) -> str:
    if line.startswith("✓"):
        return "bold $success"
    if line.startswith(("✗", "⚠")):
        return "bold $error" if bad or line.startswith("✗") else "bold $warning"
    return "$text-muted"


class FindingsPane(VerticalScroll):
    """The current step's findings; empty steps get one quiet line that says where the next finding is.

    A long finding scrolls within the pane (mouse, or ↑/↓ once tab has focused it), so the
    step's own numbers above keep their room. The text itself is the Static ``#findings``.
    """

    shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="changes", markup=False)
        yield Static(id="findings", markup=False)

    def show_changes(self, lines: list[str], *, bad: bool) -> None:
        """Watch mode: what changed since the last run (✓ gone, ✗ new), or why the last save gave no trace.

        Plain text: a syntax error quotes the learner's file, and ``[b]`` in it is no markup."""
        changes = self.query_one("#changes", Static)
        changes.display = bool(lines)
        changes.set_class(bad, "-bad")
        styled = [Content.styled(line, _change_style(line, bad)) for line in lines]
        changes.update(Content("\n").join(styled))

    def show(self, findings: list[Finding], next_finding: int | None, totals: tuple[int, int]) -> None:
        if (key := (tuple(findings), next_finding, totals)) == self.shown:
            return  # most steps have none: skip the relayout an update costs
        self.shown = key
        self.set_class(bool(findings), "-has-findings")
        text = self.query_one("#findings", Static)
        self.scroll_home(animate=False)
        if findings:
            text.update(Content("\n").join(finding_content(f) for f in findings))
            return
        errors, warnings = totals
        ahead = f" · next: step {next_finding} (f)" if next_finding is not None else ""
        text.update(Content.styled(f"No findings here · trace: {errors} ✗ {warnings} ⚠{ahead}", "$text-muted"))
