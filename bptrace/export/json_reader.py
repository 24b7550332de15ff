"""Read a trace JSON file without holding it whole: big arrays go from the file straight to bytes.

A version 2 trace is mostly base64 (``{"dtype", "shape", "base64"}`` arrays). ``json.loads`` of
the whole file would hold the file, its text, every base64 string and the decoded arrays at once
(about 4× the file). Here the file is memory-mapped and scanned once, string by string: the value
of each ``"base64"`` key is decoded as it is met (binascii, 4 MB at a time) and its text is replaced, in
a copy of the rest of the document, by a placeholder that names it. That copy is small; the stdlib
``json`` parses it, and the placeholders of array objects come back as the decoded bytes. Pages
already read are released as the scan goes, so peak memory is the decoded arrays plus the small
document, whatever the file's size.

A placeholder carries a random nonce per read, so no string in a file can pose as one. A
``"base64"`` value that is not valid base64, or that sits in some other object (a step's meta), is
given back as the string the file holds, as ``json.loads`` would have: the readers judge it.
"""

from __future__ import annotations

import binascii
import json
import mmap
import re
import secrets
from pathlib import Path
from typing import Any

_COLON = re.compile(rb'[ \t\r\n]*:[ \t\r\n]*"')  # after a key: the colon and a string value's opening quote
_KEY = b'"base64"'
_PACKED_KEYS = ({"dtype", "shape", "base64"}, {"dtype", "shape", "kept_rows", "kept_cols", "base64"})
_BOM = b"\xef\xbb\xbf"
_PIECE = 1 << 22  # characters of base64 decoded at once: a multiple of 4, so pieces decode alone


def _string_end(buffer: bytes | mmap.mmap, start: int) -> int:
    """The closing quote of the JSON string whose text starts at ``start``, or -1.

    Quote by quote, counting the backslashes before each: no regular expression, whose backtracking
    state grows with every escape (20 MB of escapes took 1.2 GB), and time linear in the text.
    """
    at = start
    while (quote := buffer.find(b'"', at)) >= 0:
        before = quote
        while before > start and buffer[before - 1] == 0x5C:  # a backslash
            before -= 1
        if (quote - before) % 2 == 0:
            return quote
        at = quote + 1
    return -1


class _Scan:
    """One pass over ``buffer``: the document with placeholders, and each base64 value decoded."""

    def __init__(self, buffer: bytes | mmap.mmap) -> None:
        self.buffer = buffer
        self.nonce = secrets.token_hex(8)
        self.decoded: list[bytearray | None] = []  # None: not valid base64 (judged by the readers)
        self.spans: list[tuple[int, int]] = []  # each value's string token, quotes included
        self.released = 0

    def document(self, start: int) -> bytes:
        buffer, pieces, copied, at = self.buffer, [], start, start
        while (quote := buffer.find(b'"', at)) >= 0:
            end = _string_end(buffer, quote + 1)
            if end < 0:
                break  # an unterminated string: json reports it
            at = end + 1
            if at - self.released >= 1 << 24:  # what the scan has read, in steps of 16 MB
                self._release(self.released, at)
                self.released = at
            if at - quote != len(_KEY) or buffer[quote:at] != _KEY:
                continue
            value = _COLON.match(buffer, at)
            if value is None:
                continue
            opening = value.end() - 1
            close = self._closing(opening + 1)
            if close < 0:  # escapes (or no end): the general way
                close, raw = _string_end(buffer, opening + 1), None
                if close < 0:
                    break
            else:
                raw = self._decode(opening + 1, close)
            pieces.append(buffer[copied:opening])
            pieces.append(b'"%s%d"' % (self.nonce.encode(), len(self.spans)))
            self.spans.append((opening, close + 1))
            self.decoded.append(raw)
            copied = at = close + 1
        pieces.append(buffer[copied:])
        return b"".join(pieces)

    def _closing(self, start: int) -> int:
        """The closing quote of a string with no escapes from ``start`` on, or -1; read a piece at a time."""
        buffer = self.buffer
        for at in range(start, len(buffer), _PIECE):
            end = min(at + _PIECE, len(buffer))
            quote = buffer.find(b'"', at, end)
            if buffer.find(b"\\", at, end if quote < 0 else quote) >= 0:
                return -1
            if quote >= 0:
                return quote
            self._release(at, end)
        return -1

    def _decode(self, start: int, end: int) -> bytearray | None:
        """Base64 text at ``start:end`` decoded a piece at a time, each piece's pages released after it."""
        length = end - start
        if length % 4:
            return None
        padding = (self.buffer[end - 2:end].count(b"=") if length else 0)
        out = bytearray(length // 4 * 3 - padding)
        written = 0
        for at in range(start, end, _PIECE):
            with memoryview(self.buffer)[at:min(at + _PIECE, end)] as text:  # no copy of the text
                try:
                    piece = binascii.a2b_base64(text, strict_mode=True)
                except (binascii.Error, ValueError):
                    return None
            if written + len(piece) > len(out):
                return None
            out[written:written + len(piece)] = piece
            written += len(piece)
            self._release(at, at + _PIECE)
        return out if written == len(out) else None

    def _release(self, start: int, end: int) -> None:
        """Let go of the mapped pages within ``start:end`` (they stay in the page cache, not in this process)."""
        if not isinstance(self.buffer, mmap.mmap) or not hasattr(mmap, "MADV_DONTNEED"):
            return
        page = mmap.PAGESIZE
        first, last = -(-start // page) * page, min(end, len(self.buffer)) // page * page
        if last > first:
            self.buffer.madvise(mmap.MADV_DONTNEED, first, last - first)

    def hook(self, obj: dict[str, Any]) -> dict[str, Any]:
        """``json``'s object hook: an array object's placeholder becomes its bytes; any other, its text."""
        ref = obj.get("base64")
        if type(ref) is str and ref.startswith(self.nonce):
            index = int(ref[len(self.nonce):])
            raw = self.decoded[index]
            if raw is not None and obj.keys() in _PACKED_KEYS:
                obj["base64"] = raw
            else:
                start, end = self.spans[index]
                obj["base64"] = json.loads(bytes(self.buffer[start:end]).decode("utf-8"))
        return obj


def read_document(path: Path) -> Any:
    """The JSON document in ``path``, array objects' ``"base64"`` as decoded bytes.

    Raises what ``json.loads`` raises (``JSONDecodeError``, ``UnicodeDecodeError``, ``RecursionError``)
    and ``OSError``; line numbers in errors are the file's (a placeholder spans no line break).
    """
    with path.open("rb") as file:
        try:
            buffer: bytes | mmap.mmap = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # empty, or not a regular file (a pipe: `replay <(…)`): read it
            buffer = file.read()
        try:
            return _parse(buffer)
        finally:
            if isinstance(buffer, mmap.mmap):
                buffer.close()


def _parse(buffer: bytes | mmap.mmap) -> Any:
    scan = _Scan(buffer)
    start = len(_BOM) if buffer[:len(_BOM)] == _BOM else 0
    text = scan.document(start).decode("utf-8")
    return json.loads(text, object_hook=scan.hook)
