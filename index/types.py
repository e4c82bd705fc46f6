"""The small domain model of the index layer: what a document, a page, a sentence and a chunk are.

Offsets are character offsets into `Document.text`. For plain text formats (.txt, .md, .rst) that is
exactly what `Path(...).read_text(encoding="utf-8")` returns for the file; for extracted formats (PDF,
HTML, DOCX, EPUB) it is the extracted text stored in the index (`qa text SOURCE` prints it). Either way
`text[start:end]` is always the quote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) in a document's text."""

    start: int
    """First character, 0-based."""
    end: int
    """One past the last character."""


@dataclass(frozen=True)
class Page:
    """A page of a paged document as a span of the extracted text: a PDF page, an EPUB chapter, a PPTX slide,
    a notebook cell, a spreadsheet's sheet."""

    number: int
    """1-based physical index (PDF page, EPUB spine chapter, slide, notebook cell, sheet)."""
    start: int
    """First character of the page in the document text."""
    end: int
    """One past its last character."""
    label: str | None = None
    """The printed page label where the PDF defines one ("iv", "24"), a spreadsheet's sheet name, else None."""
    ocr: bool = False
    """Whether the page's text was recognised from its image (a scanned page without a text layer)."""


def sections_of(heads: list[tuple[str, int, int]], length: int) -> list[Section]:
    """Sections from headings given as (title, level, start) in document order: each ends where the next
    heading of the same or a higher level starts, or at `length`. One pass with a stack (a slice per
    heading made 80,000 headings quadratic)."""
    ends = [length] * len(heads)
    open_: list[int] = []  # indexes of headings whose section is still open, levels increasing
    for i, (_title, level, start) in enumerate(heads):
        while open_ and heads[open_[-1]][1] >= level:
            ends[open_.pop()] = start
        open_.append(i)
    return [Section(title, level, min(start, length), ends[i]) for i, (title, level, start) in enumerate(heads)]


@dataclass(frozen=True)
class Section:
    """A part of a document that starts at a heading (HTML, DOCX, EPUB headings)."""

    title: str
    """The heading's text."""
    level: int
    """Heading level, 1 for the top."""
    start: int
    """Where the heading starts in the document text."""
    end: int
    """Where the next heading of the same or a higher level starts (or the text ends)."""


ANCHOR_KINDS = ("id", "paragraph", "row")
"""What an anchor names: an element id an HTML page can be opened at (`page.html#id`), a paragraph's number
(DOCX, ODT), a row's number (CSV, TSV, XLSX: the row in the file or sheet, header row included)."""


@dataclass(frozen=True)
class Anchor:
    """A place in a document that its own viewer can open, or that a person can count to: where it starts in
    the text and its name. A quote's anchor of a kind is the last one starting at or before it."""

    kind: str
    """One of ANCHOR_KINDS."""
    start: int
    """Where the place starts in the document text."""
    name: str
    """The element id, or the paragraph or row number as text."""


UNIT_KINDS = ("term", "definition", "code", "row", "header")
"""What a structural unit is: a definition's name (an HTML `dt`, an API signature, a command-line option),
a definition's body (`dd`), a code block (kept verbatim, line breaks and all), a table row, a table's
header row."""

ATOMIC_KINDS = frozenset({"term", "code", "row", "header"})
"""Units that are quoted whole: chunking never splits them into sentences, nor joins them to the text
around them."""


@dataclass(frozen=True)
class Unit:
    """A structural part of a document's text, as its format marks it: what an answer may quote whole
    (a code block, a table row) or needs to be understood (the name a description defines, a row's
    header cells)."""

    kind: str
    """One of UNIT_KINDS."""
    start: int
    """First character in the document text."""
    end: int
    """One past the last character."""
    parent: int = -1
    """Index in `Document.units` of the unit this one belongs to (a definition body's term, a row's header
    row), or -1."""


@dataclass(frozen=True)
class Document:
    """One source file, decoded, with the metadata shown in citations."""

    source: str
    """Path relative to the corpus folder, with forward slashes."""
    text: str
    """Full text: the file as `read_text(encoding="utf-8")` returns it, or the text extracted from it."""
    sha256: str
    """Hash of `text` (UTF-8); re-indexing skips documents whose hash did not change."""
    title: str
    """From the document's metadata, else its first heading or non-empty line (shortened), else the file name."""
    date: str | None = None
    """ISO date: a `date YYYY-MM-DD Place: ...` header, or the PDF/HTML/DOCX/EPUB date metadata."""
    place: str | None = None
    """Place from the same header, e.g. `Astana (Kazakhstan)`."""
    body_start: int = 0
    """Where the quotable body starts (after a metadata header, if any)."""
    format: str = "txt"
    """What the text came from: txt, md, rst, pdf, html, docx, epub, odt, pptx, xlsx, csv, tsv or ipynb."""
    pages: tuple[Page, ...] = ()
    """Page spans, in order (PDF pages, EPUB chapters); empty for unpaged formats."""
    sections: tuple[Section, ...] = ()
    """Heading-delimited sections, in order (HTML, DOCX, EPUB); empty where none are known."""
    units: tuple[Unit, ...] = ()
    """Structural units (definitions, code blocks, table rows), ordered by start; empty where the format
    marks none."""
    anchors: tuple[Anchor, ...] = ()
    """Places a viewer can open or a person can count to (element ids, paragraph and row numbers), ordered
    by start; empty where the format has none."""
    encoding: str | None = None
    """The encoding a text file was decoded with when it is not UTF-8 (detected: `cp1252`, `latin-1`, ...);
    None for UTF-8 and for formats that declare their encoding."""
    indexed: float | None = None
    """When its file was read into the index (Unix time); None until the index stores it."""
    warnings: tuple[str, ...] = ()
    """What its loader wants the user to know (scanned pages left unread); shown by the build, not stored."""

    def anchor_at(self, offset: int, kind: str) -> Anchor | None:
        """The last anchor of `kind` starting at or before `offset`, or None."""
        import bisect

        found = self._anchors_by_kind.get(kind)
        if not found:
            return None
        i = bisect.bisect_right(found, offset, key=lambda a: a.start) - 1
        return found[i] if i >= 0 else None

    @cached_property
    def _anchors_by_kind(self) -> dict[str, list[Anchor]]:
        out: dict[str, list[Anchor]] = {}
        for a in self.anchors:
            out.setdefault(a.kind, []).append(a)
        return out

    def section_path(self, offset: int) -> list[str]:
        """The headings of the sections holding `offset`, outermost first ("Guide", "Install", "Linux")."""
        path: list[tuple[int, str]] = []
        for s in self.sections:
            if s.start > offset:
                break
            if offset < s.end:
                while path and path[-1][0] >= s.level:
                    path.pop()
                path.append((s.level, s.title))
        return [title for _level, title in path]

    def units_at(self, offset: int) -> list[int]:
        """Indexes of the units holding `offset`, innermost first (units nest: a code block inside a
        definition's body). Units are laminar (two either nest or do not overlap), so the units holding
        an offset are the chain of enclosing units of the last one starting at or before it."""
        import bisect

        units = self.units
        if not units:
            return []
        enclosing = self._enclosing
        j = bisect.bisect_right(units, offset, key=lambda u: u.start) - 1
        while j >= 0 and not units[j].start <= offset < units[j].end:
            j = enclosing[j]
        found = []
        while j >= 0:
            found.append(j)
            j = enclosing[j]
        return found

    @cached_property
    def _enclosing(self) -> list[int]:
        """For each unit, the index of the innermost unit enclosing it, or -1."""
        out: list[int] = []
        stack: list[int] = []
        for i, u in enumerate(self.units):
            while stack and self.units[stack[-1]].end <= u.start:
                stack.pop()
            out.append(stack[-1] if stack else -1)
            stack.append(i)
        return out

    def page_at(self, offset: int) -> Page | None:
        """The page holding `offset`, or None for an unpaged document."""
        return _find(self.pages, offset)

    def section_at(self, offset: int) -> Section | None:
        """The innermost section holding `offset`, or None."""
        best = None
        for s in self.sections:
            if s.start > offset:
                break
            if offset < s.end and (best is None or s.level >= best.level):
                best = s
        return best


@dataclass(frozen=True)
class DocumentInfo:
    """What a listing of the corpus shows about a document, without its text."""

    source: str
    """Path relative to the corpus folder, as citations give it."""
    title: str
    """The document's title."""
    date: str | None
    """ISO date, if known."""
    format: str
    """txt, md, rst, pdf, html, docx, epub, odt, pptx, xlsx, csv, tsv or ipynb."""
    pages: int
    """PDF pages, EPUB chapters, slides, notebook cells or sheets; 0 for unpaged formats."""
    chars: int
    """Length of the stored text (the `end` of a span covering all of it)."""
    units: int = 0
    """Structural units found in it (table rows, code blocks, definitions)."""
    ocr_pages: int = 0
    """Pages whose text was recognised from their image (scanned)."""
    encoding: str | None = None
    """The detected encoding of a text file that is not UTF-8, else None."""
    indexed: float | None = None
    """When its file was last read into the index (Unix time), if known."""


TEXT_FORMATS = frozenset({"txt", "md", "rst"})
"""Formats whose stored text is the file itself, so quotes can be checked against the file on disk."""


def _find(pages: tuple[Page, ...], offset: int) -> Page | None:
    import bisect

    if not pages:
        return None
    i = bisect.bisect_right(pages, offset, key=lambda p: p.start) - 1
    return pages[max(0, i)]


@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one document, the unit that is embedded and retrieved."""

    source: str
    """The document this chunk belongs to."""
    start: int
    """Offset of the first character of the first sentence."""
    end: int
    """Offset one past the last character of the last sentence."""
    sentences: tuple[Span, ...] = field(default_factory=tuple)
    """The sentences of the chunk, in order."""
    n_tokens: int = 0
    """Length in model tokens (sum over its sentences)."""


@dataclass(frozen=True)
class Skipped:
    """A file that was found but not indexed, and why."""

    source: str
    """Path relative to the corpus folder."""
    reason: str
    """A short reason a person understands, e.g. `not UTF-8 text`."""


@dataclass(frozen=True)
class FileStat:
    """What is cheap to know about a file without reading it; used to notice changes."""

    source: str
    """Path relative to the corpus folder (a name that is not UTF-8 is shown with backslash escapes)."""
    size: int
    """Size in bytes."""
    mtime_ns: int
    """Modification time in nanoseconds."""
    ctime_ns: int = 0
    """Inode change time: moves when a file is rewritten even if its mtime is set back."""
    problem: str | None = None
    """Why the file will not be read, when that is known from the directory entry alone."""

    @property
    def key(self) -> tuple[int, int, int]:
        """What must stay equal for the file to count as unchanged without reading it."""
        return self.size, self.mtime_ns, self.ctime_ns


EXACT_LIMIT = 100_000
"""From this many chunks on, a local index searches vectors with a tuned IVF index instead of exactly."""


READER_VERSION = 2
"""What the format readers make of a file: raised when a change to them alters the text or the structure
(units, sections) of files already indexed. An index read by another version is read and embedded again by
the next build, whose files' dates and sizes alone would keep the old reading. 1: texinfo's nested terms in
PDFs, a table under a term inside its definition, an option's hyphen kept at a line's end. 2: HTML headings
written in docutils' links back to a table of contents (`toc-backref`) are kept, and so are sections whose id (their
heading's slug) holds a word such as "menu", "cookie" or "navigation"; a page's own list of its sections (docutils'
`contents topic`, Docusaurus' `table-of-contents`) is left out."""

FORMAT_READERS: dict[str, int] = {".pdf": 1}
"""The version of one format's reader, by file suffix: raised instead of READER_VERSION when a change alters what
that reader makes of files already indexed, so that only those files are read and embedded again. PDF 1: an
option or path broken across a line end where PDFium marks a soft hyphen keeps its hyphen (`--skip-patches`,
`debian/upstream/signing-key.asc`)."""


def outdated_formats(recorded: dict[str, int]) -> set[str]:
    """The suffixes whose reader is not the one that read an index's files of that kind (`recorded`: its
    manifest's format_readers)."""
    return {suffix for suffix in {*recorded, *FORMAT_READERS}
            if recorded.get(suffix, 0) != FORMAT_READERS.get(suffix, 0)}


def of_format(source: str, suffixes: set[str]) -> bool:
    """Whether a corpus file (its relative path) has one of the suffixes."""
    return any(source.lower().endswith(suffix) for suffix in suffixes)


@dataclass(frozen=True)
class ChunkingParams:
    """How documents are cut into chunks."""

    max_tokens: int = 200
    """Chunk size limit in model tokens (the model reads 256; the title takes some)."""
    overlap_tokens: int = 40
    """Whole sentences worth at most this many tokens are repeated at the start of the next chunk."""
    title_context: bool = True
    """Embed each chunk with its document's title in front (the title is not part of any quote)."""
    exact_limit: int = EXACT_LIMIT
    """From this many chunks on, vectors are searched with a tuned IVF index instead of exactly."""


