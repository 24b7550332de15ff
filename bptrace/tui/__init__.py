"""The Textual TUI. Imported only by ``bptrace.cli`` when a TUI is asked for."""
