"""The debugger's key bar: the keys Textual's own compact Footer would show, and a click presses one."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from bptrace.trace import Trace
from bptrace.tui.app import BptraceApp
from bptrace.tui.debugger import DebuggerScreen
from bptrace.tui.dialogs import GoToDialog
from bptrace.tui.keybar import KeyBar
from tests.tui.conftest import settle

SIZE = (120, 30)


async def test_the_key_bar_shows_what_the_footer_would(seed: Trace, coded: Trace) -> None:
    for trace in (seed, coded):
        app = BptraceApp(trace)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            bar = app.screen.query_one(KeyBar)
            footer = Footer(compact=True, show_command_palette=False)
            await app.screen.mount(footer)  # Textual's own footer, beside it, as the oracle
            app.screen.refresh_bindings()  # it composes its keys when told the bindings changed
            await settle(pilot)
            expected = [(k.key_display, k.description) for k in footer.query(FooterKey)]
            assert expected, "the footer composed no keys"
            assert [(k.display, k.description) for k in bar.keys()] == expected
            text = str(bar.render())
            assert text == " ".join(f"{display} {description}" for display, description in expected)


async def test_clicking_a_key_presses_it(seed: Trace) -> None:
    app = BptraceApp(seed)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        keys = {k.description: k for k in app.screen.query_one(KeyBar).keys()}
        assert isinstance(app.screen, DebuggerScreen)
        await pilot.click(KeyBar, offset=(keys["Next"].start + 2, 0))
        await settle(pilot)
        assert isinstance(app.screen, DebuggerScreen) and app.screen.current_step == 1
        await pilot.click(KeyBar, offset=(keys["Next"].end, 0))  # the gap between two keys presses nothing
        await settle(pilot)
        assert app.screen.current_step == 1
        await pilot.click(KeyBar, offset=(keys["Goto"].start, 0))
        await settle(pilot)
        assert isinstance(app.screen, GoToDialog)
