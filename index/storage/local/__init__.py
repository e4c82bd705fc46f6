"""The local backend: an index folder of immutable generations (folder.py), each written by writer.py and read
by reader.py (vectors in vectors.py, BM25 in bm25.py, the SQLite layout in schema.py)."""

from index.storage.local.folder import IndexDir

__all__ = ["IndexDir"]
