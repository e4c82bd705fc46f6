"""`qa.display.visible`: no control character survives, and each becomes exactly one stand-in."""

from __future__ import annotations

import unicodedata

from qa.display import visible


def test_every_control_character_becomes_one_visible_stand_in() -> None:
    controls = [chr(c) for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if chr(c) not in "\n\t"]
    controls += list("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    text = "".join(controls)
    shown = visible(text)
    assert len(shown) == len(text)
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    assert visible("\x1b]0;PWNED\x07\x1b[2J") == "␛]0;PWNED␇␛[2J"


def test_ordinary_text_newlines_and_tabs_are_kept() -> None:
    text = "Ünïcödé, emoji 🌋, CJK 火山,\tcolumns\nand lines [bold]x[/]"
    assert visible(text) == text
