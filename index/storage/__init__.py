"""Where an index lives, behind one interface (base.py): a local folder (local/) or Milvus (milvus/). This
module's `open_store` is the only place that names a backend; each is imported only when chosen."""

from __future__ import annotations

from pathlib import Path

from index.errors import UsageError
from index.storage.base import (
    FORMAT_VERSION,
    ChunkRow,
    FormatMismatch,
    IndexReader,
    IndexStore,
    IndexWriter,
    KeptDocument,
    Manifest,
    file_write_lock,
)

__all__ = ["FORMAT_VERSION", "ChunkRow", "FormatMismatch", "IndexReader", "IndexStore", "IndexWriter",
           "KeptDocument", "Manifest", "file_write_lock", "open_store"]


def open_store(spec: str | Path, corpus: Path | None = None, token: str | None = None) -> IndexStore:
    """The store a URI or folder names: `milvus://...` (Milvus), anything else a local index folder. `corpus`:
    the folder it indexes, the one non-empty folder a local index may also be kept in; `token`: a Milvus
    server's credentials (`user:password` or an API key)."""
    text = str(spec)
    if text.startswith(("milvus://", "milvus+http://", "milvus+https://")):
        try:
            from index.storage.milvus import MilvusStore
        except ImportError as exc:
            raise UsageError(f"{text}: the Milvus backend needs pymilvus and milvus-lite "
                             f"(pip install 'corpus-qa[milvus]'): {exc}") from None
        return MilvusStore(text, token)
    if "://" in text:
        raise UsageError(f"Unknown store {text!r}: give an index folder.")
    from index.storage.local import IndexDir

    return IndexDir(Path(text), corpus)
