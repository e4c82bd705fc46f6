"""Plain text formats (.txt, .md, .rst): the text is the file, decoded exactly as `read_text` does."""

from __future__ import annotations

import io
from pathlib import Path

from index.formats import Extracted, LoadError


def decode_plain_text(raw: bytes) -> str:
    """Decode like `read_text(encoding="utf-8")`: strict UTF-8 and universal newlines."""
    if b"\x00" in raw[:8192]:
        raise LoadError("binary file")
    try:
        return io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", newline=None).read()
    except UnicodeDecodeError as exc:
        raise LoadError(f"not UTF-8 text (byte {exc.start})") from None


def load_text(path: Path, fmt: str) -> Extracted:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    return Extracted(decode_plain_text(raw), fmt)
