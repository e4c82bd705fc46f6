"""Line marks that both chunking and answer composition read: a list item's start and a Markdown code fence.
Kept apart so that answering a question does not import the chunker."""

from __future__ import annotations

import re

LIST_ITEM = re.compile(r"[ \t]*(?:[-*+•▪‣◦]|\d{1,3}[.)])[ \t]+")
"""The start of a list item's line: a bullet or a number ("- ", "2. ")."""
FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[^\n]*$", re.M)
"""A Markdown code fence line (```` ```bash ````, ``~~~``)."""
