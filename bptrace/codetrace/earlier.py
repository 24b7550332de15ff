"""Functions a notebook defined before a ``%%bptrace`` cell, traced while the cell calls them.

Learners put ``sigmoid`` and ``sigmoid_derivative`` in one cell, or in a module beside the notebook
imported in the first cell, and the training loop in another. Run untraced, such a helper is a
black box: its result reaches the analysis as data, with nothing to say which activation it
computed. So, for the run, each plain top-level function of the namespace whose cell the kernel
still has (its text in ``linecache``, as IPython keeps it), and of each module of the notebook's
folder imported before, gets its own ``def`` rewritten like the traced cell's code, under the
cell's name (``In [2]``) or the module's file name, with their line numbers, in place
(``__code__``); ``give_back`` restores the original code afterwards.

Only plain functions: no closures (free variables), no decorators, and the name must hold the
function its ``def`` made. And only when the text still compiles to the code that runs (a module
edited since it was imported would otherwise be traced as it reads now, not as it runs). Anything
else runs untraced, as it did before.
"""

from __future__ import annotations

import ast
import inspect
import linecache
from pathlib import Path
from types import CodeType, FunctionType, ModuleType

from bptrace.codetrace.rewrite import Site, rewrite

Borrowed = list[tuple[FunctionType, CodeType]]


def _def_code(tree: ast.Module, label: str, name: str) -> CodeType | None:
    module = compile(tree, label, "exec", dont_inherit=True)
    return next((c for c in module.co_consts if isinstance(c, CodeType) and c.co_name == name), None)


def _as_written(lines: list[str], filename: str) -> dict[tuple[str, int], CodeType]:
    """The top-level functions the text compiles to, by (name, first line)."""
    try:
        module = compile("".join(lines), filename, "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return {}
    return {(c.co_name, c.co_firstlineno): c for c in module.co_consts if isinstance(c, CodeType)}


def _lend_one(function: FunctionType, name: str, label: str, lines: list[str], written: dict[tuple[str, int], CodeType],
              sites: list[Site]) -> bool:
    code = function.__code__
    if code.co_freevars or code.co_name != name or not 0 < code.co_firstlineno <= len(lines):
        return False
    start = code.co_firstlineno - 1
    try:
        tree = ast.parse("".join(inspect.getblock(lines[start:])))
    except (SyntaxError, IndentationError, inspect.EndOfBlock):
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].decorator_list:
        return False
    ast.increment_lineno(tree, start)
    # Only if the text is what runs (not edited since): the def compiled as Python compiles a file (the
    # whole text: `np.exp` of a module imported there compiles otherwise) or as IPython compiles a cell
    # (each statement alone) must be the running code.
    alone = _def_code(tree, code.co_filename, name)
    if not any(plain is not None and plain.co_code == code.co_code and plain.co_consts == code.co_consts
               for plain in (written.get((name, code.co_firstlineno)), alone)):
        return False
    new = _def_code(rewrite(tree, label, sites), label, name)
    if new is None or new.co_freevars:
        return False
    function.__code__ = new
    return True


def lend(namespace: dict[str, object], cells: dict[str, str], modules: dict[str, ModuleType],
         sites: list[Site], hooks: dict[str, object]) -> tuple[Borrowed, set[str]]:
    """Trace the namespace's functions defined in the cells named in ``cells`` (file -> label), and the
    functions of ``modules`` (the folder's, imported before), whose globals get the ``hooks`` (restore.py
    takes them out). Returns what to give back, and the labels now holding traced code."""
    borrowed: Borrowed = []
    labels: set[str] = set()
    places: list[tuple[dict[str, object], str | None]] = [(namespace, None)]
    places += [(vars(m), Path(m.__file__).name) for m in modules.values() if m.__file__]
    written: dict[str, dict[tuple[str, int], CodeType]] = {}
    for space, file_label in places:
        module = space.get("__name__")
        for name, value in list(space.items()):
            if type(value) is not FunctionType or value.__module__ != module:
                continue
            filename = value.__code__.co_filename
            label = file_label if file_label is not None else cells.get(filename)
            lines = linecache.getlines(filename)
            if label is None or not lines:
                continue
            original = value.__code__
            if filename not in written:
                written[filename] = _as_written(lines, filename)
            if _lend_one(value, name, label, lines, written[filename], sites):
                space.update(hooks)
                # findings quote the cell's (the module's) lines under its label
                linecache.cache[label] = (sum(map(len, lines)), None, lines, label)
                borrowed.append((value, original))
                labels.add(label)
    return borrowed, labels


def give_back(borrowed: Borrowed) -> None:
    for function, code in borrowed:
        function.__code__ = code
