"""The key bar: the screen's shown bindings in one line, as Textual's compact ``Footer`` draws them.

One widget instead of the Footer's one per key: the debugger's first frame waited on the
Footer composing, styling and laying out ten ``FooterKey`` widgets (~20 ms of CPU). Same
colours (the theme's ``$footer-*`` variables), same order and grouping of keys, and a
click on a key presses it, as on the Footer.
"""

from __future__ import annotations

from typing import ClassVar, NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import events
from textual.reactive import var
from textual.screen import Screen
from textual.widget import Widget


class Key(NamedTuple):
    """One key shown, and the cells it takes (``start`` to ``end``) in the bar."""

    key: str
    display: str
    description: str
    enabled: bool
    start: int
    end: int


class KeyBar(Widget, can_focus=False):
    """The keys a learner can press here, docked at the bottom; a click presses one."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description", "keybar--hover"}

    hovered: var[int | None] = var(None)
    """The index of the key under the mouse, if any."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def keys(self) -> list[Key]:
        """As the Footer picks them: shown bindings, one per action (its first key), in binding order."""
        first: dict[str, tuple[str, str, str, bool]] = {}
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.show and binding.action not in first:
                first[binding.action] = (binding.key, self.app.get_key_display(binding), binding.description,
                                         enabled)
        keys, x = [], 0
        for key, display, description, enabled in first.values():
            width = cell_len(display) + (cell_len(description) + 1 if description else 0)
            keys.append(Key(key, display, description, enabled, x, x + width))
            x += width + 1  # the compact Footer's margin-right: 1
        return keys

    def render(self) -> Text:
        base = self.rich_style
        key_style = self.get_component_rich_style("keybar--key", partial=True)
        description_style = self.get_component_rich_style("keybar--description", partial=True)
        hover_style = self.get_component_rich_style("keybar--hover", partial=True)
        text = Text(no_wrap=True, overflow="crop", end="")
        for index, key in enumerate(self.keys()):
            if index:
                text.append(" ", base)  # the compact Footer's margin between keys
            # The key's index rides along as meta: the mouse events below read it back.
            item = (base + hover_style if index == self.hovered else base) + Style.from_meta({"key": index})
            if not key.enabled:
                item += Style(dim=True)
            text.append(key.display, item + key_style)
            if key.description:
                text.append(f" {key.description}", item + description_style)
        return text

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self.hovered = event.style.meta.get("key")

    def on_leave(self) -> None:
        self.hovered = None

    def watch_hovered(self) -> None:
        self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = event.style.meta.get("key")
        keys = self.keys()
        if not isinstance(index, int) or index >= len(keys):
            return
        key = keys[index]
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()
