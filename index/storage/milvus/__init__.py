"""The Milvus backend: Milvus Lite (`milvus:///path/index.db`) or a Milvus server (`milvus://host:19530`):
store.py (the connection, the write lease, publishing), writer.py, reader.py, schema.py. Imported only when
a `milvus://` store is chosen (index/storage/__init__.py)."""

from index.storage.milvus.store import MilvusStore

__all__ = ["MilvusStore"]
