"""Untrusted text on a terminal: documents and file names may hold escape sequences that would retitle the
terminal, clear it or reorder what it shows. Every front end that shows such text passes it through
`visible` first.

Each control character becomes exactly one visible stand-in (ESC shows as ␛), so offsets into the text,
such as a citation's span, stay valid. Newlines are kept (callers lay out lines with them) and so are tabs,
which Rich and Textual expand to spaces themselves.
"""

from __future__ import annotations

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
"""Bidirectional marks, embeddings, overrides and isolates: they reorder the text shown around them."""

_STAND_INS: dict[int, int] = {c: 0x2400 + c for c in range(0x20)}  # C0 -> Control Pictures: ␀ … ␟
_STAND_INS[0x7F] = 0x2421  # DEL -> ␡
_STAND_INS.update({c: 0xFFFD for c in range(0x80, 0xA0)})  # C1 (0x9B is a one-byte CSI) -> �
_STAND_INS[0x2028] = 0x2424  # LINE SEPARATOR -> ␤
_STAND_INS[0x2029] = 0x00B6  # PARAGRAPH SEPARATOR -> ¶
_STAND_INS.update({ord(c): 0xFFFD for c in _BIDI})
for _kept in "\n\t":
    del _STAND_INS[ord(_kept)]


def visible(text: str) -> str:
    """`text` with every control character replaced by one visible stand-in; newlines and tabs kept."""
    return text.translate(_STAND_INS)
