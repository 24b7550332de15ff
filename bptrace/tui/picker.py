"""The scenario picker: shown when bptrace starts with no argument."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from bptrace.errors import BadInput


def scenario_options() -> list[Option | None]:
    """One option per bundled scenario: its name, description and file; broken files say why. Then the
    gallery, one line per finding's learner program, as `bptrace scenarios` lists them."""
    from bptrace.bundled import SCENARIO_DIR, bundled, gallery
    from bptrace.scenario import load_scenario

    options: list[Option | None] = []
    for path in bundled():
        if options:
            options.append(None)  # a separator line between scenarios
        try:
            scenario = load_scenario(path)
        except BadInput as error:
            options.append(Option(Content.styled(f"{path.name}: {error}", "$error"), id=str(path), disabled=True))
            continue
        prompt = Content.assemble(
            (scenario.name, "bold"), (f"   {path.name}\n", "$text-muted"), (scenario.description, "$text-muted"),
        )
        options.append(Option(prompt, id=str(path)))
    programs = gallery()
    if programs:
        options.append(None)
        options.append(Option(Content.styled("Gallery: a short learner program for each finding (code mode)",
                                             "bold $accent"), disabled=True))
    for path in programs:
        name = path.relative_to(SCENARIO_DIR).with_suffix("").as_posix()
        try:
            title = load_scenario(path).name.removeprefix("Gallery: ")
        except BadInput as error:
            options.append(Option(Content.styled(f"{name}: {error}", "$error"), id=str(path), disabled=True))
            continue
        options.append(Option(Content.assemble(title, (f"   {name}", "$text-muted")), id=str(path)))
    return options


class PickerScreen(Screen[None]):
    """Bundled scenarios with their descriptions; enter records the chosen one."""

    def compose(self) -> ComposeResult:
        yield Static(Content.assemble(("bptrace ", "bold $accent"), "— choose a scenario to step through"), id="status")
        yield OptionList(*scenario_options(), id="scenarios")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is None:
            return
        self.query_one(OptionList).loading = True
        self.app.open_scenario(Path(event.option.id))  # type: ignore[attr-defined]

    def stop_loading(self) -> None:
        self.query_one(OptionList).loading = False
