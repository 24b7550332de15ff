"""Keep freed memory for reuse instead of handing it back to the kernel (glibc only).

Code mode keeps a copy of every parameter before each in-place update, and its analysis makes many
short-lived arrays the size of a weight matrix (a 784×128 float64 is 800 kB). By default glibc
serves each with a fresh ``mmap`` and unmaps it when freed, so every one of them costs a page fault
per 4 kB page it touches: on the 784-128-10 benchmark about 47,000 faults per run. Raising the mmap
threshold and the trim threshold lets such arrays come from the heap and reuse its pages: about 500.

Measured against the alternative, a pooled arena of large blocks for the kept copies: NumPy asks
for transparent huge pages on blocks that large, and the kernel's compaction and zeroing of huge
pages made recording ~20 ms slower per run than plain copies from this heap, so there is no pool.

Arrays above the threshold (the learner's data) still get their own mapping and go back to the
kernel when freed. This is process-wide and stays set (glibc has no way back to its adaptive
threshold); bptrace's process only runs bptrace and the learner's script. Elsewhere (macOS, musl)
it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's largest allowed on 64-bit
TRIM_THRESHOLD = 128 << 20

_done = False


def keep_freed_pages() -> bool:
    """Set the thresholds once; True when the C library took them."""
    global _done
    if _done or not sys.platform.startswith("linux"):
        return _done
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    _done = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    return _done
