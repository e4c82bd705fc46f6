"""Reading zip containers (DOCX, EPUB, ODT, PPTX, XLSX) without trusting them: bounded members, sizes and
ratios, and XML parts without entities.

A zip's directory can lie about sizes, so every byte is counted while it is decompressed. A file whose
members would decompress past `MAX_TOTAL` (a zip bomb, or just an absurd document) is refused before any
parser sees it. XML parts that declare a document type (how entity bombs and external entities come in)
are refused before they are parsed.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from typing import Any, BinaryIO

from index.reading.formats import LoadError

MAX_TOTAL = 256 * 1024 * 1024
"""Most bytes all members of one container may decompress to."""
MAX_MEMBERS = 20_000
BLOCK = 1 << 20


def _open(source: BinaryIO, kind: str) -> zipfile.ZipFile:
    try:
        source.seek(0)
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise LoadError(f"damaged or truncated {kind} (not a readable zip container: {exc})") from None


def check_container(source: BinaryIO, kind: str, max_total: int = MAX_TOTAL) -> None:
    """Decompress every member of the open file, counting bytes; LoadError if it is damaged or decompresses
    past `max_total`."""
    with _open(source, kind) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise LoadError(f"{kind} with {len(infos):,} parts: not a document (over {MAX_MEMBERS:,})")
        total = 0
        try:
            for info in infos:
                with zf.open(info) as member:
                    while block := member.read(BLOCK):
                        total += len(block)
                        if total > max_total:
                            raise LoadError(f"{kind} decompresses to over {max_total // (1024 * 1024)} MB: "
                                            "refused as a possible zip bomb")
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
            raise LoadError(f"damaged or truncated {kind} ({exc})") from None


def read_member(zf: zipfile.ZipFile, name: str, kind: str, limit: int = MAX_TOTAL) -> bytes:
    """One member's bytes, at most `limit` of them."""
    try:
        with zf.open(name) as member:
            data = member.read(limit + 1)
    except KeyError:
        raise LoadError(f"damaged {kind}: {name} is missing") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise LoadError(f"damaged or truncated {kind} ({exc})") from None
    if len(data) > limit:
        raise LoadError(f"{kind} member {name} decompresses to over {limit // (1024 * 1024)} MB")
    return data


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)


def parse_xml(data: bytes, kind: str, what: str) -> ET.Element:
    """One XML part of a container, parsed with expat. Office formats (OOXML, ODF) never declare a document
    type, so a part that does (the way entity-expansion bombs and external entities come in) is refused
    before it is parsed; expat >= 2.4 would stop an expansion bomb too, but not after it cost memory."""
    if _DTD.search(data):
        raise LoadError(f"{kind} part {what} declares XML entities or a document type: refused")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise LoadError(f"damaged {kind} ({what}: {exc})") from None


def iter_xml(zf: zipfile.ZipFile, name: str, kind: str, tags: tuple[str, ...]) -> Iterator[ET.Element]:
    """The elements named `tags` (`{namespace}local`) of one XML part, streamed (iterparse), each handed out
    when it ends and cleared after: a sheet of a million rows is never held whole. The part is checked for
    a document type first, as `parse_xml` does."""
    try:
        with zf.open(name) as member:
            parser: Any = ET.XMLPullParser(events=("end",))
            tail = b""
            while block := member.read(BLOCK):
                if _DTD.search(tail + block):
                    raise LoadError(f"{kind} part {name} declares XML entities or a document type: refused")
                tail = block[-16:]
                parser.feed(block)
                for _event, element in parser.read_events():
                    if element.tag in tags:
                        yield element
                        element.clear()
            parser.close()
            for _event, element in parser.read_events():
                if element.tag in tags:
                    yield element
    except KeyError:
        raise LoadError(f"damaged {kind}: {name} is missing") from None
    except ET.ParseError as exc:
        raise LoadError(f"damaged {kind} ({name}: {exc})") from None
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise LoadError(f"damaged or truncated {kind} ({exc})") from None


def core_properties(zf: zipfile.ZipFile, kind: str) -> tuple[str | None, str | None]:
    """An OOXML package's title and creation date (YYYY-MM-DD) from docProps/core.xml, where it has one."""
    if "docProps/core.xml" not in zf.namelist():
        return None, None
    core = parse_xml(read_member(zf, "docProps/core.xml", kind), kind, "docProps/core.xml")
    title = core.find("{http://purl.org/dc/elements/1.1/}title")
    created = core.find("{http://purl.org/dc/terms/}created")
    m = re.match(r"\s*(\d{4})-(\d{2})-(\d{2})", created.text or "") if created is not None else None
    name = " ".join((title.text or "").split()) if title is not None else ""
    return name or None, "-".join(m.groups()) if m else None


def relationships(zf: zipfile.ZipFile, kind: str, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part name)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in zf.namelist():
        return {}
    root = parse_xml(read_member(zf, rels, kind), kind, rels)
    out = {}
    for rel in root.iter("{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return out
