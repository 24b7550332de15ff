"""Big arrays as an export keeps them by default: the shape, and the entries at the four corners, exactly.

A trace of a learner's MNIST script holds the data matrix (40,000×784) and every per-sample array
(40,000×16, …) at each kept training step: hundreds of megabytes, which grow with the learner's data.
Every view shows a big matrix elided anyway (the TUI's 8×6 entries, Markdown's and HTML's 8×8), so
an export without ``--detail all`` keeps, of each array above ``ELIDE_ABOVE`` entries, its first and
last ``EDGE`` rows and columns. The kept entries are exact; the rest are gone, and readers say so
rather than guess (no element form, no largest difference).

Rows and columns are those of the 2-D view every reader shows: the first axis by the rest flattened;
a vector is one row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

import numpy as np


class NotKept(ValueError):
    """An entry a reader needs is not in the trace (an export kept only the array's corners)."""

    def __init__(self) -> None:
        super().__init__("only the corners of big arrays are in this trace (--detail all keeps all)")


ELIDE_ABOVE = 2**16  # entries: a 256×256 matrix, or a batch of 64 MNIST images, is kept whole
EDGE = 8  # rows and columns kept at each end: at least what any view shows of each corner


@dataclass(frozen=True, eq=False)
class Elided:
    """An array of ``shape`` of which only ``block`` (at ``rows`` × ``cols`` of its 2-D view) was kept."""

    shape: tuple[int, ...]
    rows: tuple[int, ...]
    cols: tuple[int, ...]
    block: np.ndarray  # len(rows) × len(cols), the array's dtype

    @property
    def dtype(self) -> np.dtype:
        return self.block.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def __getitem__(self, index: tuple[int, int]) -> np.generic:
        """An entry of the 2-D view, if it was kept; KeyError if not."""
        i, j = index
        return self.block[self._row[i], self._col[j]]

    @cached_property
    def _row(self) -> dict[int, int]:
        return {r: k for k, r in enumerate(self.rows)}

    @cached_property
    def _col(self) -> dict[int, int]:
        return {c: k for k, c in enumerate(self.cols)}

    def same_as(self, other: object) -> bool:
        """The same array as far as both tell: same shape, same kept places, same kept entries."""
        return (isinstance(other, Elided) and other.shape == self.shape and other.rows == self.rows
                and other.cols == self.cols and np.array_equal(other.block, self.block, equal_nan=True))


Array = np.ndarray | Elided


def same_values(a: Array, b: Array) -> bool:
    """Equal arrays (NaN equal to NaN); an elided one equals only the same elided one."""
    if isinstance(a, Elided):
        return a.same_as(b)
    return not isinstance(b, Elided) and np.array_equal(a, b, equal_nan=True)


def view_shape(shape: tuple[int, ...]) -> tuple[int, int]:
    """The 2-D view's shape: a scalar is 1×1, a vector one row, the rest rows by the first axis."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return 1, shape[0]
    return shape[0], math.prod(shape[1:])


def grid(value: Array) -> np.ndarray | Elided:
    """``value`` indexable as ``[i, j]`` of its 2-D view, with no copy (an Elided already is)."""
    if isinstance(value, Elided):
        return value
    array = np.asarray(value)
    return array.reshape(view_shape(array.shape))  # not -1: (0, 3, 4) has no -1


def _ends(n: int) -> tuple[int, ...]:
    return tuple(range(n)) if n <= 2 * EDGE else (*range(EDGE), *range(n - EDGE, n))


def elide(value: Array) -> Array:
    """``value`` as a default export keeps it: whole up to ``ELIDE_ABOVE`` entries, else its corners."""
    if isinstance(value, Elided) or np.size(value) <= ELIDE_ABOVE:
        return value
    array = np.asarray(value)
    rows, cols = view_shape(array.shape)
    kept_rows, kept_cols = _ends(rows), _ends(cols)
    block = grid(array)[np.ix_(kept_rows, kept_cols)]  # a fancy index: a copy, so the big array can go
    return Elided(tuple(array.shape), kept_rows, kept_cols, block)


def valid_places(places: object, extent: int) -> bool:
    """Kept rows or columns as a reader must find them: increasing indices within the axis, the first
    and last ``EDGE`` among them (what every view shows), so no reader asks for an entry that is not there."""
    return (isinstance(places, list) and all(type(p) is int for p in places)
            and all(0 <= a < b < extent for a, b in pairwise(places))
            and (not places or 0 <= places[0] < extent)
            and set(_ends(extent)) <= set(places))
