"""Python lists used as data: ``X = [[0, 1], [1, 0]]`` met by ``np.dot(W1, X)`` or ``A2 - Y``.

NumPy converts such a list into an array inside the op, where the recorder cannot see it, so the op's
operand would be a constant and the targets ``Y`` would be invisible. Where NumPy is about to convert a
list anyway, the recorder converts it first, with ``np.asarray`` as NumPy does, records the array as
a leaf (data, named like the list) and hands that same array to the op: the numbers are those of the
plain run and the list is converted once, not twice. The same list met again with the same contents is
the same leaf; changed in between, it is a new one.

Only lists in a data position are converted: a NumPy op's operands, never an axis, a shape or an index
(``np.reshape(A, [3, 4])``, ``np.transpose(A, [1, 0])``), and not ``np.array(X)``, which makes the
array itself. A list holding arrays (``[A1, ones]``) is left as it is: it is not data, and its arrays'
own history would be lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

# NumPy functions whose positional operands are all data.
_ALL_DATA = frozenset({"dot", "matmul", "outer", "inner", "vdot", "kron"})
# NumPy functions whose first positional argument is data (the rest are axes, shapes, bounds …).
_FIRST_DATA = frozenset({"transpose", "sum", "mean", "clip", "ravel", "squeeze", "reshape", "expand_dims",
                         "atleast_2d"})
# Array methods whose first positional argument is data: W1.dot(X).
_METHOD_DATA = frozenset({"dot"})


def data_positions(func: Any, args: tuple[Any, ...]) -> range:
    """The positions of ``args`` a NumPy callable reads as array data; empty for anything else."""
    if isinstance(func, np.ufunc):
        return range(min(func.nin, len(args)))
    name = getattr(func, "__name__", "")
    if isinstance(getattr(func, "__self__", None), np.ndarray):
        return range(1 if name in _METHOD_DATA and args else 0)
    if not (getattr(func, "__module__", None) or "").startswith("numpy"):
        return range(0)
    if name in _ALL_DATA:
        return range(len(args))
    return range(1 if name in _FIRST_DATA and args else 0)


def binary_converts(a: Any, b: Any) -> bool:
    """An operator between an array and a list that NumPy evaluates (converting the list); ``[1, 2] * 2``
    and ``[1] + [2]`` stay Python's. A list on the left defers to an array of at least one dimension."""
    return (isinstance(a, np.ndarray) and isinstance(b, list)) or \
        (isinstance(a, list) and isinstance(b, np.ndarray) and b.ndim > 0)


class ListData:
    """Leaves made from lists, for one recorder: ``leaf(lst)`` gives the array to use in the list's place."""

    def __init__(self, add_leaf: Callable[[np.ndarray, str | None, int], int], values: Callable[[int], Any]) -> None:
        self.add_leaf = add_leaf  # (array, the list's name or None, its function depth) -> node index
        self.values = values  # node index -> value
        # id(list) -> (the list, its name, depth): holding the list keeps its id unique. Only the list a name
        # holds now is kept (a per-sample loop rebinding `inputs = [...]` must not keep every sample alive).
        self.names: dict[int, tuple[list[Any], str, int]] = {}
        self.named: dict[str, int] = {}  # name -> id of the list it holds
        # id(list) -> its latest leaf. The list is not held: a new list that reuses the id is checked by content,
        # and the same numbers are the same data.
        self.leaves: dict[int, int] = {}

    def bound(self, value: Any, name: str, depth: int) -> None:
        """``X = [[…]]``: remember the name, so that the leaf made from it reads ``X``."""
        if not isinstance(value, list):
            return
        previous = self.named.get(name)
        if previous is not None and previous != id(value) and self.names.get(previous, (None, name))[1] == name:
            del self.names[previous]
        self.names[id(value)] = (value, name, depth)
        self.named[name] = id(value)

    def leaf(self, lst: list[Any]) -> np.ndarray | None:
        """The array standing for ``lst`` (a recorded leaf), or None when the list is not plain data."""
        if not lst or any(isinstance(item, np.ndarray | np.generic) for item in lst):
            return None
        try:
            array = np.asarray(lst)
        except ValueError:  # ragged: NumPy would raise as well, let it do so with the list
            return None
        if array.dtype.kind not in "biufc":
            return None
        known = self.leaves.get(id(lst))
        if known is not None:
            previous = self.values(known)
            if previous.dtype == array.dtype and np.array_equal(previous, array, equal_nan=array.dtype.kind in "fc"):
                return previous  # the same data: the same leaf
        named = self.names.get(id(lst))
        name, depth = (named[1], named[2]) if named is not None and named[0] is lst else (None, 0)
        index = self.add_leaf(array, name, depth)
        self.leaves[id(lst)] = index
        return array

    def data(self, value: Any) -> Any:
        """``value``, or the array standing for it when it is a list of plain data."""
        if not isinstance(value, list):
            return value
        array = self.leaf(value)
        return value if array is None else array

    def clear(self) -> None:
        self.leaves.clear()
