"""Functions a notebook defined in earlier cells, traced while a ``%%bptrace`` cell calls them.

Learners put ``sigmoid`` and ``sigmoid_derivative`` in one cell and the training loop in another.
Run untraced, such a helper is a black box: its result reaches the analysis as data, with nothing
to say which activation it computed. So, for the run, each plain top-level function of the
namespace whose cell the kernel still has (its text in ``linecache``, as IPython keeps it) gets its
own ``def`` rewritten like the traced cell's code, under the cell's name (``In [2]``) with the cell's
line numbers, in place (``__code__``), and its original code back afterwards (``give_back``).

Only plain functions: no closures (free variables), and the name must hold the function its
``def`` made (a decorator's wrapper is left alone). Anything else runs untraced, as before.
"""

from __future__ import annotations

import ast
import inspect
import linecache
from types import CodeType, FunctionType

from bptrace.codetrace.rewrite import Site, rewrite

Borrowed = list[tuple[FunctionType, CodeType]]


def _def_code(tree: ast.Module, label: str, sites: list[Site], name: str) -> CodeType | None:
    module = compile(rewrite(tree, label, sites), label, "exec")
    return next((c for c in module.co_consts if isinstance(c, CodeType) and c.co_name == name), None)


def lend(namespace: dict[str, object], cells: dict[str, str], sites: list[Site]) -> tuple[Borrowed, set[str]]:
    """Trace the namespace's functions defined in the cells named in ``cells`` (file -> label).
    Returns what to give back, and the labels used (the cells that hold traced code)."""
    borrowed: Borrowed = []
    labels: set[str] = set()
    module = namespace.get("__name__")
    for name, value in list(namespace.items()):
        if type(value) is not FunctionType or value.__module__ != module or value.__code__.co_freevars:
            continue
        code = value.__code__
        label = cells.get(code.co_filename)
        lines = linecache.getlines(code.co_filename)
        if label is None or not lines or code.co_name != name or code.co_firstlineno > len(lines):
            continue
        start = code.co_firstlineno - 1
        block = inspect.getblock(lines[start:])
        try:
            tree = ast.parse("".join(block))
        except SyntaxError:
            continue
        if len(tree.body) != 1 or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].decorator_list:
            continue
        ast.increment_lineno(tree, start)
        new = _def_code(tree, label, sites, name)
        if new is None or new.co_freevars:
            continue
        linecache.cache[label] = (sum(map(len, lines)), None, lines, label)  # findings quote the cell's line
        value.__code__ = new
        borrowed.append((value, code))
        labels.add(label)
    return borrowed, labels


def give_back(borrowed: Borrowed) -> None:
    for function, code in borrowed:
        function.__code__ = code
