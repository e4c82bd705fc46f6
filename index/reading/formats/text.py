"""Plain text formats (.txt, .md, .rst): the text is the file, decoded exactly as `read_text` does.

UTF-8 (with or without a BOM) is read as `Path.read_text(encoding="utf-8")` reads it, so a citation's offsets
index the file's own text. A file that starts with a UTF-16 or UTF-32 byte-order mark is decoded with that
encoding (`read_text(encoding="utf-16")` then gives the same text). A NUL character anywhere, after
decoding, makes a file binary: it is skipped whole, never indexed with NULs in it.

Text that is not UTF-8 (an old Windows or Latin-1 file, a Cyrillic or Japanese one) is decoded with the
encoding it is detected to be in (`detect_encoding`), and the document says which, so offsets index
`read_text(encoding=that)`. Bytes that look like no text (NULs, many control bytes) stay a binary file.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import BinaryIO

from index.reading.formats import Extracted, LoadError
from index.text.marks import FENCE
from index.types import Section, Unit, sections_of

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def text_encoding(raw: bytes) -> str:
    """utf-16 or utf-32 when the bytes start with that byte-order mark, else utf-8."""
    return next((enc for bom, enc in _BOMS if raw.startswith(bom)), "utf-8")


def decode_plain_text(raw: bytes) -> str:
    """Decode like `read_text(encoding=...)` with the encoding `text_encoding` finds (or, for text that is not
    UTF-8, the one `detect_encoding` finds): strict, universal newlines."""
    return decode_text(raw)[0]


def decode_text(raw: bytes) -> tuple[str, str | None]:
    """The text and, when it is not UTF-8 (nor UTF-16/32 with a byte-order mark), the encoding detected and
    used. Raises LoadError for a binary file."""
    encoding = text_encoding(raw)
    if encoding == "utf-8" and b"\x00" in raw[:8192]:
        raise LoadError("binary file")
    detected = None
    try:
        text = _read(raw, encoding)
    except UnicodeDecodeError as exc:
        if encoding != "utf-8":
            raise LoadError(f"binary file (it starts like {encoding.upper()} text, but is not)") from None
        detected = detect_encoding(raw)
        if detected is None:
            raise LoadError(f"binary file (not UTF-8 text from byte {exc.start}, nor text in another "
                            "encoding)") from None
        text = _read(raw, detected)
    if "\x00" in text:
        raise LoadError("binary file (it holds NUL characters)")
    return text, detected


def _read(raw: bytes, encoding: str) -> str:
    return io.TextIOWrapper(io.BytesIO(raw), encoding=encoding, newline=None).read()


DETECT_BYTES = 1 << 20
"""How much of a file the encoding is detected from (the whole file is then decoded with it)."""
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
"""C0 control bytes that text does not hold (tab, line breaks, form feed and ESC aside)."""
_LETTER_BYTES = re.compile(rb"[A-Za-z\x80-\xff]")


def detect_encoding(raw: bytes) -> str | None:
    """The encoding of text that is not UTF-8. Text mostly in ASCII letters, with a few other bytes among
    them, is Western (accents, quotes, dashes, the euro sign): cp1252, the encoding of old Windows and
    Latin-1 files (latin-1 when it holds bytes cp1252 leaves undefined). Text made mostly of bytes above
    ASCII is in another script: charset-normalizer names it (cp1251, Shift-JIS, GB18030, ...). None when
    the bytes are not text: NULs, or more than 1% control bytes.

    Why not charset-normalizer for all: on short Western text it names a neighbour or worse (cp1250 for
    French, turning "à" into "ŕ"; johab for "René;Besançon")."""
    head = raw[:DETECT_BYTES]
    if b"\x00" in head or len(_CONTROL_BYTES.findall(head)) > max(2, len(head) // 100):
        return None
    high = sum(1 for b in head if b >= 0x80)
    if high > 0.3 * len(_LETTER_BYTES.findall(head)):
        from charset_normalizer import from_bytes  # ~25 ms, only for text in another script

        best = from_bytes(head).best()
        if best is not None and best.encoding not in ("ascii", "utf_8"):
            try:
                _read(raw, best.encoding)
                return best.encoding
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # every byte is a Latin-1 character: after the checks above, text it is


def load_text(source: BinaryIO, fmt: str) -> Extracted:
    try:
        raw = source.read()
    except OSError as exc:
        raise LoadError(f"unreadable ({exc.strerror or exc.__class__.__name__})") from None
    text, encoding = decode_text(raw)
    return Extracted(text, fmt, sections=text_sections(text, fmt), units=text_units(text, fmt), encoding=encoding)


_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")


def text_units(text: str, fmt: str) -> tuple[Unit, ...]:
    """The structural units a plain text format marks: Markdown's fenced code blocks and pipe tables
    (header row, then rows), reStructuredText's literal blocks (an indented block after a paragraph ending
    in `::`, or a `code-block` directive). Plain `.txt` marks none."""
    if fmt == "md":
        return tuple(sorted(_markdown_units(text), key=lambda u: (u.start, -u.end)))
    if fmt == "rst":
        return tuple(_rst_literal_blocks(text))
    return ()


ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)[ \t]*$")
"""A Markdown ATX heading line (`## Results`); closing hashes are stripped from its title."""
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`*+#:.])\1{2,}[ \t]*$")


def text_sections(text: str, fmt: str) -> tuple[Section, ...]:
    """The sections a plain text format's headings start: Markdown's ATX (`## [2.3.0] - 2023-11-20`) and
    setext headings (a line underlined with `===` or `---`), outside fenced code; reStructuredText's titles (a
    line underlined, and maybe overlined, with one punctuation character), levels in order of first use.
    Plain `.txt` marks none."""
    if fmt not in ("md", "rst"):
        return ()
    heads: list[tuple[str, int, int]] = []
    lines = _lines(text)
    styles: list[tuple[str, bool]] = []
    fenced = None
    i = 0
    while i < len(lines):
        a, b = lines[i]
        line = text[a:b]
        below = text[lines[i + 1][0] : lines[i + 1][1]] if i + 1 < len(lines) else ""
        above = text[lines[i - 1][0] : lines[i - 1][1]] if i > 0 else ""
        if fmt == "md":
            fence = FENCE.match(line)
            if fence and (fenced is None or line.strip().startswith(fenced)):
                fenced = fence.group(1)[0] * 3 if fenced is None else None
            elif fenced is None:
                atx = ATX.match(line)
                if atx:
                    title = atx.group(2).rstrip("#").strip()
                    if title:
                        heads.append((" ".join(title.split()), len(atx.group(1)), a))
                elif line.strip() and not above.strip() and _SETEXT.match(below) and \
                        not re.match(r"\s*(?:[-*+>|]|\d+[.)])\s", line) and "|" not in line:
                    heads.append((" ".join(line.split()), 1 if below.strip()[0] == "=" else 2, a))
                    i += 2
                    continue
        elif line.strip() and not _RST_ADORNMENT.match(line) and _RST_ADORNMENT.match(below) and \
                len(below.rstrip()) >= len(line.rstrip()) and not line.startswith((" ", "\t")):
            over = bool(_RST_ADORNMENT.match(above)) and above.strip()[0] == below.strip()[0]
            style = (below.strip()[0], over)
            if style not in styles:
                styles.append(style)
            heads.append((" ".join(line.split()), styles.index(style) + 1, lines[i - 1][0] if over else a))
            i += 2
            continue
        i += 1
    return tuple(sections_of(heads, len(text)))


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line, without its line break."""
    out, at = [], 0
    for line in text.split("\n"):
        out.append((at, at + len(line)))
        at += len(line) + 1
    return out


def _markdown_units(text: str) -> list[Unit]:
    units: list[Unit] = []
    lines = _lines(text)
    i = 0
    while i < len(lines):
        a, b = lines[i]
        line = text[a:b]
        fence = FENCE.match(line)
        if fence:
            mark = fence.group(1)
            j = i + 1
            while j < len(lines) and not text[lines[j][0] : lines[j][1]].strip().startswith(mark):
                j += 1
            body = [ln for ln in lines[i + 1 : j] if text[ln[0] : ln[1]].strip()]
            if body:
                units.append(Unit("code", body[0][0], body[-1][1]))
            i = j + 1
            continue
        if "|" in line and i + 1 < len(lines) and _TABLE_RULE.match(text[lines[i + 1][0] : lines[i + 1][1]]):
            header = len(units)
            units.append(Unit("header", *_stripped(text, a, b)))
            j = i + 2
            while j < len(lines) and "|" in text[lines[j][0] : lines[j][1]] and text[lines[j][0] : lines[j][1]].strip():
                units.append(Unit("row", *_stripped(text, *lines[j]), header))
                j += 1
            i = j
            continue
        i += 1
    return units


def _rst_literal_blocks(text: str) -> list[Unit]:
    units: list[Unit] = []
    lines = _lines(text)
    i = 0
    while i < len(lines):
        line = text[lines[i][0] : lines[i][1]]
        stripped = line.rstrip()
        if stripped.endswith("::") or re.match(r"\s*\.\. (?:code-block|code|sourcecode)::", line):
            indent = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and not text[lines[j][0] : lines[j][1]].strip():
                j += 1
            # directive options (":linenos:") are not code
            while j < len(lines) and re.match(r"\s+:[\w-]+:", text[lines[j][0] : lines[j][1]]):
                j += 1
            body: list[tuple[int, int]] = []
            while j < len(lines):
                piece = text[lines[j][0] : lines[j][1]]
                if piece.strip() and len(piece) - len(piece.lstrip()) <= indent:
                    break
                body.append(lines[j])
                j += 1
            body = [ln for ln in body if text[ln[0] : ln[1]].strip()]
            if body:
                start = body[0][0] + len(text[body[0][0] : body[0][1]]) - len(text[body[0][0] : body[0][1]].lstrip())
                units.append(Unit("code", start, body[-1][1]))
                i = j
                continue
        i += 1
    return units


def _stripped(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b
