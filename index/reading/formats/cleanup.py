"""Text repairs shared by the extracting loaders: ligatures, invisible and control characters, white space.

Extracted text is what gets quoted, so it must read like the document and contain nothing that could
act on a terminal. Applied before offsets are taken, so every offset indexes the cleaned text.
"""

from __future__ import annotations

import re

LIGATURES = {
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st",
}
_DROP = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, *range(0x80, 0xA0), 0xAD, 0xFEFF, 0xFFFE, 0xFFFF,
     0x200B, 0x200C, 0x200D, 0x2060]
)
"""Control characters (C0 but tab/newline/CR, DEL, C1), soft hyphens, zero-width marks, BOMs, non-characters."""
_TRANSLATE = str.maketrans({**LIGATURES, **{chr(c): None for c in _DROP}, "\u00a0": " ", "\u2028": "\n",
                            "\u2029": "\n"})


def clean(text: str) -> str:
    """Ligatures spelled out; control, invisible and non-characters removed; CR LF and CR made LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATE)


_SPACES = re.compile(r"[ \t\f\v]+")
_BLANKS = re.compile(r" *\n[ \n]*")


def squeeze(text: str) -> str:
    """Runs of spaces to one; at most one blank line between paragraphs; no spaces at line ends."""
    text = _SPACES.sub(" ", text)
    return _BLANKS.sub(lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", text).strip()
