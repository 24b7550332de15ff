"""Kept copies from a few large blocks instead of one fresh allocation per copy.

Every in-place update (``W -= …``) keeps a copy of the version it replaces. Each such copy of a
784×128 weight is 800 kB, which the C allocator serves with a fresh ``mmap``: 200 page faults per
copy, and on the 784-128-10 benchmark most of code mode's overhead. Copies cut from a block of
``BLOCK`` bytes fault once per huge page instead (NumPy asks the kernel for transparent huge pages
on allocations this large), and the block is touched in order.

A copy lives as long as its block: nothing here frees memory early. That is what kept values want
(they live as long as the trace), and why copies that will be let go soon (past the memory budget,
budget.py) do not come from the pool: ``enabled`` is switched off then.
"""

from __future__ import annotations

import numpy as np

FIRST_BLOCK = 4 << 20  # two huge pages; NumPy asks for huge pages from 4 MiB on
BLOCK = 32 << 20  # blocks double up to this, so a small recording does not reserve much
_ALIGN = 64  # each copy starts on a cache line, as NumPy's own allocations do
_SMALL = 4096  # below a page a copy comes from the allocator's own free lists: no fault to save


class SnapshotPool:
    def __init__(self, block: int = BLOCK) -> None:
        self.block_size = block
        self.next_size = min(FIRST_BLOCK, block)
        self.enabled = True
        self._block: np.ndarray | None = None
        self._used = 0

    def copy(self, array: np.ndarray) -> np.ndarray:
        """A C-contiguous copy of ``array`` (same dtype and shape), exact."""
        size = array.nbytes
        if not self.enabled or size < _SMALL or size > self.next_size // 4 or array.dtype.hasobject:
            return array.copy()
        start = -(-self._used // _ALIGN) * _ALIGN
        if self._block is None or start + size > self._block.nbytes:
            self._block = np.empty(self.next_size, dtype=np.uint8)
            self.next_size = min(2 * self.next_size, self.block_size)
            start = 0
        self._used = start + size
        out = self._block[start : start + size].view(array.dtype).reshape(array.shape)
        np.copyto(out, array, casting="no")
        return out
