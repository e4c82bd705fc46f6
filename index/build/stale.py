"""Whether an index is behind its corpus, from file stats alone: what every question checks first
(qa/engine.py), so it does not import the builder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from index.reading.scan import scan_corpus

if TYPE_CHECKING:
    from index.storage import IndexReader, IndexStore


def index_folder(index: IndexStore | str) -> Path | None:
    """The local folder an index store lives in (skipped when it is inside the corpus), if it has one."""
    location = index if isinstance(index, str) else index.location
    return Path(location) if location and "://" not in location else None


def scan_exclusion(index: IndexStore | str) -> Path | None:
    """What a corpus scan leaves out: the index's own folder (a local index, or Milvus Lite's data folder),
    which may be inside the corpus or be the corpus folder itself."""
    location = index if isinstance(index, str) else index.location
    if location.startswith("milvus:///"):
        from urllib.parse import urlsplit

        return Path(urlsplit(location).path)
    return index_folder(index)


def is_stale(corpus: Path, snapshot: IndexReader, index: IndexStore | str | None = None) -> bool:
    """Whether any file was added, removed or touched since the snapshot was built (stats only)."""
    exclude = scan_exclusion(index) if index is not None else None
    current = {s.source: s.key for s in scan_corpus(corpus, exclude)}
    return current != snapshot.file_stats()
