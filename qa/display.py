"""Terminal-safe text: documents, file names and questions are untrusted, so no character of theirs may
drive the terminal.

A document holding `ESC ] 0 ; title BEL` would otherwise retitle the window, `ESC [ 2 J` clear the screen,
an OSC 8 sequence plant a link, a bidi override reorder what the reader sees, and a newline in a file name
forge a citation line of its own. Every human-readable line the CLI prints goes through `terminal_safe`,
which shows such characters as visible backslash escapes instead; JSON output needs none of this
(`json.dumps` escapes what matters there).
"""

from __future__ import annotations

import re

UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""C0 controls (newline and tab included), DEL, C1 controls, the line and paragraph separators, the bidi
embeddings, overrides and isolates, and lone surrogates (undecodable bytes from the command line), which
could not even be encoded for output."""

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_char(ch: str) -> str:
    """`\\n`, `\\r`, `\\t`; `\\x1b` for other code points below 256; `\\u202e` (four hex digits) above."""
    short = _SHORT.get(ch)
    if short is not None:
        return short
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str, keep: str = "") -> str:
    """`text` with every unsafe character (see `UNSAFE`) shown as its escape, except those in `keep`
    (e.g. "\\n" where the line breaks are the text's own layout, as in `qa text`)."""
    if keep:
        return UNSAFE.sub(lambda m: m.group() if m.group() in keep else escape_char(m.group()), text)
    return UNSAFE.sub(lambda m: escape_char(m.group()), text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(text: str) -> bool:
    """Whether `text` holds lone surrogates: bytes that were not UTF-8 (decoded with `surrogateescape`, as
    Python does for the command line) or a `\\ud800`-style JSON escape. Such a string cannot be encoded."""
    return _SURROGATE.search(text) is not None


def without_surrogates(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD, so it can be written as UTF-8."""
    return _SURROGATE.sub("\ufffd", text)


# In the chat (Textual), a citation's span must keep pointing at the right characters of what is shown, so
# there each control character becomes exactly one visible stand-in instead of a backslash escape (ESC shows
# as ␛). Newlines are kept (the viewer lays out lines with them) and so are tabs, which Textual expands.

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


# -- links ----------------------------------------------------------------------------------------------------

_LINK_PROGRAMS = frozenset({"iTerm.app", "WezTerm", "vscode", "ghostty", "Hyper", "Tabby", "rio", "WarpTerminal"})
_LINK_TERMS = ("xterm-kitty", "alacritty", "foot", "xterm-ghostty", "wezterm", "contour")


def supports_hyperlinks(isatty: bool, env: dict[str, str] | None = None) -> bool:
    """Whether output to this terminal may carry OSC 8 hyperlinks: FORCE_HYPERLINK=1 or 0 decides (the
    convention of the supports-hyperlinks package); else only a terminal known to show them (iTerm2,
    WezTerm, VS Code, GNOME Terminal and other VTE >= 0.50, Konsole, Windows Terminal, kitty, foot,
    Alacritty, Ghostty), not through tmux or screen, and never when the output is not a terminal."""
    import os

    env = dict(os.environ) if env is None else env
    forced = env.get("FORCE_HYPERLINK")
    if forced is not None and forced.strip() != "":
        return forced.strip() != "0"
    if not isatty or env.get("TERM", "") in ("", "dumb") or env.get("TMUX") or env.get("STY"):
        return False
    if env.get("TERM_PROGRAM") in _LINK_PROGRAMS or env.get("WT_SESSION") or env.get("KONSOLE_VERSION") \
            or env.get("KITTY_WINDOW_ID") or env.get("DOMTERM"):
        return True
    vte = env.get("VTE_VERSION", "")
    if vte.isdigit() and int(vte) >= 5000:
        return True
    return env.get("TERM", "").startswith(_LINK_TERMS)


def hyperlink(url: str, text: str) -> str:
    """`text` (already terminal-safe) as an OSC 8 link to `url`. The URL is percent-encoded by the caller;
    anything in it that could end the sequence early is dropped."""
    clean_url = UNSAFE.sub("", url).replace("\x1b", "")
    return f"\x1b]8;;{clean_url}\x1b\\{text}\x1b]8;;\x1b\\"
