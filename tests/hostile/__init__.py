"""Hostile and broken input (issue 13): each defect class and the tests that cover it.

1. Memory bombs (lazy --detail ranges, the product-of-sizes estimate, --steps bounds):
   test_memory_bombs.py, under RLIMIT_AS; test_trace_fuzz.py (a train_step of 10¹⁵).
2. Terminal escapes in run output, the TUI, Markdown and error messages: test_inert_text.py.
3. Markup injection (rich tables, the source pane's title and subtitle): test_inert_text.py.
4. Malformed traces (validated before any reader runs; exit 2 with the key path):
   test_trace_fuzz.py, the reproduced cases and a hypothesis strategy over run, export, replay.
5. TOML: a UTF-8 byte-order mark, deep nesting: test_toml_edges.py.
6. Writing files (symlinks, modes, devices, FIFOs, a full disk): test_writing_files.py.
7. The learner's script ending abnormally (os._exit, KeyboardInterrupt, Ctrl-C): test_abnormal_end.py.
"""
