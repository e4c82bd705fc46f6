"""Plain text formats (.txt, .md, .rst): the text is the file, decoded exactly as `read_text` does.

UTF-8 (with or without a BOM) is read as `Path.read_text(encoding="utf-8")` reads it, so a citation's offsets
index the file's own text. A file that starts with a UTF-16 or UTF-32 byte-order mark is decoded with that
encoding (`read_text(encoding="utf-16")` then gives the same text). A NUL character anywhere, after
decoding, makes a file binary: it is skipped whole, never indexed with NULs in it.
"""

from __future__ import annotations

import codecs
import io
from typing import BinaryIO

from index.formats import Extracted, LoadError

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def text_encoding(raw: bytes) -> str:
    """utf-16 or utf-32 when the bytes start with that byte-order mark, else utf-8."""
    return next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")


def decode_plain_text(raw: bytes) -> str:
    """Decode like `read_text(encoding=...)` with the encoding `text_encoding` finds: strict, universal
    newlines."""
    encoding = text_encoding(raw)
    if encoding == "utf-8" and b"\x00" in raw[:8192]:
        raise LoadError("binary file")
    try:
        text = io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline=None).read()
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise LoadError(f"binary file (it starts like {encoding.upper()} text, but is not)") from None
        raise LoadError(f"not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise LoadError("binary file (it holds NUL characters)")
    return text


def load_text(source: BinaryIO, fmt: str) -> Extracted:
    try:
        raw = source.read()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    return Extracted(decode_plain_text(raw), fmt)
