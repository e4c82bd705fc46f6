"""Reading zip containers (DOCX, EPUB) without trusting them: bounded members, sizes and ratios.

A zip's directory can lie about sizes, so every byte is counted while it is decompressed. A file whose
members would decompress past `MAX_TOTAL` (a zip bomb, or just an absurd document) is refused before any
parser sees it.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO

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
