"""Command palette entries: open a bundled scenario, export, go to a step, help."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.command import DiscoveryHit, Hit, Hits, Provider

from bptrace.errors import BadInput

Command = tuple[str, Callable[[], object], str]


class BptraceCommands(Provider):
    """Scenarios are read once per palette opening (small TOML files, no recording)."""

    async def startup(self) -> None:
        from bptrace.bundled import bundled
        from bptrace.scenario import load_scenario

        self.scenarios: list[tuple[Path, str, str]] = []
        for path in bundled():
            try:
                scenario = load_scenario(path)
            except BadInput:
                continue  # the picker shows why; the palette only offers what opens
            self.scenarios.append((path, scenario.name, scenario.description.split(".")[0]))

    def commands(self) -> list[Command]:
        from bptrace.tui.debugger import DebuggerScreen

        app = self.app
        found: list[Command] = [
            (f"Open scenario: {name}", partial(app.open_scenario, path), help)  # type: ignore[attr-defined]
            for path, name, help in self.scenarios
        ]
        found.append(("Scenario picker", app.show_picker, "all bundled scenarios with their descriptions"))  # type: ignore[attr-defined]
        screen = self.screen
        if isinstance(screen, DebuggerScreen):
            for label, suffix in (("JSON", ".json"), ("Markdown", ".md"), ("HTML", ".html")):
                found.append((f"Export trace as {label}", partial(screen.action_export, suffix),
                              f"write the whole trace as {label}"))
            found.append(("Go to step", screen.action_goto, "jump to a step or a training step"))
        found.append(("Help: keys", app.action_help, "every key bptrace knows"))  # type: ignore[attr-defined]
        return found

    async def discover(self) -> Hits:
        for name, callback, help in self.commands():
            yield DiscoveryHit(name, callback, help=help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help in self.commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help)
